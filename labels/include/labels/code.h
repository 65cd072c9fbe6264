/*
 * code.h -- label codes: a random UUID in a short, checkable form.
 *
 * A label code is the 128 bits of a random (version 4) UUID written in
 * Crockford base 32 (0-9, A-Z without I, L, O, U: 26 characters) followed by
 * one Luhn mod 32 check character: 27 characters in all.  Every character is
 * in QR's upper-case alphanumeric set, so `<base>/L/<code>` encodes
 * compactly, and any single mistyped character or swap of two neighbours is
 * refused instead of resolving to another record.
 *
 * Parsing is forgiving where people are: lower case is accepted, and the
 * look-alikes I/L (as 1) and O (as 0) are read the way Crockford defines;
 * hyphens and spaces are ignored.
 */
#ifndef RELIEF_LABELS_CODE_H
#define RELIEF_LABELS_CODE_H

#include <stddef.h>

#define LABEL_CODE_LEN 27

/* A new random code (libuuid's uuid_generate_random) into out[28]. */
void label_code_new(char out[LABEL_CODE_LEN + 1]);
/* The code of a UUID given in its 36-character text form; -1 if it is not one. */
int label_code_from_uuid(const char *uuid_text, char out[LABEL_CODE_LEN + 1]);
/* Normalise and check `in`; on success out holds the canonical code and, if
 * uuid_out is not NULL, the lower-case UUID text (37 bytes).  -1 if malformed
 * or the check character is wrong. */
int label_code_parse(const char *in, char out[LABEL_CODE_LEN + 1], char *uuid_out);

#endif
