#include "query.h"

#include "export.h"

#include "../core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int q_int(const struct req *rq, const char *key, int64_t *out, int *present, struct app_err *err)
{
    const char *v = req_query(rq, key);
    *present = 0;
    if (!v)
        return 0;
    if (parse_int64(v, out) != 0 || *out <= 0)
        return err_field(err, 400, "bad_query", key, "%s must be a positive integer", key);
    *present = 1;
    return 0;
}

int q_date(const struct req *rq, const char *key, char out[11], int *present, struct app_err *err)
{
    const char *v = req_query(rq, key);
    int y, m, d;
    *present = 0;
    if (!v)
        return 0;
    if (date_parse(v, &y, &m, &d) != 0)
        return err_field(err, 400, "bad_date", key, "%s must be a date YYYY-MM-DD", key);
    memcpy(out, v, 11);
    *present = 1;
    return 0;
}

int q_bool(const struct req *rq, const char *key, int *out, struct app_err *err)
{
    const char *v = req_query(rq, key);
    if (!v)
        return 0;
    if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
        *out = 1;
    else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
        *out = 0;
    else
        return err_field(err, 400, "bad_query", key, "%s must be true or false", key);
    return 0;
}

int q_page(const struct req *rq, int max, int *limit, int64_t *cursor, struct app_err *err)
{
    const char *l = req_query(rq, "limit"), *c = req_query(rq, "cursor");
    int64_t v;

    if (q_format_ok(rq, err) != 0)
        return -1;
    /* An export takes everything up to its own maximum unless told otherwise. */
    if (q_export_format(rq))
        max = max > QB_EXPORT_MAX ? max : QB_EXPORT_MAX;
    *limit = q_export_format(rq) ? max : 50;
    *cursor = 0;
    if (l) {
        if (parse_int64(l, &v) != 0 || v < 1 || v > max)
            return err_field(err, 400, "bad_query", "limit", "limit must be 1..%d", max);
        *limit = (int)v;
    }
    if (c && *c) {
        if (parse_int64(c, &v) != 0 || v <= 0)
            return err_field(err, 400, "bad_query", "cursor", "cursor is not one we gave out");
        *cursor = v;
    }
    return 0;
}

const char *q_export_format(const struct req *rq)
{
    const char *f = req_query(rq, "format");
    if (f && (strcmp(f, "csv") == 0 || strcmp(f, "xlsx") == 0))
        return f;
    return NULL;
}

int q_format_ok(const struct req *rq, struct app_err *err)
{
    const char *f = req_query(rq, "format");
    if (f && strcmp(f, "csv") != 0 && strcmp(f, "xlsx") != 0 && strcmp(f, "json") != 0)
        return err_field(err, 400, "bad_query", "format", "format is json, csv or xlsx");
    return 0;
}

int q_enum(const struct req *rq, const char *key, const char *allowed, const char **out,
           struct app_err *err)
{
    const char *v = req_query(rq, key);
    size_t n;

    *out = NULL;
    if (!v)
        return 0;
    n = strlen(v);
    for (const char *p = allowed; *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, v, n) == 0) {
            *out = v;
            return 0;
        }
        if (!bar)
            break;
        p = bar + 1;
    }
    return err_field(err, 400, "bad_query", key, "%s is one of %s", key, allowed);
}

int resolve_ref(struct db_conn *db, const char *ref, const char *sql_by_code, int64_t *id,
                int http_missing, const char *field, struct app_err *err)
{
    int64_t v;
    const char *code = http_missing == 404 ? "not_found" : "unknown_reference";

    /* Codes first: org-unit codes are all digits (441900101) and must not be
     * taken for ids.  A number that is no code is then read as an id. */
    if (strlen(ref) <= 64) {
        if (db_query_int(db, &v, err, sql_by_code, "s", ref) == 0) {
            *id = v;
            return 0;
        }
        if (err && err->http >= 500)
            return -1;
    }
    if (parse_int64(ref, &v) == 0 && v > 0) {
        *id = v;
        return 0;
    }
    return err_field(err, http_missing, code, field, "no %s %s", field, ref);
}

int resolve_filter(struct db_conn *db, const char *ref, const char *sql_by_code, int64_t *id,
                   const char *field, struct app_err *err)
{
    if (resolve_ref(db, ref, sql_by_code, id, 400, field, err) == 0)
        return 0;
    if (err && err->http < 500)
        err_field(err, 400, "bad_query", field, "%s: nothing is called %s", field, ref);
    return -1;
}

int path_id(const struct req *rq, int i, int64_t *id, struct app_err *err)
{
    if (i >= rq->nparams || parse_int64(rq->params[i], id) != 0 || *id <= 0)
        return err_set(err, 404, "not_found", "no such record");
    return 0;
}

void qb_init(struct qb *q, const char *base)
{
    buf_init(&q->sql, 16384);
    memset(&q->ps, 0, sizeof(q->ps));
    buf_append(&q->sql, base, strlen(base));
}

void qb_add(struct qb *q, const char *fragment)
{
    buf_append(&q->sql, fragment, strlen(fragment));
}

void qb_where_str(struct qb *q, const char *fragment, const char *value)
{
    if (!value)
        return;
    qb_add(q, fragment);
    dbp_str(&q->ps, value);
}

void qb_where_int(struct qb *q, const char *fragment, int present, int64_t value)
{
    if (!present)
        return;
    qb_add(q, fragment);
    dbp_int(&q->ps, value);
}

int qb_where_ref(struct qb *q, struct db_conn *db, const char *ref, const char *sql_by_code,
                 const char *field, const char *fragment, struct app_err *err)
{
    int64_t id;
    if (!ref)
        return 0;
    if (resolve_filter(db, ref, sql_by_code, &id, field, err) != 0)
        return -1;
    qb_where_int(q, fragment, 1, id);
    return 0;
}

void qb_free(struct qb *q)
{
    buf_free(&q->sql);
}

/* The file name of an export: the last path segment ("/api/v1/stock" -> stock.csv). */
static void export_name(const struct req *rq, const char *ext, char *out, size_t n)
{
    const char *slash = strrchr(rq->path, '/');
    const char *base = slash && slash[1] ? slash + 1 : "export";
    snprintf(out, n, "%.64s.%s", base, ext);
}

static int qb_file(struct db_res *r, struct req *rq, struct resp *rs, const char *fmt,
                   struct app_err *err)
{
    char name[80];
    int rc;

    export_name(rq, fmt, name, sizeof(name));
    if (strcmp(fmt, "csv") == 0) {
        if (resp_csv(rs, r, name) != 0)
            return err_set(err, 500, "internal", "export too large");
        return 0;
    }
    json_t *rows = json_from_rows(r);
    if (!rows)
        return err_set(err, 500, "internal", "out of memory");
    rc = resp_xlsx_json(rs, rows, "export", name, err);
    json_decref(rows);
    return rc;
}

int qb_page(struct qb *q, struct req *rq, struct resp *rs, int limit, const char *cursor_col,
            struct app_err *err)
{
    struct db_res *r = NULL;
    const char *fmt = q_export_format(rq);
    json_t *items, *out;
    int n;

    if (db_query_p(rq->db, &r, err, q->sql.data, &q->ps) != 0)
        return -1;
    n = r->nrows > limit ? limit : r->nrows;
    if (fmt) {
        int keep = r->nrows, rc; /* the extra row only tells there is more */
        r->nrows = n;
        rc = qb_file(r, rq, rs, fmt, err);
        r->nrows = keep;
        db_res_free(r);
        return rc;
    }
    items = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(items, json_from_row(r, i));
    out = json_pack("{s:o}", "items", items);
    if (r->nrows > limit) {
        const char *cur = db_getn(r, limit - 1, cursor_col);
        json_object_set_new(out, "next_cursor", json_string(cur ? cur : ""));
    } else {
        json_object_set_new(out, "next_cursor", json_null());
    }
    db_res_free(r);
    resp_json(rs, 200, out);
    return 0;
}

void like_escape(const char *in, char *out, size_t n)
{
    size_t j = 0;
    for (const char *p = in; *p && j + 2 < n; p++) {
        if (*p == '%' || *p == '_' || *p == '\\')
            out[j++] = '\\';
        out[j++] = *p;
    }
    out[j] = '\0';
}
