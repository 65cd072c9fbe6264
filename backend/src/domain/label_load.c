/*
 * label_load.c -- what printed labels say, read from their records.
 *
 * One statement for any number of labels: the ids travel as one JSON array
 * parameter and JSON_TABLE turns it into rows (with their position, so the
 * result comes back in the order asked, duplicates included -- two copies of
 * a label are two entries).  The SQL text stays constant, as db.h wants.
 *
 * What each kind says:
 *   lot    the item's names, the lot number and expiry, depot and bin
 *   asset  the item's names, the serial number, the lot if it has one, its
 *          depot and the bin it is in today
 *   bin    "库位 <code>" / "Bin <code>", depot and bin
 *   depot  the depot's names and its code
 * The depot is printed as its code (D-441900003): short, and plain ASCII, so
 * the thermal printers' resident font prints it too.
 */
#include "label.h"

#include "../core/buf.h"
#include "../store/db.h"

#include <stdlib.h>
#include <string.h>

static const char SQL_LOAD[] =
    "SELECT j.n, l.id, l.code, l.kind,"
    " CASE l.kind WHEN 'depot' THEN d.name_zh WHEN 'bin' THEN CONCAT('库位 ', b.code)"
    "   ELSE i.name_zh END AS title_zh,"
    " CASE l.kind WHEN 'depot' THEN d.name_en WHEN 'bin' THEN CONCAT('Bin ', b.code)"
    "   ELSE i.name_en END AS title_en,"
    " COALESCE(t.lot_no, al.lot_no) AS lot_no,"
    " COALESCE(t.expiry_date, al.expiry_date) AS expiry,"
    " a.serial_no, d.code AS depot, COALESCE(b.code, ab.code) AS bin"
    " FROM JSON_TABLE(?, '$[*]' COLUMNS (n FOR ORDINALITY, id INT UNSIGNED PATH '$')) AS j"
    " JOIN label l ON l.id = j.id"
    " JOIN depot d ON d.id = l.depot_id"
    " LEFT JOIN bin b ON b.id = l.bin_id"
    " LEFT JOIN lot t ON t.id = l.lot_id"
    " LEFT JOIN asset a ON a.id = l.asset_id"
    " LEFT JOIN lot al ON al.id = a.lot_id"
    " LEFT JOIN bin ab ON ab.id = a.bin_id"
    " LEFT JOIN item i ON i.id = COALESCE(t.item_id, a.item_id)"
    " ORDER BY j.n";

/* Result columns, in SQL_LOAD's order. */
enum { C_N, C_ID, C_CODE, C_KIND, C_ZH, C_EN, C_LOT, C_EXPIRY, C_SERIAL, C_DEPOT, C_BIN, C_NCOLS };

void label_set_free(struct label_set *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nstrings; i++)
        free(s->strings[i]);
    free(s->strings);
    free(s->items);
    memset(s, 0, sizeof(*s));
}

/* The first position (1-based) whose row is missing: rows come sorted by n. */
static size_t first_missing(const struct db_res *r, size_t n)
{
    size_t want = 1;
    for (int row = 0; row < r->nrows && want <= n; row++, want++)
        if ((size_t)db_get_int(r, row, C_N) != want)
            break;
    return want;
}

int label_load(struct db_conn *db, const int64_t *ids, size_t n, struct label_set *out,
               struct app_err *err)
{
    static const int text_cols[] = {C_KIND, C_ZH, C_EN, C_LOT, C_EXPIRY, C_SERIAL, C_DEPOT, C_BIN};
    struct db_res *r = NULL;
    struct buf json;
    size_t total = 0;
    char *block = NULL, *p;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    if (n == 0 || n > LABELS_MAX_PER_DOC)
        return err_set(err, 500, "internal", "label_load: %zu labels", n);
    buf_init(&json, (size_t)n * 24 + 16);
    int bad = buf_append(&json, "[", 1);
    for (size_t i = 0; i < n && !bad; i++)
        bad = buf_appendf(&json, i ? ",%lld" : "%lld", (long long)ids[i]);
    if (bad || buf_append(&json, "]", 1) != 0) {
        err_set(err, 500, "internal", "out of memory");
        goto out;
    }
    if (db_query(db, &r, err, SQL_LOAD, "s", json.data) != 0)
        goto out;
    if ((size_t)r->nrows != n) {
        size_t k = first_missing(r, n);
        err_set(err, 404, "not_found", "no label with id %lld",
                (long long)ids[k > 0 && k <= n ? k - 1 : 0]);
        goto out;
    }

    /* All the text in one block the items point into: one allocation, not eight per label. */
    for (int row = 0; row < r->nrows; row++)
        for (size_t c = 0; c < sizeof(text_cols) / sizeof(text_cols[0]); c++) {
            const char *v = db_get(r, row, text_cols[c]);
            if (v)
                total += strlen(v) + 1;
        }
    out->items = calloc(n, sizeof(*out->items));
    out->strings = calloc(1, sizeof(*out->strings));
    block = malloc(total ? total : 1);
    if (!out->items || !out->strings || !block) {
        err_set(err, 500, "internal", "out of memory");
        goto out;
    }
    out->strings[0] = block;
    out->nstrings = 1;
    block = NULL;
    out->n = n;
    p = out->strings[0];
    for (int row = 0; row < r->nrows; row++) {
        struct label_info *li = &out->items[row];
        const char *code = db_get(r, row, C_CODE);
        const char **dst[] = {&li->kind,   &li->title_zh,  &li->title_en, &li->lot_no,
                              &li->expiry, &li->serial_no, &li->depot,    &li->bin};

        if (!code || strlen(code) != LABEL_CODE_LEN) {
            err_set(err, 500, "internal", "label %s has a malformed code",
                    db_get(r, row, C_ID) ? db_get(r, row, C_ID) : "?");
            goto out;
        }
        memcpy(li->code, code, LABEL_CODE_LEN + 1);
        for (size_t c = 0; c < sizeof(text_cols) / sizeof(text_cols[0]); c++) {
            const char *v = db_get(r, row, text_cols[c]);
            if (!v)
                continue;
            size_t len = strlen(v) + 1;
            memcpy(p, v, len);
            *dst[c] = p;
            p += len;
        }
    }
    rc = 0;
out:
    free(block);
    buf_free(&json);
    db_res_free(r);
    if (rc != 0)
        label_set_free(out);
    return rc;
}
