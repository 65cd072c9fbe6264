/*
 * query.h -- reading query strings and assembling list queries.
 *
 * List SQL is assembled from fixed fragments written in the handlers; every
 * value from the request goes into the db_params, never into the text.
 */
#ifndef RELIEF_QUERY_H
#define RELIEF_QUERY_H

#include "../core/buf.h"
#include "../store/db.h"
#include "http.h"

/* Each returns 0 (with *present 0 when absent) or -1 with 400 bad_query. */
int q_int(const struct req *rq, const char *key, int64_t *out, int *present, struct app_err *err);
int q_date(const struct req *rq, const char *key, char out[11], int *present, struct app_err *err);
int q_bool(const struct req *rq, const char *key, int *out, struct app_err *err);
/* limit (1..max, default 50) and an integer cursor (0 when absent). */
int q_page(const struct req *rq, int max, int *limit, int64_t *cursor, struct app_err *err);
/* "csv" or "xlsx" when the caller asked for a file (format=), else NULL. */
const char *q_export_format(const struct req *rq);
#define QB_EXPORT_MAX 100000 /* rows in one export */
/* format is absent, json, csv or xlsx; 400 bad_query otherwise (q_page checks it). */
int q_format_ok(const struct req *rq, struct app_err *err);
/* An optional word from a fixed list ("a|b|c"); 400 bad_query otherwise. */
int q_enum(const struct req *rq, const char *key, const char *allowed, const char **out,
           struct app_err *err);

/* A path or query value that is an id ("42") or a code ("D-441900003"):
 * sql_by_code selects the id by code with one '?'.  404 (or 422 for body
 * references) when nothing matches. */
int resolve_ref(struct db_conn *db, const char *ref, const char *sql_by_code, int64_t *id,
                int http_missing, const char *field, struct app_err *err);
/* resolve_ref for a query filter: 400 bad_query when nothing matches,
 * database failures passed through as they are. */
int resolve_filter(struct db_conn *db, const char *ref, const char *sql_by_code, int64_t *id,
                   const char *field, struct app_err *err);
/* The path parameter `i` as an id; 404 when it is not a positive integer. */
int path_id(const struct req *rq, int i, int64_t *id, struct app_err *err);

struct qb {
    struct buf sql;
    struct db_params ps;
};
void qb_init(struct qb *q, const char *base);
void qb_add(struct qb *q, const char *fragment); /* fixed SQL text only */
void qb_free(struct qb *q);
/* Filters: add `fragment` (one '?') with the value, only when there is one. */
void qb_where_str(struct qb *q, const char *fragment, const char *value); /* NULL: none */
void qb_where_int(struct qb *q, const char *fragment, int present, int64_t value);
/* A filter given by code or id (resolve_filter): nothing when ref is NULL,
 * -1 with 400 bad_query when it names nothing. */
int qb_where_ref(struct qb *q, struct db_conn *db, const char *ref, const char *sql_by_code,
                 const char *field, const char *fragment, struct app_err *err);
/* Run it, answering with rows 0..limit-1 and next_cursor = cursor_col of the
 * last row when a further row exists; with format=csv or xlsx, those rows as
 * a file named after the path (every list is exportable this way). */
int qb_page(struct qb *q, struct req *rq, struct resp *rs, int limit, const char *cursor_col,
            struct app_err *err);

/* Escape % _ and \ so a search term is literal inside LIKE. */
void like_escape(const char *in, char *out, size_t n);

#endif
