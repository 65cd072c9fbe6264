#include "http.h"

#include "../core/buf.h"
#include "../core/util.h"
#include "../store/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void resp_json(struct resp *rs, int status, json_t *j)
{
    json_decref(rs->json);
    rs->status = status;
    rs->json = j;
}

json_t *json_qty(int64_t milli)
{
    if (milli % QTY_SCALE == 0)
        return json_integer(milli / QTY_SCALE);
    return json_real(qty_to_double(milli));
}

/* "2026-11-28 10:00:00.000000" -> "2026-11-28T10:00:00Z" (whole seconds). */
static json_t *json_datetime(const char *s)
{
    char out[32];
    if (strlen(s) < 19)
        return json_string(s);
    memcpy(out, s, 10);
    out[10] = 'T';
    memcpy(out + 11, s + 11, 8);
    out[19] = 'Z';
    out[20] = '\0';
    return json_string(out);
}

static json_t *json_cell(const struct db_res *r, int row, int col)
{
    const char *s = db_get(r, row, col);
    const char *name = r->names[col];
    int64_t v;

    if (!s)
        return json_null();
    switch (r->types[col]) {
    case DB_T_INT:
        if (strncmp(name, "is_", 3) == 0 || strcmp(name, "active") == 0 ||
            strcmp(name, "integral") == 0 || strcmp(name, "quarantined") == 0 ||
            strcmp(name, "auto_print_labels") == 0)
            return json_boolean(strcmp(s, "0") != 0);
        if (parse_int64(s, &v) == 0)
            return json_integer(v);
        return json_string(s);
    case DB_T_DEC:
        if (qty_parse(s, &v) == 0)
            return json_qty(v);
        return json_real(strtod(s, NULL));
    case DB_T_FLOAT:
        return json_real(strtod(s, NULL));
    case DB_T_DATETIME:
        return json_datetime(s);
    default:
        return json_string(s);
    }
}

json_t *json_from_row(const struct db_res *r, int row)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    for (int c = 0; c < r->ncols; c++)
        json_object_set_new(o, r->names[c], json_cell(r, row, c));
    return o;
}

json_t *json_one(struct db_conn *db, const char *sql, int64_t id, const char *what,
                 struct app_err *err)
{
    struct db_res *r = NULL;
    json_t *o;

    if (db_query(db, &r, err, sql, "l", (long long)id) != 0)
        return NULL;
    if (r->nrows == 0) {
        db_res_free(r);
        err_set(err, 404, "not_found", "no such %s", what);
        return NULL;
    }
    o = json_from_row(r, 0);
    db_res_free(r);
    return o;
}

json_t *json_from_rows(const struct db_res *r)
{
    json_t *a = json_array();
    if (!a)
        return NULL;
    for (int i = 0; i < r->nrows; i++)
        json_array_append_new(a, json_from_row(r, i));
    return a;
}

/* RFC 4180: quote a field when it holds a comma, quote, or line break.  A
 * leading =, +, - or @ is prefixed with ' so spreadsheets do not run it. */
static int csv_field(struct buf *b, const char *s)
{
    int quote = strpbrk(s, ",\"\r\n") != NULL;
    if (strchr("=+-@", s[0]) && s[0] && !(s[0] == '-' && s[1] >= '0' && s[1] <= '9')) {
        if (buf_append(b, "'", 1) != 0)
            return -1;
    }
    if (!quote)
        return buf_append(b, s, strlen(s));
    if (buf_append(b, "\"", 1) != 0)
        return -1;
    for (const char *p = s; *p; p++) {
        if (*p == '"' && buf_append(b, "\"", 1) != 0)
            return -1;
        if (buf_append(b, p, 1) != 0)
            return -1;
    }
    return buf_append(b, "\"", 1);
}

int resp_csv(struct resp *rs, const struct db_res *r, const char *filename)
{
    struct buf b;
    char cd[160];

    buf_init(&b, (size_t)256 << 20);
    for (int c = 0; c < r->ncols; c++)
        if ((c && buf_append(&b, ",", 1) != 0) || csv_field(&b, r->names[c]) != 0)
            goto fail;
    if (buf_append(&b, "\r\n", 2) != 0)
        goto fail;
    for (int i = 0; i < r->nrows; i++) {
        for (int c = 0; c < r->ncols; c++) {
            const char *s = db_get(r, i, c);
            char tmp[40];
            int64_t q;
            /* The same forms as the JSON answers: ISO times, shortest decimals. */
            if (s && r->types[c] == DB_T_DATETIME && strlen(s) >= 19) {
                snprintf(tmp, sizeof(tmp), "%.10sT%.8sZ", s, s + 11);
                s = tmp;
            } else if (s && r->types[c] == DB_T_DEC && qty_parse(s, &q) == 0) {
                qty_format(q, tmp, sizeof(tmp));
                s = tmp;
            }
            if ((c && buf_append(&b, ",", 1) != 0) || csv_field(&b, s ? s : "") != 0)
                goto fail;
        }
        if (buf_append(&b, "\r\n", 2) != 0)
            goto fail;
    }
    rs->status = 200;
    rs->body = buf_steal(&b, &rs->body_len);
    rs->content_type = "text/csv; charset=utf-8";
    snprintf(cd, sizeof(cd), "attachment; filename=\"%s\"", filename);
    rs->content_disposition = strdup(cd);
    return 0;
fail:
    buf_free(&b);
    return -1;
}
