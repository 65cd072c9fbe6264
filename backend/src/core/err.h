/*
 * err.h -- the one error type of ReliefStock.
 *
 * A fallible function returns 0 on success or -1 with a struct app_err filled
 * in, so the HTTP layer can render {"error":{"code","message","field"}} with
 * the right status without knowing where the error came from.  `code` is a
 * stable machine-readable word; `msg` is for people and never carries
 * internal detail (that goes to the log).
 */
#ifndef RELIEF_ERR_H
#define RELIEF_ERR_H

struct app_err {
    int http;       /* HTTP status to answer with (400, 404, 409, 500, ...) */
    int retryable;  /* 1 when the whole transaction may be retried (deadlock) */
    char code[48];  /* e.g. "insufficient_stock" */
    char field[64]; /* offending input field, or "" */
    char msg[256];
};

/* Fill `e` and return -1, so callers can `return err_set(...)`.  `e` may be NULL. */
int err_set(struct app_err *e, int http, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Like err_set, naming the input field at fault. */
int err_field(struct app_err *e, int http, const char *code, const char *field, const char *fmt,
              ...) __attribute__((format(printf, 5, 6)));

void err_clear(struct app_err *e);

#endif
