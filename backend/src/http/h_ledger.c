/* h_ledger.c -- stock, the movement ledger, transfers and stocktakes. */
#include "handlers.h"
#include "jsonin.h"
#include "query.h"

#include "../core/util.h"
#include "../domain/audit.h"
#include "../domain/label.h"
#include "../domain/ledger.h"
#include "../store/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---------------------------------------------------------------- lookups */

struct lot_info {
    int64_t item_id;
    int integral;
    char tracking[8];
};

/* Bin -> depot; 422 unknown_reference naming `field` when there is none. */
static int load_bin(struct db_conn *db, int64_t bin_id, const char *field, int64_t *depot_id,
                    struct app_err *err)
{
    if (db_query_int(db, depot_id, err, "SELECT depot_id FROM bin WHERE id = ?", "l",
                     (long long)bin_id) != 0)
        return err->http == 404 ? err_field(err, 422, "unknown_reference", field, "no bin %lld",
                                            (long long)bin_id)
                                : -1;
    return 0;
}

static int load_item(struct db_conn *db, int64_t item_id, const char *field, struct lot_info *li,
                     struct app_err *err)
{
    struct db_res *r = NULL;
    if (db_query(db, &r, err, "SELECT integral, tracking FROM item WHERE id = ?", "l",
                 (long long)item_id) != 0)
        return -1;
    if (r->nrows == 0) {
        db_res_free(r);
        return err_field(err, 422, "unknown_reference", field, "no item %lld", (long long)item_id);
    }
    li->item_id = item_id;
    li->integral = (int)db_get_int(r, 0, 0);
    str_copy(li->tracking, sizeof(li->tracking), db_get(r, 0, 1));
    db_res_free(r);
    return 0;
}

static int load_lot(struct db_conn *db, int64_t lot_id, const char *field, struct lot_info *li,
                    struct app_err *err)
{
    int64_t item;
    if (db_query_int(db, &item, err, "SELECT item_id FROM lot WHERE id = ?", "l",
                     (long long)lot_id) != 0)
        return err->http == 404 ? err_field(err, 422, "unknown_reference", field, "no lot %lld",
                                            (long long)lot_id)
                                : -1;
    return load_item(db, item, field, li, err);
}

/* The bin's depot and that depot's org path, and the lot's item, in one
 * round trip: POST /movements is the hottest write, and these were four
 * queries (bin, lot, item, depot scope).  Every join is by primary key, so
 * the optimiser reads them as constants.  The same row carries the codes and
 * names the answer shows (*names, columns 5..11 named as in MOVE_COLS), so
 * the new movement need not be read back with its seven-table join.  No row
 * means an unknown bin or lot: load_bin and load_lot then say which, bin
 * first, as before. */
static int load_bin_lot(struct db_conn *db, int64_t bin_id, int64_t lot_id, int64_t *depot_id,
                        char *path, size_t pathlen, struct lot_info *li, struct db_res **names,
                        struct app_err *err)
{
    struct db_res *r = NULL;

    *names = NULL;
    if (db_query(db, &r, err,
                 "SELECT b.depot_id, o.path, l.item_id, i.integral, i.tracking,"
                 " b.code AS bin_code, d.code AS depot_code, l.lot_no, l.expiry_date,"
                 " i.code AS item_code, i.name_zh AS item_name_zh, i.unit"
                 " FROM bin b JOIN depot d ON d.id = b.depot_id"
                 " JOIN org_unit o ON o.id = d.org_unit_id"
                 " JOIN lot l ON l.id = ? JOIN item i ON i.id = l.item_id WHERE b.id = ?",
                 "ll", (long long)lot_id, (long long)bin_id) != 0)
        return -1;
    if (r->nrows != 1) {
        db_res_free(r);
        if (load_bin(db, bin_id, "bin_id", depot_id, err) != 0 ||
            load_lot(db, lot_id, "lot_id", li, err) != 0)
            return -1;
        return err_set(err, 500, "internal", "bin %lld or lot %lld half found", (long long)bin_id,
                       (long long)lot_id);
    }
    *depot_id = db_get_int(r, 0, 0);
    str_copy(path, pathlen, db_get(r, 0, 1) ? db_get(r, 0, 1) : "");
    li->item_id = db_get_int(r, 0, 2);
    li->integral = (int)db_get_int(r, 0, 3);
    str_copy(li->tracking, sizeof(li->tracking), db_get(r, 0, 4));
    *names = r;
    return 0;
}

/* ---------------------------------------------------------------- stock */

#include "views.h"

int h_stock_list(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct qb q;
    int limit, rc, include_zero = 0;
    int has_bin, has_lot, has_before, has_after;
    int64_t cursor, bin, lot;
    char before[11], after[11];
    const char *dref = req_query(rq, "depot"), *iref = req_query(rq, "item"),
               *oref = req_query(rq, "org_unit");

    if (q_page(rq, 500, &limit, &cursor, err) != 0 || q_int(rq, "bin", &bin, &has_bin, err) != 0 ||
        q_int(rq, "lot", &lot, &has_lot, err) != 0 ||
        q_date(rq, "expires_before", before, &has_before, err) != 0 ||
        q_date(rq, "expires_after", after, &has_after, err) != 0 ||
        q_bool(rq, "include_zero", &include_zero, err) != 0)
        return -1;
    qb_init(&q, STOCK_COLS " WHERE o.path LIKE CONCAT(?, '%')"
                           " AND (s.bin_id > ? OR (s.bin_id = ? AND s.lot_id > ?))");
    dbp_str(&q.ps, rq->who.org_path);
    dbp_int(&q.ps, cursor >> 32);
    dbp_int(&q.ps, cursor >> 32);
    dbp_int(&q.ps, cursor & 0xffffffff);
    if (qb_where_ref(&q, rq->db, dref, "SELECT id FROM depot WHERE code = ?", "depot",
                     " AND s.depot_id = ?", err) != 0)
        goto bad_ref;
    if (qb_where_ref(&q, rq->db, iref, "SELECT id FROM item WHERE code = ?", "item",
                     " AND s.item_id = ?", err) != 0)
        goto bad_ref;
    if (qb_where_ref(&q, rq->db, oref, "SELECT id FROM org_unit WHERE code = ?", "org_unit",
                     " AND o.path LIKE CONCAT((SELECT path FROM org_unit WHERE id = ?), '%')",
                     err) != 0)
        goto bad_ref;
    qb_where_int(&q, " AND s.bin_id = ?", has_bin, bin);
    qb_where_int(&q, " AND s.lot_id = ?", has_lot, lot);
    qb_where_str(&q, " AND l.expiry_date < ?", has_before ? before : NULL);
    qb_where_str(&q, " AND l.expiry_date >= ?", has_after ? after : NULL);
    if (!include_zero)
        qb_add(&q, " AND s.qty > 0");
    qb_add(&q, " ORDER BY s.bin_id, s.lot_id LIMIT ?");
    dbp_int(&q.ps, limit + 1);
    rc = qb_page(&q, rq, rs, limit, "row_key", err);
    qb_free(&q);
    return rc;
bad_ref:
    qb_free(&q);
    return -1;
}

/* ---------------------------------------------------------------- movements */

#define MOVE_COLS                                                                                  \
    "SELECT m.id, m.kind, m.bin_id, b.code AS bin_code, m.depot_id, d.code AS depot_code,"         \
    " m.lot_id, l.lot_no, l.expiry_date, m.item_id, i.code AS item_code,"                          \
    " i.name_zh AS item_name_zh, i.unit, m.qty, m.balance_after, m.occurred_at, m.recorded_at,"    \
    " m.user_id, u.username, m.reason, m.reference, m.recipient, m.transfer_id, m.stocktake_id,"   \
    " m.reverses_id, m.event_id FROM movement m JOIN bin b ON b.id = m.bin_id"                     \
    " JOIN depot d ON d.id = m.depot_id JOIN org_unit o ON o.id = d.org_unit_id"                   \
    " JOIN lot l ON l.id = m.lot_id JOIN item i ON i.id = m.item_id"                               \
    " JOIN app_user u ON u.id = m.user_id"

static json_t *movement_json(struct db_conn *db, int64_t id, struct app_err *err)
{
    return json_one(db, MOVE_COLS " WHERE m.id = ?", id, "movement", err);
}

/* The answer of GET /movements/{id} built without reading the movement
 * back: its own columns as the INSERT returned them (ledger_post_row), the
 * codes and names from load_bin_lot's row, the username from the session
 * (the movement's user is the caller).  Same keys in the same order as
 * MOVE_COLS, each converted as json_from_row converts it there, so the
 * answer is the same text as the GET's (tests/api/movement_answer.test.mjs). */
static json_t *movement_json_from(const struct db_res *mv, const struct db_res *names,
                                  const char *username)
{
    static const char *const keys[] = {
        "id",          "kind",    "bin_id",        "bin_code",    "depot_id",    "depot_code",
        "lot_id",      "lot_no",  "expiry_date",   "item_id",     "item_code",   "item_name_zh",
        "unit",        "qty",     "balance_after", "occurred_at", "recorded_at", "user_id",
        "username",    "reason",  "reference",     "recipient",   "transfer_id", "stocktake_id",
        "reverses_id", "event_id"};
    json_t *a = json_from_row(mv, 0), *b = json_from_row(names, 0), *o = json_object();

    if (!a || !b || !o)
        goto fail;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        json_t *v = strcmp(keys[i], "username") == 0 ? json_string(username)
                                                     : json_incref(json_object_get(a, keys[i]));
        if (!v)
            v = json_incref(json_object_get(b, keys[i]));
        if (!v || json_object_set_new(o, keys[i], v) != 0)
            goto fail;
    }
    json_decref(a);
    json_decref(b);
    return o;
fail:
    json_decref(a);
    json_decref(b);
    json_decref(o);
    return NULL;
}

int h_movements_list(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct qb q;
    int limit, rc;
    int has_bin, has_lot, has_from, has_to, has_tr;
    int64_t cursor, bin, lot, tr;
    char from[11], to[11];
    const char *dref = req_query(rq, "depot"), *iref = req_query(rq, "item"), *kind;

    if (q_page(rq, 500, &limit, &cursor, err) != 0 ||
        q_enum(rq, "kind",
               "receive|issue|transfer_out|transfer_in|adjust|count|dispose|return|reversal", &kind,
               err) != 0 ||
        q_int(rq, "bin", &bin, &has_bin, err) != 0 || q_int(rq, "lot", &lot, &has_lot, err) != 0 ||
        q_int(rq, "transfer", &tr, &has_tr, err) != 0 ||
        q_date(rq, "from", from, &has_from, err) != 0 || q_date(rq, "to", to, &has_to, err) != 0)
        return -1;
    qb_init(&q, MOVE_COLS " WHERE o.path LIKE CONCAT(?, '%')");
    dbp_str(&q.ps, rq->who.org_path);
    if (cursor) {
        qb_add(&q, " AND m.id < ?");
        dbp_int(&q.ps, cursor);
    }
    if (qb_where_ref(&q, rq->db, dref, "SELECT id FROM depot WHERE code = ?", "depot",
                     " AND m.depot_id = ?", err) != 0)
        goto bad_ref;
    if (qb_where_ref(&q, rq->db, iref, "SELECT id FROM item WHERE code = ?", "item",
                     " AND m.item_id = ?", err) != 0)
        goto bad_ref;
    qb_where_str(&q, " AND m.kind = ?", kind);
    qb_where_int(&q, " AND m.bin_id = ?", has_bin, bin);
    qb_where_int(&q, " AND m.lot_id = ?", has_lot, lot);
    qb_where_int(&q, " AND m.transfer_id = ?", has_tr, tr);
    qb_where_str(&q, " AND m.occurred_at >= ?", has_from ? from : NULL);
    qb_where_str(&q, " AND m.occurred_at < DATE_ADD(?, INTERVAL 1 DAY)", has_to ? to : NULL);
    qb_add(&q, " ORDER BY m.id DESC LIMIT ?");
    dbp_int(&q.ps, limit + 1);
    rc = qb_page(&q, rq, rs, limit, "id", err);
    qb_free(&q);
    return rc;
bad_ref:
    qb_free(&q);
    return -1;
}

int h_movement_get(struct req *rq, struct resp *rs, struct app_err *err)
{
    int64_t id, depot;
    json_t *o;
    if (path_id(rq, 0, &id, err) != 0)
        return -1;
    if (db_query_int(rq->db, &depot, err, "SELECT depot_id FROM movement WHERE id = ?", "l",
                     (long long)id) != 0)
        return err->http == 404 ? err_set(err, 404, "not_found", "no such movement") : -1;
    if (auth_check_depot(rq->db, &rq->who, depot, err) != 0)
        return -1;
    if (!(o = movement_json(rq->db, id, err)))
        return -1;
    resp_json(rs, 200, o);
    return 0;
}

/* ---------------------------------------------------------------- transfers */

#define TRANSFER_COLS                                                                              \
    "SELECT t.id, t.status, t.lot_id, l.lot_no, t.item_id, i.code AS item_code,"                   \
    " t.from_bin_id, t.from_depot_id, fd.code AS from_depot_code, t.to_depot_id,"                  \
    " td.code AS to_depot_code, t.qty_shipped, t.qty_received, t.qty_lost,"                        \
    " t.qty_shipped - t.qty_received - t.qty_lost AS qty_in_transit, t.created_by, t.created_at"   \
    " FROM transfer t JOIN lot l ON l.id = t.lot_id JOIN item i ON i.id = t.item_id"               \
    " JOIN depot fd ON fd.id = t.from_depot_id JOIN depot td ON td.id = t.to_depot_id"             \
    " JOIN org_unit fo ON fo.id = fd.org_unit_id JOIN org_unit tdo ON tdo.id = td.org_unit_id"

static json_t *transfer_json(struct db_conn *db, int64_t id, struct app_err *err)
{
    return json_one(db, TRANSFER_COLS " WHERE t.id = ?", id, "transfer", err);
}

int h_transfers_list(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct qb q;
    int limit, rc;
    int64_t cursor;
    const char *status;

    if (q_page(rq, 500, &limit, &cursor, err) != 0 ||
        q_enum(rq, "status", "in_transit|received|closed", &status, err) != 0)
        return -1;
    qb_init(&q, TRANSFER_COLS " WHERE (fo.path LIKE CONCAT(?, '%') OR tdo.path LIKE CONCAT(?, '%'))"
                              " AND t.id > ?");
    dbp_str(&q.ps, rq->who.org_path);
    dbp_str(&q.ps, rq->who.org_path);
    dbp_int(&q.ps, cursor);
    qb_where_str(&q, " AND t.status = ?", status);
    qb_add(&q, " ORDER BY t.id LIMIT ?");
    dbp_int(&q.ps, limit + 1);
    rc = qb_page(&q, rq, rs, limit, "id", err);
    qb_free(&q);
    return rc;
}

/* A transfer is visible from both ends. */
static int check_transfer_scope(struct req *rq, int64_t id, struct app_err *err)
{
    struct db_res *r = NULL;
    int in;
    if (db_query(
            rq->db, &r, err,
            "SELECT fo.path, tdo.path FROM transfer t JOIN depot fd ON fd.id = t.from_depot_id"
            " JOIN depot td ON td.id = t.to_depot_id JOIN org_unit fo ON fo.id = fd.org_unit_id"
            " JOIN org_unit tdo ON tdo.id = td.org_unit_id WHERE t.id = ?",
            "l", (long long)id) != 0)
        return -1;
    if (r->nrows == 0) {
        db_res_free(r);
        return err_set(err, 404, "not_found", "no such transfer");
    }
    in = auth_in_scope(&rq->who, db_get(r, 0, 0)) || auth_in_scope(&rq->who, db_get(r, 0, 1));
    db_res_free(r);
    return in ? 0 : err_set(err, 403, "forbidden", "the transfer is outside your org unit");
}

int h_transfer_get(struct req *rq, struct resp *rs, struct app_err *err)
{
    int64_t id;
    json_t *o;
    if (path_id(rq, 0, &id, err) != 0 || check_transfer_scope(rq, id, err) != 0)
        return -1;
    if (!(o = transfer_json(rq->db, id, err)))
        return -1;
    resp_json(rs, 200, o);
    return 0;
}

/* ---------------------------------------------------------------- POST /movements */

struct mv_in {
    char kind[20];
    int64_t bin_id, item_id, lot_id, from_bin_id, to_depot_id, transfer_id, to_bin_id, movement_id;
    json_t *lot;
    double qty;
    char reason[1021], reference[513], recipient[513], event[129];
    time_t occurred_at;
    int64_t event_id; /* resolved from `event` (a code) by h_movement_create */
    int has_lot_id, has_lot, has_reason, has_reference, has_recipient, has_occurred, has_event;
};

/* Which fields each kind takes, and which of them it needs. */
static const struct {
    const char *kind;
    const char *fields;
    const char *required;
} kinds[] = {
    {"receive", " bin_id item_id lot_id lot qty ", " bin_id item_id qty "},
    {"issue", " bin_id lot_id qty recipient ", " bin_id lot_id qty "},
    {"return", " bin_id lot_id qty recipient ", " bin_id lot_id qty "},
    {"dispose", " bin_id lot_id qty ", " bin_id lot_id qty reason "},
    {"adjust", " bin_id lot_id qty ", " bin_id lot_id qty reason "},
    {"transfer", " from_bin_id lot_id qty to_depot_id ", " from_bin_id lot_id qty to_depot_id "},
    {"transfer_receive", " transfer_id to_bin_id qty ", " transfer_id to_bin_id qty "},
    {"move", " bin_id to_bin_id lot_id qty ", " bin_id to_bin_id lot_id qty "},
    {"reversal", " movement_id ", " movement_id reason "},
};

static int has_word(const char *list, const char *w)
{
    char pat[40];
    snprintf(pat, sizeof(pat), " %s ", w);
    return strstr(list, pat) != NULL;
}

static int read_movement(json_t *body, struct mv_in *in, int *kind_ix, struct app_err *err)
{
    const struct jfield all[] = {
        {"kind", JF_STR, 1, in->kind, sizeof(in->kind), NULL},
        {"bin_id", JF_ID, 0, &in->bin_id, 0, NULL},
        {"item_id", JF_ID, 0, &in->item_id, 0, NULL},
        {"lot_id", JF_ID, 0, &in->lot_id, 0, &in->has_lot_id},
        {"lot", JF_OBJECT, 0, &in->lot, 0, &in->has_lot},
        {"qty", JF_NUM, 0, &in->qty, 0, NULL},
        {"from_bin_id", JF_ID, 0, &in->from_bin_id, 0, NULL},
        {"to_depot_id", JF_ID, 0, &in->to_depot_id, 0, NULL},
        {"transfer_id", JF_ID, 0, &in->transfer_id, 0, NULL},
        {"to_bin_id", JF_ID, 0, &in->to_bin_id, 0, NULL},
        {"movement_id", JF_ID, 0, &in->movement_id, 0, NULL},
        {"recipient", JF_STR, 0, in->recipient, sizeof(in->recipient), &in->has_recipient},
        {"reason", JF_STR, 0, in->reason, sizeof(in->reason), &in->has_reason},
        {"reference", JF_STR, 0, in->reference, sizeof(in->reference), &in->has_reference},
        {"occurred_at", JF_DATETIME, 0, &in->occurred_at, 0, &in->has_occurred},
        {"event", JF_STR, 0, in->event, sizeof(in->event), &in->has_event},
    };
    struct jfield spec[sizeof(all) / sizeof(all[0])];
    size_t n = 0;
    json_t *k = json_object_get(body, "kind");

    memset(in, 0, sizeof(*in));
    if (!k)
        return err_field(err, 400, "missing_field", "kind", "kind is required");
    if (!json_is_string(k))
        return err_field(err, 400, "bad_type", "kind", "kind must be a string");
    *kind_ix = -1;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(kinds[i].kind, json_string_value(k)) == 0)
            *kind_ix = (int)i;
    if (*kind_ix < 0)
        return err_field(err, 400, "bad_value", "kind",
                         "kind is receive, issue, return, dispose, adjust, transfer,"
                         " transfer_receive, move or reversal");
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        const char *name = all[i].name;
        int common = !strcmp(name, "kind") || !strcmp(name, "reason") ||
                     !strcmp(name, "reference") || !strcmp(name, "occurred_at") ||
                     !strcmp(name, "event");
        if (!common && !has_word(kinds[*kind_ix].fields, name))
            continue;
        spec[n] = all[i];
        spec[n].required = !strcmp(name, "kind") || has_word(kinds[*kind_ix].required, name);
        n++;
    }
    if (json_read(body, spec, n, err) != 0)
        return -1;
    if (in->has_occurred) {
        time_t now = time(NULL);
        if (in->occurred_at > now + 300)
            return err_field(err, 400, "bad_date", "occurred_at", "occurred_at is in the future");
        if (in->occurred_at < 946684800) /* 2000-01-01 */
            return err_field(err, 400, "bad_date", "occurred_at", "occurred_at is before 2000");
    }
    if (has_word(kinds[*kind_ix].required, "reason") && !in->reason[0])
        return err_field(err, 400, "missing_field", "reason", "a reason is required");
    return 0;
}

static void entry_common(struct ledger_entry *e, const struct mv_in *in)
{
    e->occurred_at = in->has_occurred ? in->occurred_at : 0;
    e->reason = in->has_reason ? in->reason : NULL;
    e->reference = in->has_reference ? in->reference : NULL;
    e->recipient = in->has_recipient ? in->recipient : NULL;
    e->event_id = in->event_id;
}

/* `event`: the code of an active emergency event the movement is made for,
 * so the event's report finds it.  A closed event takes no more movements. */
static int resolve_event(struct req *rq, struct mv_in *in, struct app_err *err)
{
    struct db_res *r = NULL;
    int rc = 0;

    if (!in->has_event || !in->event[0])
        return 0;
    if (db_query(rq->db, &r, err, "SELECT id, status FROM emergency_event WHERE code = ?", "s",
                 in->event) != 0)
        return -1;
    if (!r->nrows)
        rc = err_field(err, 422, "unknown_reference", "event", "no emergency event with code %s",
                       in->event);
    else if (strcmp(db_get(r, 0, 1), "active") != 0)
        rc = err_field(err, 409, "conflict", "event",
                       "the event %s is closed: it takes no more movements", in->event);
    else
        in->event_id = db_get_int(r, 0, 0);
    db_res_free(r);
    return rc;
}

/* A depot with auto_print_labels gets the label of every lot received into
 * a bin, and a print job for its printer, in the receipt's own transaction:
 * the goods and their label job commit together or not at all. */
static int auto_print(struct req *rq, int64_t depot, int64_t bin, int64_t lot, struct app_err *err)
{
    struct label_target t = {"lot", depot, bin, lot, 0};
    char code[LABEL_CODE_LEN + 1];
    int64_t on, label;
    int created;

    if (db_query_int(rq->db, &on, err, "SELECT auto_print_labels FROM depot WHERE id = ?", "l",
                     (long long)depot) != 0)
        return -1;
    if (!on)
        return 0;
    if (label_ensure(rq->db, rq->who.user_id, &t, &label, code, &created, err) != 0)
        return -1;
    return db_exec(rq->db, err, "INSERT INTO label_print_job (depot_id, label_id) VALUES (?, ?)",
                   "ll", (long long)depot, (long long)label);
}

static int mv_receive(struct req *rq, struct mv_in *in, int64_t *mid, struct app_err *err)
{
    struct lot_info li;
    struct ledger_entry e = {0};
    int64_t depot, qty;

    if (load_bin(rq->db, in->bin_id, "bin_id", &depot, err) != 0 ||
        load_item(rq->db, in->item_id, "item_id", &li, err) != 0)
        return -1;
    if (json_qty_check(in->qty, li.integral, 0, "qty", &qty, err) != 0)
        return -1;
    if (auth_check_depot(rq->db, &rq->who, depot, err) != 0)
        return -1;
    if (in->has_lot_id && in->has_lot)
        return err_field(err, 400, "bad_value", "lot", "give lot_id or lot, not both");
    if (in->has_lot_id) {
        struct lot_info l2;
        if (load_lot(rq->db, in->lot_id, "lot_id", &l2, err) != 0)
            return -1;
        if (l2.item_id != in->item_id)
            return err_field(err, 422, "rule_broken", "lot_id", "the lot is of another item");
    } else if (in->has_lot) {
        if (lot_find_or_create(rq->db, in->item_id, in->lot, &in->lot_id, "lot", err) != 0)
            return -1;
    } else if (strcmp(li.tracking, "bulk") == 0) {
        json_t *bulk = json_pack("{s:s}", "lot_no", "BULK");
        int rc = lot_find_or_create(rq->db, in->item_id, bulk, &in->lot_id, "lot", err);
        json_decref(bulk);
        if (rc != 0)
            return -1;
    } else {
        return err_field(err, 400, "missing_field", "lot",
                         "this item is tracked by lot: give lot_id or a lot object");
    }
    e.kind = "receive";
    e.bin_id = in->bin_id;
    e.lot_id = in->lot_id;
    e.qty = qty;
    entry_common(&e, in);
    if (ledger_post(rq->db, &rq->who, &e, mid, NULL, err) != 0)
        return -1;
    return auto_print(rq, depot, in->bin_id, in->lot_id, err);
}

/* issue, return, dispose, adjust: one bin, one lot, a signed quantity.
 * *answer: the new movement as GET /movements/{id} shows it. */
static int mv_simple(struct req *rq, const char *kind, struct mv_in *in, json_t **answer,
                     struct app_err *err)
{
    struct lot_info li;
    struct ledger_entry e = {0};
    struct db_res *names = NULL, *row = NULL;
    int64_t depot = 0, qty;
    int adjust = strcmp(kind, "adjust") == 0, rc = -1;
    char path[sizeof(rq->who.org_path)];

    if (load_bin_lot(rq->db, in->bin_id, in->lot_id, &depot, path, sizeof(path), &li, &names,
                     err) != 0)
        return -1;
    if (json_qty_check(in->qty, li.integral, adjust, "qty", &qty, err) != 0)
        goto out;
    if (!auth_in_scope(&rq->who, path)) {
        err_set(err, 403, "forbidden", "the depot is outside your org unit");
        goto out;
    }
    e.kind = kind;
    e.bin_id = in->bin_id;
    e.lot_id = in->lot_id;
    e.depot_id = depot; /* looked up and scope-checked just above */
    e.item_id = li.item_id;
    e.qty = (!strcmp(kind, "issue") || !strcmp(kind, "dispose")) ? -qty : qty;
    entry_common(&e, in);
    if (ledger_post_row(rq->db, &rq->who, &e, &row, err) != 0)
        goto out;
    if (!(*answer = movement_json_from(row, names, rq->who.username))) {
        err_set(err, 500, "internal", "out of memory");
        goto out;
    }
    rc = 0;
out:
    db_res_free(row);
    db_res_free(names);
    return rc;
}

static int mv_transfer(struct req *rq, struct mv_in *in, int64_t *mid, int64_t *tid,
                       struct app_err *err)
{
    struct lot_info li;
    struct ledger_entry e = {0};
    int64_t from_depot, qty, v;

    if (load_bin(rq->db, in->from_bin_id, "from_bin_id", &from_depot, err) != 0 ||
        load_lot(rq->db, in->lot_id, "lot_id", &li, err) != 0)
        return -1;
    if (json_qty_check(in->qty, li.integral, 0, "qty", &qty, err) != 0)
        return -1;
    if (db_query_int(rq->db, &v, err, "SELECT id FROM depot WHERE id = ?", "l",
                     (long long)in->to_depot_id) != 0)
        return err->http == 404 ? err_field(err, 422, "unknown_reference", "to_depot_id",
                                            "no depot %lld", (long long)in->to_depot_id)
                                : -1;
    if (auth_check_depot(rq->db, &rq->who, from_depot, err) != 0)
        return -1;
    if (db_exec(rq->db, err,
                "INSERT INTO transfer (lot_id, item_id, from_bin_id, from_depot_id, to_depot_id,"
                " qty_shipped, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
                "lllllql", (long long)in->lot_id, (long long)li.item_id, (long long)in->from_bin_id,
                (long long)from_depot, (long long)in->to_depot_id, qty,
                (long long)rq->who.user_id) != 0)
        return -1;
    *tid = (int64_t)db_insert_id(rq->db);
    e.kind = "transfer_out";
    e.bin_id = in->from_bin_id;
    e.lot_id = in->lot_id;
    e.qty = -qty;
    e.transfer_id = *tid;
    entry_common(&e, in);
    return ledger_post(rq->db, &rq->who, &e, mid, NULL, err);
}

static int mv_transfer_receive(struct req *rq, struct mv_in *in, int64_t *mid, int64_t *tid,
                               struct app_err *err)
{
    struct db_res *r = NULL;
    struct ledger_entry e = {0};
    struct lot_info li;
    int64_t to_depot, bin_depot, lot, open, qty;
    char status[16];

    /* The row lock orders concurrent receipts of the same transfer. */
    if (db_query(rq->db, &r, err,
                 "SELECT to_depot_id, lot_id, qty_shipped - qty_received - qty_lost, status"
                 " FROM transfer WHERE id = ? FOR UPDATE",
                 "l", (long long)in->transfer_id) != 0)
        return -1;
    if (r->nrows == 0) {
        db_res_free(r);
        return err_field(err, 422, "unknown_reference", "transfer_id", "no transfer %lld",
                         (long long)in->transfer_id);
    }
    to_depot = db_get_int(r, 0, 0);
    lot = db_get_int(r, 0, 1);
    open = db_get_qty(r, 0, 2);
    str_copy(status, sizeof(status), db_get(r, 0, 3));
    db_res_free(r);
    if (load_bin(rq->db, in->to_bin_id, "to_bin_id", &bin_depot, err) != 0 ||
        load_lot(rq->db, lot, "transfer_id", &li, err) != 0)
        return -1;
    if (json_qty_check(in->qty, li.integral, 0, "qty", &qty, err) != 0)
        return -1;
    if (bin_depot != to_depot)
        return err_field(err, 422, "rule_broken", "to_bin_id",
                         "the bin is not in the transfer's destination depot");
    if (auth_check_depot(rq->db, &rq->who, to_depot, err) != 0)
        return -1;
    if (strcmp(status, "in_transit") != 0 || qty > open) {
        char o[32];
        qty_format(open, o, sizeof(o));
        return err_field(err, 422, "rule_broken", "qty", "only %s of this transfer is in transit",
                         o);
    }
    if (db_exec(rq->db, err,
                "UPDATE transfer SET qty_received = qty_received + ?,"
                " status = IF(qty_received + qty_lost >= qty_shipped, 'received', status)"
                " WHERE id = ?",
                "ql", qty, (long long)in->transfer_id) != 0)
        return -1;
    *tid = in->transfer_id;
    e.kind = "transfer_in";
    e.bin_id = in->to_bin_id;
    e.lot_id = lot;
    e.qty = qty;
    e.transfer_id = in->transfer_id;
    entry_common(&e, in);
    return ledger_post(rq->db, &rq->who, &e, mid, NULL, err);
}

/* A move between two bins of one depot: a transfer that arrives at once,
 * out of one bin and into the other in the same transaction. */
static int mv_move(struct req *rq, struct mv_in *in, int64_t *mid, int64_t *tid,
                   struct app_err *err)
{
    struct lot_info li;
    struct ledger_entry e = {0};
    int64_t from_depot, to_depot, qty;

    if (load_bin(rq->db, in->bin_id, "bin_id", &from_depot, err) != 0 ||
        load_bin(rq->db, in->to_bin_id, "to_bin_id", &to_depot, err) != 0 ||
        load_lot(rq->db, in->lot_id, "lot_id", &li, err) != 0)
        return -1;
    if (json_qty_check(in->qty, li.integral, 0, "qty", &qty, err) != 0)
        return -1;
    if (from_depot != to_depot)
        return err_field(err, 422, "rule_broken", "to_bin_id",
                         "a move stays in one depot; use a transfer between depots");
    if (in->to_bin_id == in->bin_id)
        return err_field(err, 422, "rule_broken", "to_bin_id", "the stock is in that bin already");
    if (auth_check_depot(rq->db, &rq->who, from_depot, err) != 0)
        return -1;
    if (db_exec(rq->db, err,
                "INSERT INTO transfer (lot_id, item_id, from_bin_id, from_depot_id, to_depot_id,"
                " qty_shipped, qty_received, status, created_by)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 'received', ?)",
                "lllllqql", (long long)in->lot_id, (long long)li.item_id, (long long)in->bin_id,
                (long long)from_depot, (long long)to_depot, qty, qty,
                (long long)rq->who.user_id) != 0)
        return -1;
    *tid = (int64_t)db_insert_id(rq->db);
    e.kind = "transfer_out";
    e.bin_id = in->bin_id;
    e.lot_id = in->lot_id;
    e.qty = -qty;
    e.transfer_id = *tid;
    entry_common(&e, in);
    if (ledger_post(rq->db, &rq->who, &e, NULL, NULL, err) != 0)
        return -1;
    e.kind = "transfer_in";
    e.bin_id = in->to_bin_id;
    e.qty = qty;
    return ledger_post(rq->db, &rq->who, &e, mid, NULL, err);
}

static int mv_reversal(struct req *rq, struct mv_in *in, int64_t *mid, struct app_err *err)
{
    struct db_res *r = NULL;
    struct ledger_entry e = {0};
    char kind[20], sid[24];
    int64_t v;

    if (db_query(rq->db, &r, err,
                 "SELECT kind, bin_id, lot_id, qty, depot_id FROM movement WHERE id = ?", "l",
                 (long long)in->movement_id) != 0)
        return -1;
    if (r->nrows == 0) {
        db_res_free(r);
        return err_field(err, 422, "unknown_reference", "movement_id", "no movement %lld",
                         (long long)in->movement_id);
    }
    str_copy(kind, sizeof(kind), db_get(r, 0, 0));
    e.bin_id = db_get_int(r, 0, 1);
    e.lot_id = db_get_int(r, 0, 2);
    e.qty = -db_get_qty(r, 0, 3);
    int64_t depot = db_get_int(r, 0, 4);
    db_res_free(r);
    if (auth_check_depot(rq->db, &rq->who, depot, err) != 0)
        return -1;
    if (!strcmp(kind, "transfer_out") || !strcmp(kind, "transfer_in") || !strcmp(kind, "reversal"))
        return err_field(err, 422, "rule_broken", "movement_id",
                         "a %s cannot be reversed; move the stock back instead", kind);
    if (db_query_int(rq->db, &v, err, "SELECT id FROM movement WHERE reverses_id = ?", "l",
                     (long long)in->movement_id) == 0)
        return err_field(err, 409, "already_reversed", "movement_id",
                         "movement %lld was reversed by movement %lld", (long long)in->movement_id,
                         (long long)v);
    if (err->http != 404)
        return -1;
    e.kind = "reversal";
    e.reverses_id = in->movement_id;
    entry_common(&e, in);
    if (ledger_post(rq->db, &rq->who, &e, mid, NULL, err) != 0) {
        if (db_errno(rq->db) == 1062)
            err_field(err, 409, "already_reversed", "movement_id", "the movement was reversed");
        return -1;
    }
    snprintf(sid, sizeof(sid), "%lld", (long long)in->movement_id);
    return audit_append(rq->db, rq->who.user_id, "movement.reverse", "movement", sid, in->reason,
                        err);
}

int h_movement_create(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct mv_in in;
    int kix = 0, rc;
    int64_t mid = 0, tid = 0;
    json_t *mv = NULL, *out;

    if (read_movement(rq->body, &in, &kix, err) != 0 || resolve_event(rq, &in, err) != 0)
        return -1;
    const char *kind = kinds[kix].kind;
    if (!strcmp(kind, "receive"))
        rc = mv_receive(rq, &in, &mid, err);
    else if (!strcmp(kind, "transfer"))
        rc = mv_transfer(rq, &in, &mid, &tid, err);
    else if (!strcmp(kind, "transfer_receive"))
        rc = mv_transfer_receive(rq, &in, &mid, &tid, err);
    else if (!strcmp(kind, "move"))
        rc = mv_move(rq, &in, &mid, &tid, err);
    else if (!strcmp(kind, "reversal"))
        rc = mv_reversal(rq, &in, &mid, err);
    else
        rc = mv_simple(rq, kind, &in, &mv, err);
    if (rc != 0)
        return -1;
    if (!mv && !(mv = movement_json(rq->db, mid, err)))
        return -1;
    out = json_pack("{s:o}", "movement", mv);
    if (tid) {
        json_t *t = transfer_json(rq->db, tid, err);
        if (!t) {
            json_decref(out);
            return -1;
        }
        json_object_set_new(out, "transfer", t);
    }
    resp_json(rs, 201, out);
    return 0;
}

/* ---------------------------------------------------------------- stocktakes */

#define STOCKTAKE_COLS                                                                             \
    "SELECT st.id, st.status, st.bin_id, b.code AS bin_code, st.lot_id, l.lot_no, st.depot_id,"    \
    " d.code AS depot_code, st.first_user_id, st.first_at, st.second_user_id, st.second_at"        \
    " FROM stocktake st JOIN bin b ON b.id = st.bin_id JOIN lot l ON l.id = st.lot_id"             \
    " JOIN depot d ON d.id = st.depot_id JOIN org_unit o ON o.id = d.org_unit_id"

int h_stocktakes_list(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct qb q;
    int limit, rc;
    int64_t cursor;
    const char *status;

    if (q_page(rq, 500, &limit, &cursor, err) != 0 ||
        q_enum(rq, "status", "recount_required|posted|cancelled", &status, err) != 0)
        return -1;
    qb_init(&q, STOCKTAKE_COLS " WHERE o.path LIKE CONCAT(?, '%') AND st.id > ?");
    dbp_str(&q.ps, rq->who.org_path);
    dbp_int(&q.ps, cursor);
    qb_where_str(&q, " AND st.status = ?", status);
    qb_add(&q, " ORDER BY st.id LIMIT ?");
    dbp_int(&q.ps, limit + 1);
    rc = qb_page(&q, rq, rs, limit, "id", err);
    qb_free(&q);
    return rc;
}

/* The balance under a row lock (0 when the bin never held the lot). */
static int locked_balance(struct db_conn *db, int64_t bin, int64_t lot, int64_t *qty,
                          struct app_err *err)
{
    struct db_res *r = NULL;
    if (db_query(db, &r, err, "SELECT qty FROM stock WHERE bin_id = ? AND lot_id = ? FOR UPDATE",
                 "ll", (long long)bin, (long long)lot) != 0)
        return -1;
    *qty = r->nrows ? db_get_qty(r, 0, 0) : 0;
    db_res_free(r);
    return 0;
}

/* Post a count: a movement for the difference (none when it matches). */
static int post_count(struct req *rq, int64_t st_id, int64_t bin, int64_t lot, int64_t counted,
                      int64_t expected, int64_t *mid, struct app_err *err)
{
    struct ledger_entry e = {0};
    *mid = 0;
    if (counted == expected) {
        return db_exec(rq->db, err,
                       "UPDATE stock SET last_count_at = UTC_TIMESTAMP(6)"
                       " WHERE bin_id = ? AND lot_id = ?",
                       "ll", (long long)bin, (long long)lot);
    }
    e.kind = "count";
    e.bin_id = bin;
    e.lot_id = lot;
    e.qty = counted - expected;
    e.stocktake_id = st_id;
    e.reason = "stocktake";
    return ledger_post(rq->db, &rq->who, &e, mid, NULL, err);
}

static int stocktake_reply(struct req *rq, struct resp *rs, int status, int64_t st_id, int64_t mid,
                           struct app_err *err)
{
    struct db_res *r = NULL;
    json_t *out, *mv = NULL;
    if (db_query(rq->db, &r, err, STOCKTAKE_COLS " WHERE st.id = ?", "l", (long long)st_id) != 0)
        return -1;
    out = json_pack("{s:o}", "stocktake", json_from_row(r, 0));
    db_res_free(r);
    if (mid && !(mv = movement_json(rq->db, mid, err))) {
        json_decref(out);
        return -1;
    }
    json_object_set_new(out, "movement", mv ? mv : json_null());
    resp_json(rs, status, out);
    return 0;
}

int h_stocktake_create(struct req *rq, struct resp *rs, struct app_err *err)
{
    int64_t bin = 0, lot = 0, depot, counted, expected, diff, limit, mid = 0, open;
    double cq = 0;
    const struct jfield spec[] = {
        {"bin_id", JF_ID, 1, &bin, 0, NULL},
        {"lot_id", JF_ID, 1, &lot, 0, NULL},
        {"counted_qty", JF_NUM, 1, &cq, 0, NULL},
    };
    struct lot_info li;
    const struct config *cfg = rq->app->cfg;

    if (json_read(rq->body, spec, 3, err) != 0 ||
        load_bin(rq->db, bin, "bin_id", &depot, err) != 0 ||
        load_lot(rq->db, lot, "lot_id", &li, err) != 0)
        return -1;
    if (qty_from_double(cq, li.integral, &counted) != 0 || counted < 0)
        return err_field(err, 400, "bad_quantity", "counted_qty",
                         li.integral ? "counted_qty must be a whole number >= 0"
                                     : "counted_qty must be >= 0 with at most 3 decimals");
    if (auth_check_depot(rq->db, &rq->who, depot, err) != 0)
        return -1;
    /* The bin row lock orders two first counts even where no stock row exists yet. */
    if (db_query_int(rq->db, &open, err, "SELECT id FROM bin WHERE id = ? FOR UPDATE", "l",
                     (long long)bin) != 0)
        return -1;
    if (locked_balance(rq->db, bin, lot, &expected, err) != 0)
        return -1;
    if (db_query_int(rq->db, &open, err,
                     "SELECT id FROM stocktake WHERE bin_id = ? AND lot_id = ?"
                     " AND status = 'recount_required'",
                     "ll", (long long)bin, (long long)lot) == 0)
        return err_set(err, 409, "conflict", "stocktake %lld awaits its recount", (long long)open);
    if (err->http != 404)
        return -1;
    diff = counted > expected ? counted - expected : expected - counted;
    limit = (int64_t)cfg->count_recount_abs * QTY_SCALE;
    if (expected * cfg->count_recount_pct / 100 > limit)
        limit = expected * cfg->count_recount_pct / 100;
    int posted = diff <= limit;
    if (db_exec(rq->db, err,
                "INSERT INTO stocktake (bin_id, lot_id, depot_id, status, first_count,"
                " first_user_id, expected_at_post) VALUES (?, ?, ?, ?, ?, ?, ?)",
                "lllsqlq", (long long)bin, (long long)lot, (long long)depot,
                posted ? "posted" : "recount_required", counted, (long long)rq->who.user_id,
                expected) != 0)
        return -1;
    int64_t st_id = (int64_t)db_insert_id(rq->db);
    if (!posted)
        return stocktake_reply(rq, rs, 202, st_id, 0, err);
    if (post_count(rq, st_id, bin, lot, counted, expected, &mid, err) != 0)
        return -1;
    return stocktake_reply(rq, rs, 201, st_id, mid, err);
}

int h_stocktake_recount(struct req *rq, struct resp *rs, struct app_err *err)
{
    int64_t id, bin, lot, depot, first_user, counted, expected, mid = 0;
    double cq = 0;
    const struct jfield spec[] = {{"counted_qty", JF_NUM, 1, &cq, 0, NULL}};
    struct db_res *r = NULL;
    struct lot_info li;
    char status[24], sid[24], detail[96];

    if (path_id(rq, 0, &id, err) != 0)
        return -1;
    if (db_query(rq->db, &r, err,
                 "SELECT bin_id, lot_id, depot_id, first_user_id, status FROM stocktake"
                 " WHERE id = ? FOR UPDATE",
                 "l", (long long)id) != 0)
        return -1;
    if (r->nrows == 0) {
        db_res_free(r);
        return err_set(err, 404, "not_found", "no such stocktake");
    }
    bin = db_get_int(r, 0, 0);
    lot = db_get_int(r, 0, 1);
    depot = db_get_int(r, 0, 2);
    first_user = db_get_int(r, 0, 3);
    str_copy(status, sizeof(status), db_get(r, 0, 4));
    db_res_free(r);
    /* Scope before the fields (404, 403, then 400, then the state). */
    if (auth_check_depot(rq->db, &rq->who, depot, err) != 0 ||
        json_read(rq->body, spec, 1, err) != 0)
        return -1;
    if (strcmp(status, "recount_required") != 0)
        return err_set(err, 409, "conflict", "this stocktake is %s", status);
    if (first_user == rq->who.user_id)
        return err_set(err, 422, "rule_broken", "the recount must be made by another person");
    if (load_lot(rq->db, lot, "lot_id", &li, err) != 0)
        return -1;
    if (qty_from_double(cq, li.integral, &counted) != 0 || counted < 0)
        return err_field(err, 400, "bad_quantity", "counted_qty", "counted_qty must be >= 0%s",
                         li.integral ? " and whole" : "");
    if (locked_balance(rq->db, bin, lot, &expected, err) != 0)
        return -1;
    if (db_exec(rq->db, err,
                "UPDATE stocktake SET status = 'posted', second_count = ?, second_user_id = ?,"
                " second_at = UTC_TIMESTAMP(6), expected_at_post = ? WHERE id = ?",
                "qlql", counted, (long long)rq->who.user_id, expected, (long long)id) != 0)
        return -1;
    if (post_count(rq, id, bin, lot, counted, expected, &mid, err) != 0)
        return -1;
    snprintf(sid, sizeof(sid), "%lld", (long long)id);
    snprintf(detail, sizeof(detail), "{\"first_user_id\":%lld}", (long long)first_user);
    if (audit_append(rq->db, rq->who.user_id, "stocktake.recount", "stocktake", sid, detail, err) !=
        0)
        return -1;
    return stocktake_reply(rq, rs, 201, id, mid, err);
}
