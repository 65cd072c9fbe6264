/*
 * export.c -- CSV and XLSX of a JSON array of objects (export.h).
 */
#include "export.h"

#include "../core/buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xlsxwriter.h>

#define EXPORT_MAX ((size_t)64 << 20)
#define EXPORT_MAX_COLS 256

/* The column names: scalar-valued keys of the first object (borrowed). */
static int columns(json_t *rows, const char **cols)
{
    json_t *first = json_array_get(rows, 0), *v;
    const char *k;
    int n = 0;

    if (!json_is_object(first))
        return 0;
    json_object_foreach(first, k, v)
    {
        if (json_is_object(v) || json_is_array(v) || n == EXPORT_MAX_COLS)
            continue;
        cols[n++] = k;
    }
    return n;
}

static void set_attachment(struct resp *rs, const char *type, const char *filename)
{
    char cd[200];
    snprintf(cd, sizeof(cd), "attachment; filename=\"%s\"", filename);
    rs->status = 200;
    rs->content_type = type;
    free(rs->content_disposition);
    rs->content_disposition = strdup(cd);
}

/* RFC 4180 field with the spreadsheet-formula guard of respond.c. */
static int csv_field(struct buf *b, const char *s)
{
    int rc = 0;
    if (s[0] && strchr("=+-@", s[0]) && !(s[0] == '-' && s[1] >= '0' && s[1] <= '9'))
        rc |= buf_append(b, "'", 1);
    if (!strpbrk(s, ",\"\r\n"))
        return rc | buf_append(b, s, strlen(s));
    rc |= buf_append(b, "\"", 1);
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            rc |= buf_append(b, "\"", 1);
        rc |= buf_append(b, p, 1);
    }
    return rc | buf_append(b, "\"", 1);
}

/* A scalar as text ("" for null); numbers in their shortest form. */
static void scalar_text(json_t *v, char *t, size_t n)
{
    if (json_is_string(v))
        snprintf(t, n, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(t, n, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(t, n, "%.15g", json_real_value(v));
    else if (json_is_boolean(v))
        snprintf(t, n, "%s", json_is_true(v) ? "true" : "false");
    else
        t[0] = '\0';
}

int resp_csv_json(struct resp *rs, json_t *rows, const char *filename, struct app_err *err)
{
    const char *cols[EXPORT_MAX_COLS];
    int nc = columns(rows, cols), rc = 0;
    struct buf b;
    size_t i;
    json_t *row;

    buf_init(&b, EXPORT_MAX);
    for (int c = 0; c < nc; c++)
        rc |= (c ? buf_append(&b, ",", 1) : 0) | csv_field(&b, cols[c]);
    rc |= buf_append(&b, "\r\n", 2);
    json_array_foreach(rows, i, row)
    {
        for (int c = 0; c < nc; c++) {
            char t[4096];
            scalar_text(json_object_get(row, cols[c]), t, sizeof(t));
            rc |= (c ? buf_append(&b, ",", 1) : 0) | csv_field(&b, t);
        }
        rc |= buf_append(&b, "\r\n", 2);
    }
    if (rc != 0) {
        buf_free(&b);
        return err_set(err, 500, "internal", "export too large");
    }
    rs->body = buf_steal(&b, &rs->body_len);
    set_attachment(rs, "text/csv; charset=utf-8", filename);
    return 0;
}

/* The whole of a file (malloc'd); NULL on failure. */
static char *slurp(int fd, size_t *len)
{
    struct stat st;
    char *p;
    size_t got = 0;

    if (fstat(fd, &st) != 0 || st.st_size <= 0 || (size_t)st.st_size > EXPORT_MAX)
        return NULL;
    p = malloc((size_t)st.st_size);
    if (!p)
        return NULL;
    if (lseek(fd, 0, SEEK_SET) != 0) {
        free(p);
        return NULL;
    }
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, p + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            free(p);
            return NULL;
        }
        got += (size_t)n;
    }
    *len = got;
    return p;
}

int resp_xlsx_json(struct resp *rs, json_t *rows, const char *sheet, const char *filename,
                   struct app_err *err)
{
    const char *cols[EXPORT_MAX_COLS];
    int nc = columns(rows, cols), fd, rc = -1;
    char path[] = "/tmp/reliefstock-xlsx-XXXXXX";
    lxw_workbook *wb;
    lxw_worksheet *ws;
    lxw_format *bold;
    size_t i, len = 0;
    json_t *row;
    char *data;

    fd = mkstemp(path);
    if (fd < 0)
        return err_set(err, 500, "internal", "no temporary file for the export");
    wb = workbook_new(path);
    if (!wb)
        goto done;
    ws = workbook_add_worksheet(wb, sheet);
    bold = workbook_add_format(wb);
    format_set_bold(bold);
    for (int c = 0; c < nc; c++)
        worksheet_write_string(ws, 0, (lxw_col_t)c, cols[c], bold);
    json_array_foreach(rows, i, row)
    {
        lxw_row_t r = (lxw_row_t)(i + 1);
        for (int c = 0; c < nc; c++) {
            json_t *v = json_object_get(row, cols[c]);
            if (json_is_number(v))
                worksheet_write_number(ws, r, (lxw_col_t)c, json_number_value(v), NULL);
            else if (json_is_boolean(v))
                worksheet_write_boolean(ws, r, (lxw_col_t)c, json_is_true(v), NULL);
            else if (json_is_string(v))
                worksheet_write_string(ws, r, (lxw_col_t)c, json_string_value(v), NULL);
        }
    }
    if (workbook_close(wb) != LXW_NO_ERROR)
        goto done;
    data = slurp(fd, &len);
    if (!data)
        goto done;
    rs->body = data;
    rs->body_len = len;
    set_attachment(rs, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                   filename);
    rc = 0;
done:
    close(fd);
    unlink(path);
    if (rc != 0)
        err_set(err, 500, "internal", "the XLSX export failed");
    return rc;
}

void resp_pdf(struct resp *rs, char *pdf, size_t len, const char *filename)
{
    char cd[200];
    snprintf(cd, sizeof(cd), "inline; filename=\"%s\"", filename);
    rs->status = 200;
    rs->body = pdf;
    rs->body_len = len;
    rs->content_type = "application/pdf";
    free(rs->content_disposition);
    rs->content_disposition = strdup(cd);
}
