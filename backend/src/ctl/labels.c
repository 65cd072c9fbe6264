/*
 * labels.c -- `reliefctl labels`: print the labels of a depot, of some lots,
 * or of everything received since a day, making the labels that do not
 * exist yet.
 *
 *   --depot CODE   the depot's own label, one per active bin, one per lot in
 *                  each bin that holds stock, one per asset in service or
 *                  under repair
 *   --lots ID,...  one per bin each of these lots has stock in
 *   --since DAY    one per (bin, lot) with stock that received a receipt or
 *                  a transfer in on or after DAY (UTC)
 *
 * Labels are made with label_ensure (the same rule as POST /labels: one
 * active label per object, so running this twice prints the same codes), in
 * transactions of LABELS_TXN_ROWS, by the first admin user.  Then they are
 * rendered in this process (labels/) and each one's print count goes up:
 *   pdf  one A4 file (--layout a4-3x8 or a4-2x5)
 *   zpl  one file for a thermal printer (--dpi, --size); `--out -` writes to
 *        stdout, e.g. for `| nc printer 9100`
 *   svg, png  a directory with one <CODE>.svg / <CODE>.png per label (--size;
 *        --dpi for PNG): for a label designer or a printer driver of its own.
 */
#include "ctl.h"

#include "../core/buf.h"
#include "../core/util.h"
#include "../domain/label.h"
#include "../store/db.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define LABELS_TXN_ROWS 500

/* The objects to label, as (kind, depot, bin, lot, asset) rows in print order. */
static const char SQL_DEPOT[] =
    "SELECT 'depot' AS kind, d.id AS depot_id, NULL AS bin_id, NULL AS lot_id, NULL AS asset_id,"
    " 0 AS o1, '' AS o2, 0 AS o3 FROM depot d WHERE d.id = ?"
    " UNION ALL SELECT 'bin', b.depot_id, b.id, NULL, NULL, 1, b.code, b.id FROM bin b"
    " WHERE b.depot_id = ? AND b.active = 1"
    " UNION ALL SELECT 'lot', s.depot_id, s.bin_id, s.lot_id, NULL, 2, b.code, s.lot_id"
    " FROM stock s JOIN bin b ON b.id = s.bin_id WHERE s.depot_id = ? AND s.qty > 0"
    " UNION ALL SELECT 'asset', a.depot_id, NULL, NULL, a.id, 3, a.serial_no, a.id FROM asset a"
    " WHERE a.depot_id = ? AND a.status IN ('in_service', 'under_repair')"
    " ORDER BY 6, 7, 8";

static const char SQL_LOTS_UNKNOWN[] =
    "SELECT j.id FROM JSON_TABLE(?, '$[*]' COLUMNS (id BIGINT PATH '$')) AS j"
    " LEFT JOIN lot l ON l.id = j.id WHERE l.id IS NULL";

static const char SQL_LOTS[] =
    "SELECT 'lot', s.depot_id, s.bin_id, s.lot_id, NULL"
    " FROM JSON_TABLE(?, '$[*]' COLUMNS (n FOR ORDINALITY, id BIGINT PATH '$')) AS j"
    " JOIN stock s ON s.lot_id = j.id JOIN bin b ON b.id = s.bin_id"
    " JOIN depot d ON d.id = s.depot_id WHERE s.qty > 0 ORDER BY j.n, d.code, b.code";

/* "Received" counts arrivals by transfer too: for the depot it is a receipt. */
static const char SQL_SINCE[] =
    "SELECT 'lot', s.depot_id, s.bin_id, s.lot_id, NULL FROM stock s"
    " JOIN bin b ON b.id = s.bin_id JOIN depot d ON d.id = s.depot_id JOIN lot l ON l.id = s.lot_id"
    " WHERE s.qty > 0 AND EXISTS (SELECT 1 FROM movement m WHERE m.bin_id = s.bin_id"
    "   AND m.lot_id = s.lot_id AND m.kind IN ('receive', 'transfer_in') AND m.occurred_at >= ?)"
    " ORDER BY d.code, b.code, l.lot_no, s.lot_id";

static const char SQL_PRINTED[] =
    "UPDATE label l JOIN JSON_TABLE(?, '$[*]' COLUMNS (id INT UNSIGNED PATH '$')) AS j"
    " ON l.id = j.id SET l.print_count = l.print_count + 1, l.last_printed_at = NOW(6)";

struct opts {
    const char *depot, *lots, *since, *format, *out, *layout, *size, *base;
    int dpi;
};

static int usage(void)
{
    fprintf(stderr,
            "usage: reliefctl labels (--depot CODE | --lots ID,ID,... | --since YYYY-MM-DD)\n"
            "                        --format pdf|zpl|svg|png --out FILE|DIR\n"
            "                        [--layout a4-3x8|a4-2x5] [--size 50x30|100x50]"
            " [--dpi 203|300] [--base URL]\n"
            "Prints the labels of a depot (its own, its bins', the lots in them, its assets),\n"
            "of the stock of some lots, or of the stock received since a day, creating the\n"
            "labels that do not exist yet.  pdf is an A4 sheet (default layout a4-3x8), zpl a\n"
            "thermal printer's file (default 203 dpi, 50x30 mm; --out - for stdout), svg and\n"
            "png one file per label in the directory DIR.  --base defaults to\n"
            "RELIEF_PUBLIC_BASE.\n");
    return CTL_USAGE;
}

/* "12,15,40" -> the JSON array "[12,15,40]"; -1 when an entry is not a positive id. */
static int lots_json(const char *list, struct buf *json, size_t *n)
{
    char item[24];
    const char *p = list;

    *n = 0;
    if (buf_append(json, "[", 1) != 0)
        return -1;
    while (*p) {
        size_t len = strcspn(p, ",");
        int64_t id;
        if (len == 0 || len >= sizeof(item))
            return -1;
        memcpy(item, p, len);
        item[len] = '\0';
        if (parse_int64(item, &id) != 0 || id <= 0 || id > 4294967295LL)
            return -1;
        if (buf_appendf(json, *n ? ",%lld" : "%lld", (long long)id) != 0)
            return -1;
        (*n)++;
        p += len;
        if (*p == ',' && *++p == '\0')
            return -1; /* a trailing comma */
    }
    return *n > 0 && buf_append(json, "]", 1) == 0 ? 0 : -1;
}

/* The rows of `r` (kind, depot, bin, lot, asset) as targets. */
static struct label_target *targets_from(const struct db_res *r)
{
    struct label_target *t = calloc(r->nrows ? (size_t)r->nrows : 1, sizeof(*t));

    for (int i = 0; t && i < r->nrows; i++) {
        const char *k = db_get(r, i, 0);
        t[i].kind = !strcmp(k, "depot") ? "depot"
                    : !strcmp(k, "bin") ? "bin"
                    : !strcmp(k, "lot") ? "lot"
                                        : "asset";
        t[i].depot_id = db_get_int(r, i, 1);
        t[i].bin_id = db_get_int(r, i, 2);
        t[i].lot_id = db_get_int(r, i, 3);
        t[i].asset_id = db_get_int(r, i, 4);
    }
    return t;
}

/* Find the objects the options name.  CTL_OK, or an exit code with a message printed. */
static int find_targets(struct db_conn *db, const struct opts *o, struct db_res **r)
{
    struct app_err err;
    int rc = CTL_CHECK_FAILED;

    if (o->depot) {
        int64_t depot;
        if (db_query_int(db, &depot, &err, "SELECT id FROM depot WHERE code = ?", "s", o->depot) !=
            0) {
            fprintf(stderr, "labels: %s\n", err.http == 404 ? "no depot has that code" : err.msg);
            return err.http == 404 ? CTL_USAGE : CTL_CHECK_FAILED;
        }
        if (db_query(db, r, &err, SQL_DEPOT, "llll", (long long)depot, (long long)depot,
                     (long long)depot, (long long)depot) != 0)
            goto failed;
        return CTL_OK;
    }
    if (o->lots) {
        struct buf json;
        struct db_res *unknown = NULL;
        size_t n;
        buf_init(&json, (size_t)1 << 20);
        if (lots_json(o->lots, &json, &n) != 0) {
            buf_free(&json);
            fprintf(stderr, "labels: --lots takes lot ids separated by commas, e.g. 12,15,40\n");
            return CTL_USAGE;
        }
        if (db_query(db, &unknown, &err, SQL_LOTS_UNKNOWN, "s", json.data) != 0) {
            buf_free(&json);
            goto failed;
        }
        if (unknown->nrows > 0) {
            fprintf(stderr, "labels: no lot %s%s\n", db_get(unknown, 0, 0),
                    unknown->nrows > 1 ? " (and others)" : "");
            db_res_free(unknown);
            buf_free(&json);
            return CTL_USAGE;
        }
        db_res_free(unknown);
        rc = db_query(db, r, &err, SQL_LOTS, "s", json.data);
        buf_free(&json);
        if (rc != 0)
            goto failed;
        return CTL_OK;
    }
    {
        int y, m, d;
        if (date_parse(o->since, &y, &m, &d) != 0) {
            fprintf(stderr, "labels: --since takes a day as YYYY-MM-DD\n");
            return CTL_USAGE;
        }
        if (db_query(db, r, &err, SQL_SINCE, "s", o->since) != 0)
            goto failed;
        return CTL_OK;
    }
failed:
    fprintf(stderr, "labels: %s\n", err.msg);
    return rc;
}

/* label_ensure for every target, LABELS_TXN_ROWS to a transaction. */
static int ensure_all(struct db_conn *db, int64_t user, struct label_target *t, size_t n,
                      int64_t *ids, size_t *created)
{
    struct app_err err;
    char code[LABEL_CODE_LEN + 1];

    *created = 0;
    for (size_t i = 0; i < n; i += LABELS_TXN_ROWS) {
        size_t end = i + LABELS_TXN_ROWS < n ? i + LABELS_TXN_ROWS : n;
        if (db_begin(db, &err) != 0)
            goto failed;
        for (size_t k = i; k < end; k++) {
            int made;
            if (label_ensure(db, user, &t[k], &ids[k], code, &made, &err) != 0) {
                db_rollback(db);
                goto failed;
            }
            *created += (size_t)made;
        }
        if (db_commit(db, &err) != 0)
            goto failed;
        ctl_progress("labels", (long)end, (long)n);
    }
    return 0;
failed:
    fprintf(stderr, "labels: could not create the labels: %s\n", err.msg);
    return -1;
}

static int write_all(const char *path, const void *p, size_t len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "wb");
    int ok;

    if (!f) {
        fprintf(stderr, "labels: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    ok = fwrite(p, 1, len, f) == len;
    if (f == stdout)
        ok = fflush(f) == 0 && ok;
    else
        ok = fclose(f) == 0 && ok;
    if (!ok)
        fprintf(stderr, "labels: cannot write %s: %s\n", path, strerror(errno));
    return ok ? 0 : -1;
}

/* A file per label into the directory o->out. */
static int write_each(const struct opts *o, const struct label_set *set, struct label_size size,
                      int png)
{
    char path[4096];

    if (mkdir(o->out, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "labels: cannot make the directory %s: %s\n", o->out, strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < set->n; i++) {
        size_t len;
        void *p = png ? (void *)labels_png(&set->items[i], o->base, size, o->dpi, &len)
                      : (void *)labels_svg(&set->items[i], o->base, size, &len);
        int rc;
        if (!p) {
            fprintf(stderr, "labels: rendering failed: %s\n", strerror(errno));
            return -1;
        }
        if ((size_t)snprintf(path, sizeof(path), "%s/%s.%s", o->out, set->items[i].code,
                             png ? "png" : "svg") >= sizeof(path)) {
            free(p);
            fprintf(stderr, "labels: the path %s is too long\n", o->out);
            return -1;
        }
        rc = write_all(path, p, len);
        free(p);
        if (rc != 0)
            return -1;
        ctl_progress("files", (long)i + 1, (long)set->n);
    }
    return 0;
}

/* Render set into o->out; 0 or -1 with a message printed. */
static int render(const struct opts *o, const struct label_set *set)
{
    struct label_size size = LABEL_50x30;
    struct sheet_layout lay;
    void *p = NULL;
    size_t len = 0;
    int rc;

    if (o->size && strcmp(o->size, "100x50") == 0)
        size = LABEL_100x50;
    if (strcmp(o->format, "svg") == 0 || strcmp(o->format, "png") == 0)
        return write_each(o, set, size, strcmp(o->format, "png") == 0);
    if (strcmp(o->format, "pdf") == 0) {
        labels_sheet_preset(o->layout ? o->layout : "a4-3x8", &lay); /* checked in ctl_labels */
        p = labels_pdf_sheet(set->items, set->n, o->base, &lay, &len);
    } else {
        p = labels_zpl(set->items, set->n, o->base, size, o->dpi, &len);
    }
    if (!p) {
        fprintf(stderr, "labels: rendering failed: %s\n",
                errno == ERANGE ? "the base URL is too long for a QR code" : strerror(errno));
        return -1;
    }
    rc = write_all(o->out, p, len);
    free(p);
    return rc;
}

static int check_opts(const struct opts *o)
{
    struct sheet_layout lay;
    int sources = !!o->depot + !!o->lots + !!o->since;

    if (sources != 1 || !o->format || !o->out)
        return -1;
    if (strcmp(o->format, "pdf") && strcmp(o->format, "zpl") && strcmp(o->format, "svg") &&
        strcmp(o->format, "png"))
        return -1;
    if (o->layout && labels_sheet_preset(o->layout, &lay) != 0)
        return -1;
    if (o->size && strcmp(o->size, "50x30") && strcmp(o->size, "100x50"))
        return -1;
    if (o->dpi != 203 && o->dpi != 300)
        return -1;
    if (strcmp(o->out, "-") == 0 && (!strcmp(o->format, "svg") || !strcmp(o->format, "png")))
        return -1; /* a directory of files cannot go to stdout */
    return 0;
}

int ctl_labels(const struct config *cfg, int argc, char **argv)
{
    struct opts o = {.dpi = 203, .base = cfg->public_base};
    struct label_target *targets = NULL;
    struct label_set set = {0};
    struct db_res *r = NULL;
    struct db_conn *db = NULL;
    struct app_err err;
    struct buf json;
    int64_t user, *ids = NULL;
    size_t n = 0, created = 0;
    int rc = CTL_CHECK_FAILED;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        const char **slot = !strcmp(a, "--depot")    ? &o.depot
                            : !strcmp(a, "--lots")   ? &o.lots
                            : !strcmp(a, "--since")  ? &o.since
                            : !strcmp(a, "--format") ? &o.format
                            : !strcmp(a, "--out")    ? &o.out
                            : !strcmp(a, "--layout") ? &o.layout
                            : !strcmp(a, "--size")   ? &o.size
                            : !strcmp(a, "--base")   ? &o.base
                                                     : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage();
            return CTL_OK;
        }
        if (!strcmp(a, "--dpi") && v) {
            int64_t d;
            if (parse_int64(v, &d) != 0 || (d != 203 && d != 300))
                return usage();
            o.dpi = (int)d;
            i++;
        } else if (slot && v) {
            *slot = v;
            i++;
        } else {
            return usage();
        }
    }
    if (check_opts(&o) != 0)
        return usage();
    if (!o.base || !o.base[0]) {
        fprintf(stderr, "labels: no base URL: set RELIEF_PUBLIC_BASE or give --base\n");
        return CTL_USAGE;
    }

    db = db_connect(cfg, 0, cfg->db_name, &err);
    if (!db) {
        fprintf(stderr, "labels: %s\n", err.msg);
        return CTL_NO_DB;
    }
    if (db_query_int(db, &user, &err,
                     "SELECT id FROM app_user WHERE role = 'admin' ORDER BY id LIMIT 1", "") != 0) {
        fprintf(stderr, "labels: %s\n",
                err.http == 404 ? "no admin user to create labels as (reliefctl user-add)"
                                : err.msg);
        goto out;
    }
    rc = find_targets(db, &o, &r);
    if (rc != CTL_OK)
        goto out;
    rc = CTL_CHECK_FAILED;
    n = (size_t)r->nrows;
    if (n == 0) {
        fprintf(stderr, "labels: nothing to label (no stock, bins or assets match)\n");
        goto out;
    }
    if (n > LABELS_MAX_PER_DOC) {
        fprintf(stderr, "labels: %zu labels is more than one run makes (%d); narrow the choice\n",
                n, LABELS_MAX_PER_DOC);
        rc = CTL_USAGE;
        goto out;
    }
    targets = targets_from(r);
    ids = calloc(n, sizeof(*ids));
    if (!targets || !ids) {
        fprintf(stderr, "labels: out of memory\n");
        goto out;
    }
    if (ensure_all(db, user, targets, n, ids, &created) != 0)
        goto out;
    if (label_load(db, ids, n, &set, &err) != 0) {
        fprintf(stderr, "labels: %s\n", err.msg);
        goto out;
    }
    if (render(&o, &set) != 0)
        goto out;

    /* Printed: count it, as POST /labels/{code}/reprint does. */
    buf_init(&json, n * 12 + 16);
    int bad = buf_append(&json, "[", 1);
    for (size_t i = 0; i < n && !bad; i++)
        bad = buf_appendf(&json, i ? ",%lld" : "%lld", (long long)ids[i]);
    if (bad || buf_append(&json, "]", 1) != 0 || db_begin(db, &err) != 0 ||
        db_exec(db, &err, SQL_PRINTED, "s", json.data) != 0 || db_commit(db, &err) != 0) {
        fprintf(stderr, "labels: the labels are printed but their print count is not: %s\n",
                bad ? "out of memory" : err.msg);
        buf_free(&json);
        goto out;
    }
    buf_free(&json);
    fprintf(stderr, "labels: %zu labels (%zu new) -> %s\n", n, created,
            strcmp(o.out, "-") ? o.out : "standard output");
    rc = CTL_OK;
out:
    label_set_free(&set);
    free(ids);
    free(targets);
    db_res_free(r);
    db_close(db);
    labels_cleanup();
    return rc;
}
