#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void err_vfill(struct app_err *e, int http, const char *code, const char *field,
                      const char *fmt, va_list ap)
{
    e->http = http;
    e->retryable = 0;
    snprintf(e->code, sizeof(e->code), "%s", code);
    snprintf(e->field, sizeof(e->field), "%s", field ? field : "");
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
}

int err_set(struct app_err *e, int http, const char *code, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        err_vfill(e, http, code, NULL, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int err_field(struct app_err *e, int http, const char *code, const char *field, const char *fmt,
              ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        err_vfill(e, http, code, field, fmt, ap);
        va_end(ap);
    }
    return -1;
}

void err_clear(struct app_err *e)
{
    memset(e, 0, sizeof(*e));
}
