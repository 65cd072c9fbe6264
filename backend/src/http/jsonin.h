/*
 * jsonin.h -- strict reading of a JSON request body against a field list.
 *
 * Every key of the object must be in the list (else 400 unknown_field),
 * required keys must be there (400 missing_field), each value must have the
 * declared type (400 bad_type), dates must be real dates (400 bad_date).
 * Quantities are read as numbers here and checked against the item later,
 * since only the item knows whether it is counted in whole pieces.
 */
#ifndef RELIEF_JSONIN_H
#define RELIEF_JSONIN_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "../core/err.h"

enum jf_type {
    JF_ID,       /* positive integer -> int64_t */
    JF_INT,      /* any integer -> int64_t */
    JF_STR,      /* string -> char[size] (too long: 400 bad_value) */
    JF_NUM,      /* number -> double */
    JF_DATE,     /* "YYYY-MM-DD" -> char[11] */
    JF_DATETIME, /* RFC 3339 -> time_t */
    JF_BOOL,     /* -> int */
    JF_OBJECT,   /* -> json_t * (borrowed) */
    JF_ARRAY,    /* -> json_t * (borrowed); `size` is the most entries, at least 1 */
};

struct jfield {
    const char *name;
    enum jf_type type;
    int required;
    void *out;
    size_t size;  /* JF_STR: capacity of out */
    int *present; /* optional: set to 1 when the key was given (and not null) */
};

/* Read `obj` against `spec[0..n)`.  null counts as absent for optional fields
 * and is a bad_type for required ones. */
int json_read(json_t *obj, const struct jfield *spec, size_t n, struct app_err *err);

/* Check a JSON quantity for an item: positive unless allow_negative, not 0,
 * whole when integral.  400 bad_quantity naming `field` otherwise. */
int json_qty_check(double v, int integral, int allow_negative, const char *field, int64_t *milli,
                   struct app_err *err);

#endif
