/*
 * util.h -- small pure helpers: quantities, dates, numbers, tokens.
 *
 * Quantities are carried as int64 thousandths of the item's base unit
 * ("milli"), matching the DECIMAL(15,3) columns, so no arithmetic on stock
 * is ever done in floating point.
 */
#ifndef RELIEF_UTIL_H
#define RELIEF_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define QTY_SCALE 1000
#define QTY_MAX ((int64_t)999999999999 * QTY_SCALE) /* DECIMAL(15,3) range */

/* Convert a JSON number to milli units.  -1 if not finite, out of range, finer
 * than 0.001, or (when `integral`) not a whole number. */
int qty_from_double(double v, int integral, int64_t *out);
/* Parse "12", "-3.5", "0.125" exactly (at most 3 decimals); -1 otherwise. */
int qty_parse(const char *s, int64_t *out);
/* Shortest exact decimal text of a milli quantity: 12500 -> "12.5". */
void qty_format(int64_t milli, char *out, size_t n);
double qty_to_double(int64_t milli);

/* Strict YYYY-MM-DD with a real calendar day; fills y/m/d.  -1 otherwise. */
int date_parse(const char *s, int *y, int *m, int *d);
/* RFC 3339 date-time (Z or +hh:mm offset, optional fraction) to UTC seconds.
 * A bare YYYY-MM-DD is taken as midnight UTC.  -1 on bad input. */
int datetime_parse(const char *s, time_t *out);
/* "YYYY-MM-DD HH:MM:SS" (UTC) as MariaDB wants it. */
void datetime_sql(time_t t, char out[20]);
/* Days from 1970-01-01 for a civil date, and back (proleptic Gregorian). */
int64_t days_from_civil(int y, int m, int d);
void civil_from_days(int64_t z, int *y, int *m, int *d);

/* Strict base-10 integer (no spaces, no trailing junk, range-checked). */
int parse_int64(const char *s, int64_t *out);

/* Copy with truncation check: -1 (dst still terminated) if src did not fit. */
int str_copy(char *dst, size_t n, const char *src);

/* Cryptographic randomness from the kernel; -1 on failure. */
int random_bytes(void *p, size_t n);
/* Lower-case hex of n bytes into out (2n+1 bytes). */
void hex_encode(const unsigned char *p, size_t n, char *out);
/* SHA-256 of data as 64 hex chars + NUL. */
void sha256_hex(const void *data, size_t n, char out[65]);

#endif
