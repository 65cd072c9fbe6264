/*
 * fuzz_query.c -- what a request line brings: the path through the route
 * matcher (router_match, as dispatch() calls it: paths of 512 bytes or more
 * are refused before) and its {id} parameters through path_id(), and the
 * query arguments through every q_* reader of backend/src/http/query.c, plus
 * the text parsers they rest on (integers, dates, date-times, quantities)
 * and like_escape().
 *
 * Input: "METHOD PATH?QUERY".  libmicrohttpd splits and percent-decodes the
 * query string in reliefd; here a small splitter does the same job, so the
 * q_* functions see arbitrary bytes as values (empty, very long, non-UTF-8).
 */
#include "core/util.h"
#include "http/http.h"
#include "http/query.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARGS 32

struct args {
    int n;
    char *key[MAX_ARGS];
    char *val[MAX_ARGS];
};

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void unescape(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        if (*p == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
            *o++ = (char)(hexval(p[1]) * 16 + hexval(p[2]));
            p += 2;
        } else {
            *o++ = *p == '+' ? ' ' : *p;
        }
    }
    *o = '\0';
}

static const char *lookup(void *ctx, int kind, const char *key)
{
    const struct args *a = ctx;
    if (kind != REQ_QUERY)
        return NULL;
    for (int i = 0; i < a->n; i++)
        if (strcmp(a->key[i], key) == 0)
            return a->val[i];
    return NULL;
}

static void query_readers(struct req *rq)
{
    struct app_err err;
    int64_t v, cursor;
    int present, limit, b;
    char date[11];
    const char *e;

    err_clear(&err);
    q_page(rq, 500, &limit, &cursor, &err);
    err_clear(&err);
    q_page(rq, 200000, &limit, &cursor, &err);
    err_clear(&err);
    q_int(rq, "depot", &v, &present, &err);
    err_clear(&err);
    q_date(rq, "from", date, &present, &err);
    err_clear(&err);
    q_bool(rq, "active", &b, &err);
    err_clear(&err);
    q_enum(rq, "status", "recount_required|posted|cancelled", &e, &err);
    err_clear(&err);
    q_format_ok(rq, &err);
    q_export_format(rq);
}

static void value_parsers(const char *s)
{
    int64_t v;
    int y, m, d;
    time_t t;
    char out[260];

    parse_int64(s, &v);
    if (qty_parse(s, &v) == 0) {
        char txt[32];
        qty_format(v, txt, sizeof(txt));
    }
    date_parse(s, &y, &m, &d);
    datetime_parse(s, &t);
    like_escape(s, out, sizeof(out));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    struct args a = {0};
    struct req rq;
    char *method, *url, *query, scratch[512];
    const char *params[REQ_MAX_PARAMS];
    int nparams = 0, status = 0;

    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0'; /* MHD hands over C strings: a NUL ends them */
    method = text;
    url = strchr(text, ' ');
    if (url)
        *url++ = '\0';
    else
        url = text + strlen(text);
    query = strchr(url, '?');
    if (query)
        *query++ = '\0';

    memset(&rq, 0, sizeof(rq));
    rq.method = method;
    rq.path = url;
    rq.lookup = lookup;
    rq.ctx = &a;
    if (strlen(url) < sizeof(scratch)) {
        const struct route *rt = router_match(method, url, scratch, params, &nparams, &status);
        if (rt) {
            memcpy(rq.params, params, sizeof(params));
            rq.nparams = nparams;
            for (int i = 0; i < nparams; i++) {
                struct app_err err;
                int64_t id;
                err_clear(&err);
                path_id(&rq, i, &id, &err);
                value_parsers(params[i]);
            }
        }
    }

    for (char *p = query; p && *p && a.n < MAX_ARGS;) {
        char *amp = strchr(p, '&');
        if (amp)
            *amp = '\0';
        char *eq = strchr(p, '=');
        if (eq)
            *eq = '\0';
        unescape(p);
        a.key[a.n] = p;
        a.val[a.n] = eq ? eq + 1 : p + strlen(p);
        unescape(a.val[a.n]);
        value_parsers(a.val[a.n]);
        a.n++;
        p = amp ? amp + 1 : NULL;
    }
    query_readers(&rq);
    free(text);
    return 0;
}
