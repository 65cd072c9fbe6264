/*
 * h_label_render.c -- labels as pictures: GET /labels/{code}.svg|.png (one
 * label, through h_label_get, which finds and scope-checks it first) and
 * POST /label-sheets (many labels as an A4 PDF or as ZPL).
 *
 * The drawing is labels/ (no database there); here the records are read
 * (label_load), the request checked, and the bytes handed back as the body.
 * Everything is made in this process: no outside service, no temp files.
 *
 * A sheet may hold at most SHEET_MAX labels.  The count is known before any
 * label is read or drawn -- from the length of "codes", or by counting a
 * depot's labels -- so a request for a hundred thousand labels is a quick
 * 413 too_many_labels, never a long render.
 */
#include "handlers.h"
#include "jsonin.h"
#include "query.h"

#include "../core/util.h"
#include "../domain/label.h"
#include "../store/db.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHEET_MAX 5000

/* A render that failed: the only failure a client can cause (a public base
 * URL too long for a QR code) is a setting; the rest are ours. */
static int render_failed(int e, struct app_err *err)
{
    if (e == ERANGE)
        return err_set(err, 422, "rule_broken",
                       "the public base URL is too long to fit in a label's QR code");
    return err_set(err, 500, "internal", "label rendering failed (%s)", strerror(e));
}

static void set_body(struct resp *rs, void *p, size_t len, const char *type, const char *disp)
{
    rs->status = 200;
    rs->body = p;
    rs->body_len = len;
    rs->content_type = type;
    free(rs->content_disposition);
    rs->content_disposition = disp ? strdup(disp) : NULL;
}

int h_label_image(struct req *rq, struct resp *rs, int64_t label_id, const char *fmt,
                  struct app_err *err)
{
    const char *size_s, *dpi_s, *base = rq->app->cfg->public_base;
    struct label_size size = LABEL_50x30;
    struct label_set set;
    char disp[96];
    void *p;
    size_t len = 0;
    int png = strcmp(fmt, "png") == 0, dpi = 203;

    if (q_enum(rq, "size", "50x30|100x50", &size_s, err) != 0 ||
        q_enum(rq, "dpi", "203|300", &dpi_s, err) != 0)
        return -1;
    if (size_s && strcmp(size_s, "100x50") == 0)
        size = LABEL_100x50;
    if (dpi_s && strcmp(dpi_s, "300") == 0)
        dpi = 300;
    if (label_load(rq->db, &label_id, 1, &set, err) != 0)
        return -1;
    errno = 0;
    p = png ? (void *)labels_png(&set.items[0], base, size, dpi, &len)
            : (void *)labels_svg(&set.items[0], base, size, &len);
    if (!p) {
        int e = errno ? errno : ENOMEM;
        label_set_free(&set);
        return render_failed(e, err);
    }
    /* inline: shown in the browser, and "Save as" offers the code as the name. */
    snprintf(disp, sizeof(disp), "inline; filename=\"label-%s.%s\"", set.items[0].code,
             png ? "png" : "svg");
    label_set_free(&set);
    set_body(rs, p, len, png ? "image/png" : "image/svg+xml", disp);
    return 0;
}

/* ---------------------------------------------------------------- sheets */

/* The numbers of a margins_mm or gap_mm object (keys not given keep the
 * preset's value), each 0..100 mm. */
static int read_mm(json_t *obj, const char *outer, const char *const *keys, double *const *vals,
                   size_t n, struct app_err *err)
{
    struct jfield spec[4];

    for (size_t i = 0; i < n; i++)
        spec[i] = (struct jfield){keys[i], JF_NUM, 0, vals[i], 0, NULL};
    if (json_read(obj, spec, n, err) != 0) {
        char f[sizeof(err->field) + 16];
        snprintf(f, sizeof(f), "%s.%s", outer, err->field);
        str_copy(err->field, sizeof(err->field), f);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (!(*vals[i] >= 0 && *vals[i] <= 100))
            return err_field(err, 400, "bad_value", outer, "%s.%s must be 0..100 (mm)", outer,
                             keys[i]);
    return 0;
}

/* Too many?  Checked before anything is read or drawn. */
static int check_count(size_t n, struct app_err *err)
{
    if (n > SHEET_MAX)
        return err_set(err, 413, "too_many_labels",
                       "a sheet holds at most %d labels; this asks for %zu (split it)", SHEET_MAX,
                       n);
    return 0;
}

/* Each code resolved to its label, and each label's depot in the caller's scope. */
static int ids_from_codes(struct req *rq, json_t *codes, int64_t *ids, struct app_err *err)
{
    int64_t checked[16]; /* depots already found in scope, most recent first to be replaced */
    size_t nchecked = 0, next = 0, i;
    json_t *v;

    json_array_foreach(codes, i, v)
    {
        char replaced[LABEL_CODE_LEN + 1];
        int64_t depot;
        int known = 0;

        if (!json_is_string(v))
            return err_field(err, 400, "bad_type", "codes", "codes[%zu] must be a string", i);
        if (label_find(rq->db, json_string_value(v), &ids[i], &depot, replaced, err) != 0) {
            /* A void label's message names its replacement: only for callers
             * who may see that depot. */
            if (err->http == 410) {
                struct app_err scope;
                err_clear(&scope);
                if (auth_check_depot(rq->db, &rq->who, depot, &scope) != 0) {
                    *err = scope;
                    return -1;
                }
            }
            /* A code in a body that names nothing is a bad reference, not a missing page. */
            if (err->http == 404) {
                err->http = 422;
                str_copy(err->code, sizeof(err->code), "unknown_reference");
            } else if (err->http == 410) {
                err->http = 422; /* code stays label_void, the message names the replacement */
            }
            str_copy(err->field, sizeof(err->field), "codes");
            return -1;
        }
        /* Sheets come from one depot or a few: remember the last ones checked. */
        for (size_t k = 0; k < nchecked && !known; k++)
            known = checked[k] == depot;
        if (!known) {
            if (auth_check_depot(rq->db, &rq->who, depot, err) != 0)
                return -1;
            checked[next] = depot;
            next = (next + 1) % 16;
            if (nchecked < 16)
                nchecked++;
        }
    }
    return 0;
}

/* A depot's active labels (the depot's own, its bins', then what lies in
 * them), or its queued print jobs, in print order. */
static int ids_from_depot(struct req *rq, int64_t depot, int jobs, int64_t **ids, size_t *n,
                          struct app_err *err)
{
    static const char SQL_COUNT_LABELS[] =
        "SELECT COUNT(*) FROM label WHERE depot_id = ? AND status = 'active'";
    static const char SQL_COUNT_JOBS[] =
        "SELECT COUNT(*) FROM label_print_job j JOIN label l ON l.id = j.label_id"
        " WHERE j.depot_id = ? AND j.status = 'queued' AND l.status = 'active'";
    static const char SQL_LABELS[] =
        "SELECT l.id FROM label l LEFT JOIN bin b ON b.id = l.bin_id"
        " WHERE l.depot_id = ? AND l.status = 'active'"
        " ORDER BY FIELD(l.kind, 'depot', 'bin', 'lot', 'asset'), b.code, l.id";
    static const char SQL_JOBS[] =
        "SELECT j.label_id FROM label_print_job j JOIN label l ON l.id = j.label_id"
        " WHERE j.depot_id = ? AND j.status = 'queued' AND l.status = 'active' ORDER BY j.id";
    struct db_res *r = NULL;
    int64_t count;

    if (auth_check_depot(rq->db, &rq->who, depot, err) != 0) {
        if (err->http == 404)
            err_field(err, 422, "unknown_reference", "depot_id", "no depot %lld", (long long)depot);
        return -1;
    }
    if (db_query_int(rq->db, &count, err, jobs ? SQL_COUNT_JOBS : SQL_COUNT_LABELS, "l",
                     (long long)depot) != 0 ||
        check_count((size_t)count, err) != 0)
        return -1;
    if (count == 0)
        return err_set(err, 422, "rule_broken",
                       jobs ? "the depot has no queued print jobs"
                            : "the depot has no active labels (POST /labels makes them)");
    if (db_query(rq->db, &r, err, jobs ? SQL_JOBS : SQL_LABELS, "l", (long long)depot) != 0)
        return -1;
    *n = (size_t)r->nrows;
    *ids = calloc(*n ? *n : 1, sizeof(**ids));
    if (!*ids) {
        db_res_free(r);
        return err_set(err, 500, "internal", "out of memory");
    }
    for (int i = 0; i < r->nrows; i++)
        (*ids)[i] = db_get_int(r, i, 0);
    db_res_free(r);
    /* Rows added between the count and the read could pass the limit. */
    return check_count(*n, err);
}

int h_label_sheet(struct req *rq, struct resp *rs, struct app_err *err)
{
    char format[8] = "pdf", layout[16] = "a4-3x8", size_s[16] = "50x30", disp[96];
    int64_t depot = 0, dpi = 203, *ids = NULL;
    int print_jobs = 0, has_depot, has_margins, has_gap, has_dpi, has_size, has_layout;
    json_t *codes, *margins = NULL, *gap = NULL, *rest = NULL;
    struct label_set set = {0};
    struct sheet_layout lay;
    struct label_size size = LABEL_50x30;
    const struct jfield spec[] = {
        {"depot_id", JF_ID, 0, &depot, 0, &has_depot},
        {"print_jobs", JF_BOOL, 0, &print_jobs, 0, NULL},
        {"format", JF_STR, 0, format, sizeof(format), NULL},
        {"layout", JF_STR, 0, layout, sizeof(layout), &has_layout},
        {"margins_mm", JF_OBJECT, 0, &margins, 0, &has_margins},
        {"gap_mm", JF_OBJECT, 0, &gap, 0, &has_gap},
        {"dpi", JF_INT, 0, &dpi, 0, &has_dpi},
        {"size", JF_STR, 0, size_s, sizeof(size_s), &has_size},
    };
    size_t n = 0, len = 0;
    void *out = NULL;
    int zpl, rc = -1;

    /* "codes" is an array, which json_read has no type for: take it out first. */
    codes = json_object_get(rq->body, "codes"); /* borrowed */
    if (codes && json_is_null(codes))
        codes = NULL;
    rest = json_copy(rq->body); /* shallow: the values are shared, the keys ours to drop */
    if (!rest)
        return err_set(err, 500, "internal", "out of memory");
    json_object_del(rest, "codes");
    if (json_read(rest, spec, sizeof(spec) / sizeof(spec[0]), err) != 0)
        goto out;

    /* What to print, and how many: refused before anything is read or drawn. */
    if (codes) {
        if (!json_is_array(codes)) {
            err_field(err, 400, "bad_type", "codes", "codes must be an array of label codes");
            goto out;
        }
        if (has_depot || print_jobs) {
            err_field(err, 400, "bad_value", "codes",
                      "give codes, or depot_id (with print_jobs), not both");
            goto out;
        }
        n = json_array_size(codes);
        if (check_count(n, err) != 0)
            goto out;
        if (n == 0) {
            err_field(err, 400, "bad_value", "codes", "codes must not be empty");
            goto out;
        }
    } else if (!has_depot) {
        err_field(err, 400, "missing_field", print_jobs ? "depot_id" : "codes",
                  "give codes, depot_id, or print_jobs with depot_id");
        goto out;
    }

    /* The format and its options. */
    zpl = strcmp(format, "zpl") == 0;
    if (!zpl && strcmp(format, "pdf") != 0) {
        err_field(err, 400, "bad_value", "format", "format is pdf or zpl");
        goto out;
    }
    if (zpl) {
        if (has_layout || has_margins || has_gap) {
            err_field(err, 400, "bad_value",
                      has_layout    ? "layout"
                      : has_margins ? "margins_mm"
                                    : "gap_mm",
                      "layout, margins_mm and gap_mm are for PDF sheets");
            goto out;
        }
        if (dpi != 203 && dpi != 300) {
            err_field(err, 400, "bad_value", "dpi", "dpi is 203 or 300");
            goto out;
        }
        if (strcmp(size_s, "100x50") == 0) {
            size = LABEL_100x50;
        } else if (strcmp(size_s, "50x30") != 0) {
            err_field(err, 400, "bad_value", "size", "size is 50x30 or 100x50");
            goto out;
        }
    } else {
        if (has_dpi || has_size) {
            err_field(err, 400, "bad_value", has_dpi ? "dpi" : "size",
                      "dpi and size are for ZPL; a PDF sheet's labels follow its layout");
            goto out;
        }
        if (labels_sheet_preset(layout, &lay) != 0) {
            err_field(err, 400, "bad_value", "layout", "layout is a4-3x8 or a4-2x5");
            goto out;
        }
        if (margins) {
            static const char *const keys[] = {"top", "left", "bottom", "right"};
            double *const vals[] = {&lay.margin_top_mm, &lay.margin_left_mm, &lay.margin_bottom_mm,
                                    &lay.margin_right_mm};
            if (read_mm(margins, "margins_mm", keys, vals, 4, err) != 0)
                goto out;
        }
        if (gap) {
            static const char *const keys[] = {"x", "y"};
            double *const vals[] = {&lay.gap_x_mm, &lay.gap_y_mm};
            if (read_mm(gap, "gap_mm", keys, vals, 2, err) != 0)
                goto out;
        }
        if (labels_sheet_label_size(&lay, &size) != 0) {
            err_field(err, 400, "bad_value", has_margins ? "margins_mm" : "gap_mm",
                      "with these margins and gaps the labels would be smaller than %.0f x %.0f mm",
                      LABELS_MIN_W_MM, LABELS_MIN_H_MM);
            goto out;
        }
    }

    /* The labels: resolved, scope-checked, read. */
    if (codes) {
        ids = calloc(n, sizeof(*ids));
        if (!ids) {
            err_set(err, 500, "internal", "out of memory");
            goto out;
        }
        if (ids_from_codes(rq, codes, ids, err) != 0)
            goto out;
    } else if (ids_from_depot(rq, depot, print_jobs, &ids, &n, err) != 0) {
        goto out;
    }
    if (label_load(rq->db, ids, n, &set, err) != 0)
        goto out;

    errno = 0;
    out =
        zpl ? (void *)labels_zpl(set.items, set.n, rq->app->cfg->public_base, size, (int)dpi, &len)
            : (void *)labels_pdf_sheet(set.items, set.n, rq->app->cfg->public_base, &lay, &len);
    if (!out) {
        render_failed(errno ? errno : ENOMEM, err);
        goto out;
    }
    snprintf(disp, sizeof(disp), "attachment; filename=\"labels-%zu.%s\"", set.n,
             zpl ? "zpl" : "pdf");
    set_body(rs, out, len, zpl ? "text/plain; charset=utf-8" : "application/pdf", disp);
    rc = 0;
out:
    label_set_free(&set);
    free(ids);
    json_decref(rest);
    return rc;
}
