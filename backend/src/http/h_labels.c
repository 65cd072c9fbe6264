/*
 * h_labels.c -- labels as records (create, resolve a scan, void, reprint),
 * the print queue of a depot's label printer, and the depot settings that
 * turn printing at receipt on (PATCH /depots/{id}).
 *
 * The rules live in domain/label.c (one active label per object, codes);
 * the pictures in h_label_render.c and labels/.  Everything here answers a
 * label as the same JSON object (label_json), so the web UI reads one shape.
 */
#include "handlers.h"
#include "jsonin.h"
#include "query.h"

#include "../core/log.h"
#include "../core/util.h"
#include "../domain/audit.h"
#include "../domain/label.h"
#include "../store/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TARGETS 1000 /* POST /labels */
#define MAX_JOB_IDS 1000 /* POST /print-jobs/done */

#define LABEL_COLS                                                                                 \
    "SELECT l.id, l.code, l.kind, l.status, l.depot_id, d.code AS depot_code, l.bin_id,"           \
    " b.code AS bin_code, l.lot_id, lt.lot_no, l.asset_id, a.serial_no, i.id AS item_id,"          \
    " i.code AS item_code, i.name_zh AS item_name_zh, i.name_en AS item_name_en,"                  \
    " lt.expiry_date, r.code AS replaced_by, l.void_reason, l.print_count, l.last_printed_at,"     \
    " l.last_scanned_at, l.created_at FROM label l JOIN depot d ON d.id = l.depot_id"              \
    " JOIN org_unit o ON o.id = d.org_unit_id LEFT JOIN bin b ON b.id = l.bin_id"                  \
    " LEFT JOIN lot lt ON lt.id = l.lot_id LEFT JOIN asset a ON a.id = l.asset_id"                 \
    " LEFT JOIN item i ON i.id = COALESCE(lt.item_id, a.item_id)"                                  \
    " LEFT JOIN label r ON r.id = l.replaced_by_id"

/* The same columns as GET /stock (h_ledger.c), so a scan shows rows the web
 * UI already knows how to draw. */
#include "views.h"

#define JOB_COLS                                                                                   \
    "SELECT j.id, j.depot_id, d.code AS depot_code, j.label_id, l.code AS label_code,"             \
    " l.kind AS label_kind, l.status AS label_status, b.code AS bin_code, lt.lot_no,"              \
    " lt.expiry_date, i.code AS item_code, i.name_zh AS item_name_zh,"                             \
    " i.name_en AS item_name_en, j.status, j.created_at, j.printed_at"                             \
    " FROM label_print_job j JOIN label l ON l.id = j.label_id"                                    \
    " JOIN depot d ON d.id = j.depot_id JOIN org_unit o ON o.id = d.org_unit_id"                   \
    " LEFT JOIN bin b ON b.id = l.bin_id LEFT JOIN lot lt ON lt.id = l.lot_id"                     \
    " LEFT JOIN asset a ON a.id = l.asset_id"                                                      \
    " LEFT JOIN item i ON i.id = COALESCE(lt.item_id, a.item_id)"

/* ---------------------------------------------------------------- helpers */

static void id_text(int64_t id, char out[24])
{
    snprintf(out, 24, "%lld", (long long)id);
}

/* Prefix err->field with where in the body it was: "targets[3].bin_id". */
static void field_at(struct app_err *err, const char *list, size_t i)
{
    char f[sizeof(err->field) + 32];
    if (err->field[0])
        snprintf(f, sizeof(f), "%s[%zu].%s", list, i, err->field);
    else
        snprintf(f, sizeof(f), "%s[%zu]", list, i);
    str_copy(err->field, sizeof(err->field), f); /* a cut name still points the way */
}

/* The text the label's QR code carries (labels/labels.h), so the JSON and
 * the printed code always agree. */
static json_t *label_url(const char *base, const char *code)
{
    char *text = labels_qr_text(base, code);
    json_t *j = text ? json_string(text) : json_null();
    free(text);
    return j;
}

/* One label as the API shows it; created: 1/0, or -1 for null (not a create). */
static json_t *label_json(struct req *rq, int64_t id, int created, struct app_err *err)
{
    struct db_res *r = NULL;
    json_t *o;

    if (db_query(rq->db, &r, err, LABEL_COLS " WHERE l.id = ?", "l", (long long)id) != 0)
        return NULL;
    if (r->nrows == 0) {
        db_res_free(r);
        err_set(err, 404, "not_found", "no such label");
        return NULL;
    }
    o = json_from_row(r, 0);
    json_object_set_new(o, "url", label_url(rq->app->cfg->public_base, db_get(r, 0, 1)));
    json_object_set_new(o, "created", created < 0 ? json_null() : json_boolean(created));
    db_res_free(r);
    return o;
}

/* What the scanning user may do next; the web UI shows these buttons. */
static json_t *label_actions(const struct principal *p, const char *kind)
{
    static const char *const lot[] = {"receive", "issue", "move", "count", NULL};
    static const char *const bin[] = {"receive", "count", NULL};
    const char *const *list = NULL;
    json_t *a = json_array();

    /* Only staff who move stock get actions; assets get "checkout" once it exists. */
    if (!(p->role & (ROLE_WAREHOUSE | ROLE_ADMIN)))
        return a;
    if (strcmp(kind, "lot") == 0)
        list = lot;
    else if (strcmp(kind, "bin") == 0)
        list = bin;
    for (; list && *list; list++)
        json_array_append_new(a, json_string(*list));
    return a;
}

/* A query's first row as JSON, or JSON null when there is none. */
static json_t *one_row(struct db_conn *db, const char *sql, int64_t id, struct app_err *err)
{
    struct db_res *r = NULL;
    json_t *o;
    if (db_query(db, &r, err, sql, "l", (long long)id) != 0)
        return NULL;
    o = r->nrows ? json_from_row(r, 0) : json_null();
    db_res_free(r);
    return o;
}

/* A depot as GET /depots/{id} shows it. */
static json_t *depot_row(struct db_conn *db, int64_t id, struct app_err *err)
{
    return one_row(db, DEPOT_COLS " WHERE d.id = ?", id, err);
}

/* Every row of a query with one id parameter (or two, when b is not 0) as
 * a JSON array. */
static json_t *all_rows(struct db_conn *db, const char *sql, int64_t a, int64_t b,
                        struct app_err *err)
{
    struct db_res *r = NULL;
    json_t *arr;
    int rc = b ? db_query(db, &r, err, sql, "ll", (long long)a, (long long)b)
               : db_query(db, &r, err, sql, "l", (long long)a);
    if (rc != 0)
        return NULL;
    arr = json_from_rows(r);
    db_res_free(r);
    return arr;
}

/* The record a label stands for: the lot with its item, the asset, the bin
 * with its depot, or the depot. */
static json_t *label_record(struct db_conn *db, const char *kind, int64_t depot, int64_t bin,
                            int64_t lot, int64_t asset, struct app_err *err)
{
    json_t *o, *d;

    if (strcmp(kind, "lot") == 0)
        return one_row(db,
                       "SELECT l.id, l.item_id, i.code AS item_code, i.name_zh AS item_name_zh,"
                       " i.name_en AS item_name_en, i.unit, i.integral, i.tracking, l.lot_no,"
                       " l.production_date, l.expiry_date, l.supplier, l.quarantined,"
                       " l.created_at FROM lot l JOIN item i ON i.id = l.item_id WHERE l.id = ?",
                       lot, err);
    if (strcmp(kind, "asset") == 0)
        return one_row(
            db,
            "SELECT a.id, a.item_id, i.code AS item_code, i.name_zh AS item_name_zh,"
            " i.name_en AS item_name_en, a.serial_no, a.lot_id, a.depot_id, d.code AS depot_code,"
            " a.bin_id, a.team_id, a.status, a.commissioned_on, a.inspection_due,"
            " a.maintenance_due, a.is_demo FROM asset a JOIN item i ON i.id = a.item_id"
            " JOIN depot d ON d.id = a.depot_id WHERE a.id = ?",
            asset, err);
    if (strcmp(kind, "depot") == 0)
        return depot_row(db, depot, err);
    o = one_row(db, "SELECT id, depot_id, code, name, active FROM bin WHERE id = ?", bin, err);
    if (!o || json_is_null(o))
        return o;
    if (!(d = depot_row(db, depot, err))) {
        json_decref(o);
        return NULL;
    }
    json_object_set_new(o, "depot", d);
    return o;
}

/* What lies where the label is: the (bin, lot) row of a lot label (also at
 * zero, so a scan shows "0" rather than nothing), the bin's rows, a per-item
 * summary of a depot; assets have no stock rows (null). */
static json_t *label_stock(struct db_conn *db, const char *kind, int64_t depot, int64_t bin,
                           int64_t lot, struct app_err *err)
{
    if (strcmp(kind, "lot") == 0)
        return all_rows(db, STOCK_COLS " WHERE s.bin_id = ? AND s.lot_id = ?", bin, lot, err);
    if (strcmp(kind, "bin") == 0)
        return all_rows(db,
                        STOCK_COLS " WHERE s.bin_id = ? AND s.qty > 0"
                                   " ORDER BY i.code, l.expiry_date, s.lot_id LIMIT 500",
                        bin, 0, err);
    if (strcmp(kind, "depot") == 0)
        return all_rows(db,
                        "SELECT s.item_id, i.code AS item_code, i.name_zh AS item_name_zh,"
                        " i.name_en AS item_name_en, i.unit, SUM(s.qty) AS qty,"
                        " COUNT(DISTINCT s.lot_id) AS lots, COUNT(DISTINCT s.bin_id) AS bins,"
                        " MIN(l.expiry_date) AS next_expiry FROM stock s"
                        " JOIN item i ON i.id = s.item_id JOIN lot l ON l.id = s.lot_id"
                        " WHERE s.depot_id = ? AND s.qty > 0"
                        " GROUP BY s.item_id, i.code, i.name_zh, i.name_en, i.unit"
                        " ORDER BY i.code LIMIT 1000",
                        depot, 0, err);
    return json_null();
}

/* The code in the path, without a ".svg"/".png" suffix (then *fmt says which). */
static int path_code(const struct req *rq, char *out, size_t n, const char **fmt,
                     struct app_err *err)
{
    size_t len = strlen(rq->params[0]);

    *fmt = NULL;
    if (str_copy(out, n, rq->params[0]) != 0)
        return err_field(err, 400, "bad_code", "code", "not a label code: check the characters");
    if (len > 4 && strcmp(out + len - 4, ".svg") == 0)
        *fmt = "svg";
    else if (len > 4 && strcmp(out + len - 4, ".png") == 0)
        *fmt = "png";
    if (*fmt)
        out[len - 4] = '\0';
    return 0;
}

/* Find an active label by the code in the path and check the caller's
 * scope.  For a void label (410) `replaced` gets its replacement's code. */
static int find_in_scope(struct req *rq, const char *text, int64_t *id,
                         char replaced[LABEL_CODE_LEN + 1], struct app_err *err)
{
    int64_t depot = 0;
    struct app_err scope;

    if (label_find(rq->db, text, id, &depot, replaced, err) == 0)
        return auth_check_depot(rq->db, &rq->who, depot, err);
    /* A void label names its replacement: only to callers who may see it. */
    if (err->http == 410 && auth_check_depot(rq->db, &rq->who, depot, &scope) != 0)
        *err = scope;
    return -1;
}

/* ---------------------------------------------------------------- GET /labels */

int h_labels_list(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct qb q;
    int limit, rc, has_bin, has_lot;
    int64_t cursor, bin, lot;
    const char *dref = req_query(rq, "depot"), *kind, *status;

    if (q_page(rq, 500, &limit, &cursor, err) != 0 ||
        q_enum(rq, "kind", "lot|asset|bin|depot", &kind, err) != 0 ||
        q_enum(rq, "status", "active|void", &status, err) != 0 ||
        q_int(rq, "bin", &bin, &has_bin, err) != 0 || q_int(rq, "lot", &lot, &has_lot, err) != 0)
        return -1;
    qb_init(&q, LABEL_COLS " WHERE o.path LIKE CONCAT(?, '%') AND l.id > ?");
    dbp_str(&q.ps, rq->who.org_path);
    dbp_int(&q.ps, cursor);
    if (qb_where_ref(&q, rq->db, dref, "SELECT id FROM depot WHERE code = ?", "depot",
                     " AND l.depot_id = ?", err) != 0) {
        qb_free(&q);
        return -1;
    }
    qb_where_str(&q, " AND l.kind = ?", kind);
    qb_where_str(&q, " AND l.status = ?", status);
    qb_where_int(&q, " AND l.bin_id = ?", has_bin, bin);
    qb_where_int(&q, " AND l.lot_id = ?", has_lot, lot);
    qb_add(&q, " ORDER BY l.id LIMIT ?");
    dbp_int(&q.ps, limit + 1);
    rc = qb_page(&q, rq, rs, limit, "id", err);
    qb_free(&q);
    if (rc != 0)
        return -1;
    /* url is not a column: add it to each row. */
    json_t *items = json_object_get(rs->json, "items"), *it;
    size_t i;
    json_array_foreach(items, i, it)
    {
        json_t *code = json_object_get(it, "code");
        json_object_set_new(it, "url",
                            label_url(rq->app->cfg->public_base, json_string_value(code)));
        json_object_set_new(it, "created", json_null());
    }
    return 0;
}

/* ---------------------------------------------------------------- POST /labels */

/* Which ids each kind of target takes (all of them required). */
static const struct {
    const char *kind;
    const char *fields;
} target_kinds[] = {
    {"lot", " lot_id bin_id "},
    {"asset", " asset_id "},
    {"bin", " bin_id "},
    {"depot", " depot_id "},
};

static int read_target(json_t *o, struct label_target *t, char kind[8], struct app_err *err)
{
    const struct jfield all[] = {
        {"kind", JF_STR, 1, kind, 8, NULL},
        {"lot_id", JF_ID, 1, &t->lot_id, 0, NULL},
        {"bin_id", JF_ID, 1, &t->bin_id, 0, NULL},
        {"asset_id", JF_ID, 1, &t->asset_id, 0, NULL},
        {"depot_id", JF_ID, 1, &t->depot_id, 0, NULL},
    };
    struct jfield spec[sizeof(all) / sizeof(all[0])];
    json_t *k = json_object_get(o, "kind");
    size_t n = 0, ki;
    char pat[16];

    memset(t, 0, sizeof(*t));
    if (!json_is_object(o))
        return err_set(err, 400, "bad_type", "each target must be an object");
    if (!k)
        return err_field(err, 400, "missing_field", "kind", "kind is required");
    if (!json_is_string(k))
        return err_field(err, 400, "bad_type", "kind", "kind must be a string");
    for (ki = 0; ki < sizeof(target_kinds) / sizeof(target_kinds[0]); ki++)
        if (strcmp(target_kinds[ki].kind, json_string_value(k)) == 0)
            break;
    if (ki == sizeof(target_kinds) / sizeof(target_kinds[0]))
        return err_field(err, 400, "bad_value", "kind", "kind is lot, asset, bin or depot");
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        snprintf(pat, sizeof(pat), " %s ", all[i].name);
        if (i == 0 || strstr(target_kinds[ki].fields, pat))
            spec[n++] = all[i];
    }
    if (json_read(o, spec, n, err) != 0)
        return -1;
    t->kind = target_kinds[ki].kind;
    return 0;
}

/* The depot a target lies in, for the scope check before anything is
 * written; 0 when the object does not exist (label_ensure then answers 422
 * naming the id). */
static int target_depot(struct db_conn *db, const struct label_target *t, int64_t *depot,
                        struct app_err *err)
{
    const char *sql = "SELECT id FROM depot WHERE id = ?";
    int64_t key = t->depot_id;

    if (strcmp(t->kind, "lot") == 0 || strcmp(t->kind, "bin") == 0) {
        sql = "SELECT depot_id FROM bin WHERE id = ?";
        key = t->bin_id;
    } else if (strcmp(t->kind, "asset") == 0) {
        sql = "SELECT depot_id FROM asset WHERE id = ?";
        key = t->asset_id;
    }
    if (db_query_int(db, depot, err, sql, "l", (long long)key) == 0)
        return 0;
    if (err->http != 404)
        return -1;
    err_clear(err);
    *depot = 0;
    return 0;
}

int h_labels_create(struct req *rq, struct resp *rs, struct app_err *err)
{
    json_t *targets = NULL, *labels, *o;
    const struct jfield spec[] = {{"targets", JF_ARRAY, 1, &targets, MAX_TARGETS, NULL}};
    size_t n;

    if (json_read(rq->body, spec, 1, err) != 0)
        return -1;
    n = json_array_size(targets);

    /* Read and scope-check every target before the first label is written;
     * the transaction makes the whole request all-or-nothing anyway. */
    struct label_target *ts = calloc(n, sizeof(*ts));
    char(*kinds)[8] = calloc(n, sizeof(*kinds));
    int rc = -1;
    labels = json_array();
    if (!ts || !kinds || !labels) {
        err_set(err, 500, "internal", "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        int64_t depot;
        if (read_target(json_array_get(targets, i), &ts[i], kinds[i], err) != 0 ||
            target_depot(rq->db, &ts[i], &depot, err) != 0 ||
            (depot && auth_check_depot(rq->db, &rq->who, depot, err) != 0)) {
            field_at(err, "targets", i);
            goto done;
        }
    }
    for (size_t i = 0; i < n; i++) {
        char code[LABEL_CODE_LEN + 1];
        int64_t id;
        int created;
        if (label_ensure(rq->db, rq->who.user_id, &ts[i], &id, code, &created, err) != 0) {
            field_at(err, "targets", i);
            goto done;
        }
        if (!(o = label_json(rq, id, created, err)))
            goto done;
        json_array_append_new(labels, o);
    }
    resp_json(rs, 201, json_pack("{s:O}", "labels", labels));
    rc = 0;
done:
    json_decref(labels);
    free(ts);
    free(kinds);
    return rc;
}

/* ---------------------------------------------------------------- GET /labels/{code} */

/* 410 with the replacement's code: the standard error object plus
 * "replaced_by", which resp_error (server.c) has no room for.  Returning 0
 * makes the dispatcher send rs as it is. */
static int void_reply(struct resp *rs, const char *replaced, const struct app_err *e)
{
    resp_json(rs, 410,
              json_pack("{s:{s:s, s:s, s:s, s:o}}", "error", "code", "label_void", "message",
                        e->msg, "field", "code", "replaced_by",
                        replaced[0] ? json_string(replaced) : json_null()));
    return 0;
}

int h_label_get(struct req *rq, struct resp *rs, struct app_err *err)
{
    char text[128], kind[8], replaced[LABEL_CODE_LEN + 1];
    const char *fmt;
    int64_t id, depot, bin, lot, asset;
    struct db_res *r = NULL;
    json_t *label, *record, *stock;
    struct app_err touch;

    if (path_code(rq, text, sizeof(text), &fmt, err) != 0)
        return -1;
    if (find_in_scope(rq, text, &id, replaced, err) != 0) {
        if (err->http == 410 && !fmt)
            return void_reply(rs, replaced, err);
        return -1;
    }
    if (fmt)
        return h_label_image(rq, rs, id, fmt, err);

    /* A scan: remember when the label was last seen.  Its own autocommit
     * statement (GETs run outside transactions); losing it costs nothing,
     * so a failure is logged and the scan still answers. */
    err_clear(&touch);
    if (db_exec(rq->db, &touch, "UPDATE label SET last_scanned_at = UTC_TIMESTAMP(6) WHERE id = ?",
                "l", (long long)id) != 0)
        LOG_WARN("label %lld: last_scanned_at not updated: %s", (long long)id, touch.msg);

    if (db_query(rq->db, &r, err,
                 "SELECT kind, depot_id, IFNULL(bin_id, 0), IFNULL(lot_id, 0), IFNULL(asset_id, 0)"
                 " FROM label WHERE id = ?",
                 "l", (long long)id) != 0)
        return -1;
    if (r->nrows == 0) {
        db_res_free(r);
        return err_set(err, 404, "not_found", "no such label");
    }
    str_copy(kind, sizeof(kind), db_get(r, 0, 0));
    depot = db_get_int(r, 0, 1);
    bin = db_get_int(r, 0, 2);
    lot = db_get_int(r, 0, 3);
    asset = db_get_int(r, 0, 4);
    db_res_free(r);

    if (!(label = label_json(rq, id, -1, err)))
        return -1;
    if (!(record = label_record(rq->db, kind, depot, bin, lot, asset, err))) {
        json_decref(label);
        return -1;
    }
    if (!(stock = label_stock(rq->db, kind, depot, bin, lot, err))) {
        json_decref(label);
        json_decref(record);
        return -1;
    }
    resp_json(rs, 200,
              json_pack("{s:o, s:o, s:o, s:o}", "label", label, "record", record, "stock", stock,
                        "actions", label_actions(&rq->who, kind)));
    return 0;
}

/* ---------------------------------------------------------------- void, reprint */

int h_label_void(struct req *rq, struct resp *rs, struct app_err *err)
{
    char text[128], reason[1021], kind[8], new_code[LABEL_CODE_LEN + 1];
    char replaced[LABEL_CODE_LEN + 1];
    const char *fmt;
    int replace = 0, created = 0;
    int64_t id, new_id = 0;
    const struct jfield spec[] = {
        {"reason", JF_STR, 1, reason, sizeof(reason), NULL},
        {"replace", JF_BOOL, 0, &replace, 0, NULL},
    };
    struct label_target t;
    struct db_res *r = NULL;
    json_t *old, *repl = NULL, *detail;
    char *dtxt;
    int rc;

    /* The label and its scope before the fields (404, 403, then 400). */
    if (path_code(rq, text, sizeof(text), &fmt, err) != 0)
        return -1;
    if (fmt)
        return err_set(err, 404, "not_found", "no such path");
    if (find_in_scope(rq, text, &id, replaced, err) != 0)
        return -1;
    if (json_read(rq->body, spec, 2, err) != 0)
        return -1;
    if (!reason[0])
        return err_field(err, 400, "missing_field", "reason", "a reason is required");
    /* Conditional on 'active': of two voids at once, the second waits for the
     * first's row lock, then matches nothing and is told the label is void. */
    if (db_exec(
            rq->db, err,
            "UPDATE label SET status = 'void', void_reason = ? WHERE id = ? AND status = 'active'",
            "sl", reason, (long long)id) != 0)
        return -1;
    if (db_affected(rq->db) == 0)
        return err_field(err, 410, "label_void", "code", "the label was voided meanwhile");
    if (db_query(rq->db, &r, err,
                 "SELECT code, kind, depot_id, IFNULL(bin_id, 0), IFNULL(lot_id, 0),"
                 " IFNULL(asset_id, 0) FROM label WHERE id = ?",
                 "l", (long long)id) != 0)
        return -1;
    memset(&t, 0, sizeof(t));
    str_copy(text, sizeof(text), db_get(r, 0, 0));
    str_copy(kind, sizeof(kind), db_get(r, 0, 1));
    t.kind = kind;
    /* Lot, bin and asset labels take their depot from the object again. */
    t.depot_id = strcmp(kind, "depot") == 0 ? db_get_int(r, 0, 2) : 0;
    t.bin_id = db_get_int(r, 0, 3);
    t.lot_id = db_get_int(r, 0, 4);
    t.asset_id = db_get_int(r, 0, 5);
    db_res_free(r);

    detail = json_pack("{s:s, s:b}", "reason", reason, "replace", replace);
    dtxt = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(detail);
    rc = dtxt ? audit_append(rq->db, rq->who.user_id, "label.void", "label", text, dtxt, err)
              : err_set(err, 500, "internal", "out of memory");
    free(dtxt);
    if (rc != 0)
        return -1;

    if (replace) {
        /* The void above freed uk_label_active, so this makes a new label. */
        if (label_ensure(rq->db, rq->who.user_id, &t, &new_id, new_code, &created, err) != 0)
            return -1;
        if (db_exec(rq->db, err, "UPDATE label SET replaced_by_id = ? WHERE id = ?", "ll",
                    (long long)new_id, (long long)id) != 0)
            return -1;
        detail = json_pack("{s:s, s:s}", "replaces", text, "kind", kind);
        dtxt = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(detail);
        rc = dtxt ? audit_append(rq->db, rq->who.user_id, "label.create", "label", new_code, dtxt,
                                 err)
                  : err_set(err, 500, "internal", "out of memory");
        free(dtxt);
        if (rc != 0)
            return -1;
        if (!(repl = label_json(rq, new_id, created, err)))
            return -1;
    }
    if (!(old = label_json(rq, id, -1, err))) {
        json_decref(repl);
        return -1;
    }
    resp_json(rs, 200,
              json_pack("{s:o, s:o}", "label", old, "replacement", repl ? repl : json_null()));
    return 0;
}

int h_label_reprint(struct req *rq, struct resp *rs, struct app_err *err)
{
    char text[128], replaced[LABEL_CODE_LEN + 1];
    const char *fmt;
    int64_t id;
    json_t *o;

    /* No body, or an empty object (clients that always send one). */
    if (rq->body && json_read(rq->body, NULL, 0, err) != 0)
        return -1;
    if (path_code(rq, text, sizeof(text), &fmt, err) != 0)
        return -1;
    if (fmt)
        return err_set(err, 404, "not_found", "no such path");
    if (find_in_scope(rq, text, &id, replaced, err) != 0)
        return -1;
    if (db_exec(rq->db, err,
                "UPDATE label SET print_count = print_count + 1,"
                " last_printed_at = UTC_TIMESTAMP(6) WHERE id = ? AND status = 'active'",
                "l", (long long)id) != 0)
        return -1;
    if (db_affected(rq->db) == 0)
        return err_field(err, 410, "label_void", "code", "the label was voided meanwhile");
    if (!(o = label_json(rq, id, -1, err)))
        return -1;
    resp_json(rs, 200, json_pack("{s:o}", "label", o));
    return 0;
}

/* ---------------------------------------------------------------- print jobs */

int h_print_jobs_list(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct qb q;
    int limit, rc;
    int64_t cursor;
    const char *dref = req_query(rq, "depot"), *status;

    if (q_page(rq, 500, &limit, &cursor, err) != 0 ||
        q_enum(rq, "status", "queued|printed|cancelled", &status, err) != 0)
        return -1;
    qb_init(&q, JOB_COLS " WHERE o.path LIKE CONCAT(?, '%') AND j.id > ?");
    dbp_str(&q.ps, rq->who.org_path);
    dbp_int(&q.ps, cursor);
    if (qb_where_ref(&q, rq->db, dref, "SELECT id FROM depot WHERE code = ?", "depot",
                     " AND j.depot_id = ?", err) != 0) {
        qb_free(&q);
        return -1;
    }
    qb_where_str(&q, " AND j.status = ?", status);
    qb_add(&q, " ORDER BY j.id LIMIT ?");
    dbp_int(&q.ps, limit + 1);
    rc = qb_page(&q, rq, rs, limit, "id", err);
    qb_free(&q);
    return rc;
}

/* Mark one job printed: queued -> printed (and the label counts a print);
 * printed stays printed, so a retried "done" changes nothing; cancelled is 409. */
static int job_done(struct req *rq, int64_t job, struct app_err *err)
{
    struct db_res *r = NULL;
    int64_t depot, label;
    char status[12];

    if (db_query(rq->db, &r, err,
                 "SELECT depot_id, label_id, status FROM label_print_job WHERE id = ? FOR UPDATE",
                 "l", (long long)job) != 0)
        return -1;
    if (r->nrows == 0) {
        db_res_free(r);
        return err_set(err, 422, "unknown_reference", "no print job %lld", (long long)job);
    }
    depot = db_get_int(r, 0, 0);
    label = db_get_int(r, 0, 1);
    str_copy(status, sizeof(status), db_get(r, 0, 2));
    db_res_free(r);
    if (auth_check_depot(rq->db, &rq->who, depot, err) != 0)
        return -1;
    if (strcmp(status, "cancelled") == 0)
        return err_set(err, 409, "conflict", "print job %lld was cancelled", (long long)job);
    if (strcmp(status, "queued") != 0)
        return 0;
    if (db_exec(rq->db, err,
                "UPDATE label_print_job SET status = 'printed', printed_at = UTC_TIMESTAMP(6)"
                " WHERE id = ?",
                "l", (long long)job) != 0)
        return -1;
    return db_exec(rq->db, err,
                   "UPDATE label SET print_count = print_count + 1,"
                   " last_printed_at = UTC_TIMESTAMP(6) WHERE id = ?",
                   "l", (long long)label);
}

int h_print_jobs_done(struct req *rq, struct resp *rs, struct app_err *err)
{
    json_t *ids = NULL, *jobs, *v;
    const struct jfield spec[] = {{"ids", JF_ARRAY, 1, &ids, MAX_JOB_IDS, NULL}};
    size_t i;

    if (json_read(rq->body, spec, 1, err) != 0)
        return -1;
    json_array_foreach(ids, i, v)
    {
        if (!json_is_integer(v) || json_integer_value(v) <= 0) {
            err_set(err, 400, json_is_integer(v) ? "bad_value" : "bad_type",
                    "each id must be a positive integer");
            field_at(err, "ids", i);
            return -1;
        }
    }
    jobs = json_array();
    json_array_foreach(ids, i, v)
    {
        json_t *row;
        if (job_done(rq, json_integer_value(v), err) != 0 ||
            !(row = one_row(rq->db, JOB_COLS " WHERE j.id = ?", json_integer_value(v), err))) {
            field_at(err, "ids", i);
            json_decref(jobs);
            return -1;
        }
        json_array_append_new(jobs, row);
    }
    resp_json(rs, 200, json_pack("{s:o}", "jobs", jobs));
    return 0;
}

/* ---------------------------------------------------------------- PATCH /depots/{id} */

int h_depot_update(struct req *rq, struct resp *rs, struct app_err *err)
{
    char name_zh[385], name_en[641], address[1021], sid[24];
    int auto_print = 0, has_auto, has_zh, has_en, has_addr;
    const struct jfield spec[] = {
        {"auto_print_labels", JF_BOOL, 0, &auto_print, 0, &has_auto},
        {"name_zh", JF_STR, 0, name_zh, sizeof(name_zh), &has_zh},
        {"name_en", JF_STR, 0, name_en, sizeof(name_en), &has_en},
        {"address", JF_STR, 0, address, sizeof(address), &has_addr},
    };
    long long ap;
    int64_t id;
    json_t *o, *bins;
    char *dtxt;
    struct db_res *r = NULL;

    /* Scope before the fields: another town learns nothing from a 400. */
    if (resolve_ref(rq->db, rq->params[0], "SELECT id FROM depot WHERE code = ?", &id, 404, "id",
                    err) != 0 ||
        auth_check_depot(rq->db, &rq->who, id, err) != 0)
        return -1;
    if (json_read(rq->body, spec, sizeof(spec) / sizeof(spec[0]), err) != 0)
        return -1;
    if (!has_auto && !has_zh && !has_en && !has_addr)
        return err_set(err, 400, "missing_field",
                       "give at least one of auto_print_labels, name_zh, name_en, address");
    if ((has_zh && !name_zh[0]) || (has_en && !name_en[0]))
        return err_field(err, 400, "bad_value", has_zh && !name_zh[0] ? "name_zh" : "name_en",
                         "a depot name must not be empty");
    /* One statement for any subset: an absent field keeps its value (the
     * flag says which); an empty address clears it. */
    ap = auto_print;
    if (db_exec(rq->db, err,
                "UPDATE depot SET auto_print_labels = IF(?, ?, auto_print_labels),"
                " name_zh = IF(?, ?, name_zh), name_en = IF(?, ?, name_en),"
                " address = IF(?, NULLIF(?, ''), address) WHERE id = ?",
                "llls"
                "lsls"
                "l",
                (long long)has_auto, ap, (long long)has_zh, has_zh ? name_zh : "",
                (long long)has_en, has_en ? name_en : "", (long long)has_addr,
                has_addr ? address : "", (long long)id) != 0)
        return -1;
    /* The audit detail is what was asked, as sent (sorted keys). */
    dtxt = json_dumps(rq->body, JSON_COMPACT | JSON_SORT_KEYS);
    id_text(id, sid);
    if (!dtxt)
        return err_set(err, 500, "internal", "out of memory");
    int rc = audit_append(rq->db, rq->who.user_id, "depot.update", "depot", sid, dtxt, err);
    free(dtxt);
    if (rc != 0)
        return -1;

    if (!(o = depot_row(rq->db, id, err)))
        return -1;
    if (db_query(rq->db, &r, err,
                 "SELECT id, code, name, active FROM bin WHERE depot_id = ? ORDER BY code", "l",
                 (long long)id) != 0) {
        json_decref(o);
        return -1;
    }
    bins = json_from_rows(r);
    db_res_free(r);
    json_object_set_new(o, "bins", bins);
    resp_json(rs, 200, o);
    return 0;
}
