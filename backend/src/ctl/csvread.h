/*
 * csvread.h -- a whole CSV file as a table of text cells (a thin layer over
 * libcsv, which does the actual parsing).
 *
 * The first record is the header.  Every record must have as many fields as
 * the header; blank lines are skipped.  Each row remembers the line it starts
 * on, so callers can report "file:line: reason".  Text must be UTF-8 (a BOM at
 * the start is dropped) without NUL bytes; quoting follows RFC 4180 strictly.
 */
#ifndef RELIEF_CSVREAD_H
#define RELIEF_CSVREAD_H

#include <stddef.h>

struct csvr_row {
    int line; /* 1-based line where the record starts */
    char **f; /* ncols NUL-terminated fields */
};

struct csvr_table {
    char path[512];
    int ncols;
    char **header;
    int nrows; /* data rows, header not counted */
    struct csvr_row *rows;
};

/* Load and check `path`.  On failure returns -1 and writes "path:line: reason"
 * into msg; *t is then empty (csvr_free is still safe). */
int csvr_load(const char *path, struct csvr_table *t, char *msg, size_t msglen);
void csvr_free(struct csvr_table *t);

/* Index of a header column, or -1. */
int csvr_col(const struct csvr_table *t, const char *name);
/* Check that every name is a header column; -1 with "path:1: missing column 'x'". */
int csvr_require(const struct csvr_table *t, const char *const *names, char *msg, size_t msglen);
/* Cell of a row by column index (never NULL; "" when col < 0). */
const char *csvr_get(const struct csvr_table *t, int row, int col);

#endif
