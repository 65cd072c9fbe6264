/*
 * h_purchasing.c -- suppliers, purchase orders and receipts against them
 * (docs/purchasing.md).
 *
 * An order belongs to its destination depot for scope: whoever may see that
 * depot sees the order.  States: draft -> ordered -> partially_received ->
 * received -> closed; draft/ordered -> cancelled while nothing has arrived;
 * an order with something still missing may be closed short, which records
 * the missing quantity on each line (under-delivery) and stops expecting it.
 *
 * A receipt is one 'receive' movement through ledger_post in the request's
 * transaction, plus a po_receipt row pointing at it, plus the lot label of
 * (bin, lot): goods, label and order state commit together or not at all.
 */
#include "handlers.h"
#include "jsonin.h"
#include "query.h"

#include "../core/util.h"
#include "../domain/audit.h"
#include "../domain/label.h"
#include "../domain/ledger.h"
#include "../domain/procure.h"
#include "../store/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PO_LINES 200

static void id_text(int64_t id, char out[24])
{
    snprintf(out, 24, "%lld", (long long)id);
}

/* Append an audit event for a workflow step; steals detail. */
static int p_audit(struct req *rq, const char *action, const char *type, int64_t id, json_t *detail,
                   struct app_err *err)
{
    char sid[24];
    char *txt = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    int rc;
    id_text(id, sid);
    rc = audit_append(rq->db, rq->who.user_id, action, type, sid, txt, err);
    free(txt);
    json_decref(detail);
    return rc;
}

/* ---------------------------------------------------------------- suppliers */

#define SUPPLIER_COLS                                                                              \
    "SELECT s.id, s.code, s.name, s.contact, s.lead_time_days, s.active, s.is_demo,"               \
    " s.created_at, (SELECT COUNT(*) FROM supplier_item si WHERE si.supplier_id = s.id)"           \
    " AS item_count FROM supplier s"

#define SUPPLIER_ITEM_COLS                                                                         \
    "SELECT si.item_id, i.code AS item_code, i.name_zh AS item_name_zh,"                           \
    " i.name_en AS item_name_en, i.unit, si.lead_time_days,"                                       \
    " COALESCE(si.lead_time_days, s.lead_time_days) AS effective_lead_time_days, si.unit_price"    \
    " FROM supplier_item si JOIN item i ON i.id = si.item_id"                                      \
    " JOIN supplier s ON s.id = si.supplier_id WHERE si.supplier_id = ? ORDER BY i.code"

int h_suppliers_list(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct qb q;
    int limit, rc, active = -1;
    int64_t cursor;
    const char *search = req_query(rq, "q"), *act;
    char like[200];

    if (q_page(rq, 500, &limit, &cursor, err) != 0 ||
        q_enum(rq, "active", "true|false|1|0", &act, err) != 0)
        return -1;
    if (act)
        active = !strcmp(act, "true") || !strcmp(act, "1");
    qb_init(&q, SUPPLIER_COLS " WHERE s.id > ?");
    dbp_int(&q.ps, cursor);
    qb_where_int(&q, " AND s.active = ?", active >= 0, active);
    if (search && *search) {
        char esc[180];
        like_escape(search, esc, sizeof(esc));
        snprintf(like, sizeof(like), "%%%s%%", esc);
        qb_add(&q, " AND (s.code LIKE ? OR s.name LIKE ?)");
        dbp_str(&q.ps, like);
        dbp_str(&q.ps, like);
    }
    qb_add(&q, " ORDER BY s.id LIMIT ?");
    dbp_int(&q.ps, limit + 1);
    rc = qb_page(&q, rq, rs, limit, "id", err);
    qb_free(&q);
    return rc;
}

static json_t *supplier_json(struct db_conn *db, int64_t id, struct app_err *err)
{
    struct db_res *r = NULL;
    json_t *o = json_one(db, SUPPLIER_COLS " WHERE s.id = ?", id, "supplier", err);
    if (!o)
        return NULL;
    if (db_query(db, &r, err, SUPPLIER_ITEM_COLS, "l", (long long)id) != 0) {
        json_decref(o);
        return NULL;
    }
    json_object_set_new(o, "items", json_from_rows(r));
    db_res_free(r);
    return o;
}

static int supplier_ref(struct req *rq, int64_t *id, struct app_err *err)
{
    return resolve_ref(rq->db, rq->params[0], "SELECT id FROM supplier WHERE code = ?", id, 404,
                       "id", err);
}

int h_supplier_get(struct req *rq, struct resp *rs, struct app_err *err)
{
    int64_t id;
    json_t *o;
    if (supplier_ref(rq, &id, err) != 0 || !(o = supplier_json(rq->db, id, err)))
        return -1;
    resp_json(rs, 200, o);
    return 0;
}

static int lead_ok(int64_t v, const char *field, struct app_err *err)
{
    if (v < 0 || v > 3650)
        return err_field(err, 400, "bad_value", field, "%s must be 0..3650 days", field);
    return 0;
}

int h_supplier_create(struct req *rq, struct resp *rs, struct app_err *err)
{
    char code[33], name[161], contact[256];
    int64_t lead = 14, id;
    int active = 1, has_contact;
    const struct jfield spec[] = {
        {"code", JF_STR, 1, code, sizeof(code), NULL},
        {"name", JF_STR, 1, name, sizeof(name), NULL},
        {"contact", JF_STR, 0, contact, sizeof(contact), &has_contact},
        {"lead_time_days", JF_INT, 0, &lead, 0, NULL},
        {"active", JF_BOOL, 0, &active, 0, NULL},
    };
    json_t *o;

    if (json_read(rq->body, spec, sizeof(spec) / sizeof(spec[0]), err) != 0)
        return -1;
    if (!code[0] ||
        strspn(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") !=
            strlen(code))
        return err_field(err, 400, "bad_value", "code", "code is 1-32 letters, digits, '-' or '_'");
    if (!name[0])
        return err_field(err, 400, "bad_value", "name", "name must not be empty");
    if (lead_ok(lead, "lead_time_days", err) != 0)
        return -1;
    if (db_exec(rq->db, err,
                "INSERT INTO supplier (code, name, contact, lead_time_days, active)"
                " VALUES (?, ?, ?, ?, ?)",
                "sssll", code, name, has_contact ? contact : NULL, (long long)lead,
                (long long)active) != 0) {
        if (err->http == 409)
            err_field(err, 409, "conflict", "code", "a supplier with code %s exists", code);
        return -1;
    }
    id = (int64_t)db_insert_id(rq->db);
    if (p_audit(rq, "supplier.create", "supplier", id,
                json_pack("{s:s,s:s,s:I}", "code", code, "name", name, "lead_time_days",
                          (json_int_t)lead),
                err) != 0 ||
        !(o = supplier_json(rq->db, id, err)))
        return -1;
    resp_json(rs, 201, o);
    return 0;
}

int h_supplier_update(struct req *rq, struct resp *rs, struct app_err *err)
{
    char name[161], contact[256];
    int64_t lead = 0, id;
    int active = 0, has_name, has_contact, has_lead, has_active;
    const struct jfield spec[] = {
        {"name", JF_STR, 0, name, sizeof(name), &has_name},
        {"contact", JF_STR, 0, contact, sizeof(contact), &has_contact},
        {"lead_time_days", JF_INT, 0, &lead, 0, &has_lead},
        {"active", JF_BOOL, 0, &active, 0, &has_active},
    };
    json_t *o;

    if (supplier_ref(rq, &id, err) != 0 ||
        json_read(rq->body, spec, sizeof(spec) / sizeof(spec[0]), err) != 0)
        return -1;
    if (!has_name && !has_contact && !has_lead && !has_active)
        return err_set(err, 400, "missing_field",
                       "give at least one of name, contact, lead_time_days, active");
    if (has_name && !name[0])
        return err_field(err, 400, "bad_value", "name", "name must not be empty");
    if (has_lead && lead_ok(lead, "lead_time_days", err) != 0)
        return -1;
    if (db_exec(rq->db, err,
                "UPDATE supplier SET name = IF(?, ?, name), contact = IF(?, ?, contact),"
                " lead_time_days = IF(?, ?, lead_time_days), active = IF(?, ?, active)"
                " WHERE id = ?",
                "lslslllll", (long long)has_name, name, (long long)has_contact, contact,
                (long long)has_lead, (long long)lead, (long long)has_active, (long long)active,
                (long long)id) != 0)
        return -1;
    if (p_audit(rq, "supplier.update", "supplier", id, json_deep_copy(rq->body), err) != 0 ||
        !(o = supplier_json(rq->db, id, err)))
        return -1;
    resp_json(rs, 200, o);
    return 0;
}

/* PUT /suppliers/{id}/items/{item}: what the supplier delivers, with its
 * own lead time (null: the supplier's) and price. */
int h_supplier_item_put(struct req *rq, struct resp *rs, struct app_err *err)
{
    int64_t id, item, lead = 0;
    double price = 0;
    int has_lead, has_price;
    char pricet[32];
    const struct jfield spec[] = {
        {"lead_time_days", JF_INT, 0, &lead, 0, &has_lead},
        {"unit_price", JF_NUM, 0, &price, 0, &has_price},
    };
    json_t *o;

    if (supplier_ref(rq, &id, err) != 0 ||
        resolve_ref(rq->db, rq->params[1], "SELECT id FROM item WHERE code = ?", &item, 404,
                    "item_id", err) != 0 ||
        json_read(rq->body, spec, sizeof(spec) / sizeof(spec[0]), err) != 0)
        return -1;
    if (has_lead && lead_ok(lead, "lead_time_days", err) != 0)
        return -1;
    if (has_price && (price < 0 || price > 1e9))
        return err_field(err, 400, "bad_value", "unit_price", "unit_price must be 0..1e9");
    snprintf(pricet, sizeof(pricet), "%.2f", price);
    long long leadv = lead;
    if (db_exec(rq->db, err,
                "INSERT INTO supplier_item (supplier_id, item_id, lead_time_days, unit_price)"
                " VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE"
                " lead_time_days = VALUES(lead_time_days), unit_price = VALUES(unit_price)",
                "llLs", (long long)id, (long long)item, has_lead ? &leadv : NULL,
                has_price ? pricet : NULL) != 0)
        return -1;
    if (p_audit(rq, "supplier.item", "supplier", id,
                json_pack("{s:I,s:O}", "item_id", (json_int_t)item, "set", rq->body), err) != 0 ||
        !(o = supplier_json(rq->db, id, err)))
        return -1;
    resp_json(rs, 200, o);
    return 0;
}

/* ---------------------------------------------------------------- purchase orders */

#define PO_COLS                                                                                    \
    "SELECT p.id, p.code, p.status, p.supplier_id, s.code AS supplier_code,"                       \
    " s.name AS supplier_name, p.depot_id, d.code AS depot_code, d.name_zh AS depot_name_zh,"      \
    " o.code AS org_unit_code, p.ordered_on, p.expected_date,"                                     \
    " ROUND(p.over_tolerance_permille / 10, 1) AS over_tolerance_pct, p.created_by,"               \
    " uc.display_name AS created_by_name, p.created_at, p.closed_by, p.closed_at,"                 \
    " p.close_reason, p.note,"                                                                     \
    " (SELECT COUNT(*) FROM purchase_order_line l WHERE l.po_id = p.id) AS line_count,"            \
    " (SELECT COUNT(*) FROM purchase_order_line l WHERE l.po_id = p.id AND l.closed = 0)"          \
    " AS open_lines FROM purchase_order p JOIN supplier s ON s.id = p.supplier_id"                 \
    " JOIN depot d ON d.id = p.depot_id JOIN org_unit o ON o.id = d.org_unit_id"                   \
    " JOIN app_user uc ON uc.id = p.created_by"

#define PO_LINE_COLS                                                                               \
    "SELECT l.id, l.line_no, l.item_id, i.code AS item_code, i.name_zh AS item_name_zh,"           \
    " i.name_en AS item_name_en, i.unit, i.tracking, l.qty_ordered, l.qty_received,"               \
    " GREATEST(l.qty_ordered - l.qty_received, 0) AS qty_open, l.qty_short, l.unit_cost,"          \
    " l.closed FROM purchase_order_line l JOIN item i ON i.id = l.item_id WHERE l.po_id = ?"       \
    " ORDER BY l.line_no"

#define PO_RECEIPT_COLS                                                                            \
    "SELECT r.id, r.po_line_id, l.line_no, l.item_id, i.code AS item_code, r.lot_id, t.lot_no,"    \
    " t.production_date, t.expiry_date, r.bin_id, b.code AS bin_code, r.movement_id, r.qty,"       \
    " r.over_delivery, r.under_delivery, r.received_by, u.display_name AS received_by_name,"       \
    " r.received_at, r.note,"                                                                      \
    " (SELECT lb.code FROM label lb WHERE lb.kind = 'lot' AND lb.status = 'active'"                \
    " AND lb.lot_id = r.lot_id AND lb.bin_id = r.bin_id LIMIT 1) AS label_code"                    \
    " FROM po_receipt r JOIN purchase_order_line l ON l.id = r.po_line_id"                         \
    " JOIN item i ON i.id = l.item_id JOIN lot t ON t.id = r.lot_id JOIN bin b ON b.id = r.bin_id" \
    " JOIN app_user u ON u.id = r.received_by WHERE l.po_id = ? ORDER BY r.id"

int h_pos_list(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct qb q;
    int limit, rc, has_before, has_open = 0;
    int64_t cursor;
    char before[11];
    const char *status, *sref = req_query(rq, "supplier"), *dref = req_query(rq, "depot"),
                        *oref = req_query(rq, "org_unit"), *iref = req_query(rq, "item");

    if (q_page(rq, 500, &limit, &cursor, err) != 0 ||
        q_enum(rq, "status", "draft|ordered|partially_received|received|closed|cancelled", &status,
               err) != 0 ||
        q_date(rq, "expected_before", before, &has_before, err) != 0 ||
        q_bool(rq, "open", &has_open, err) != 0)
        return -1;
    qb_init(&q, PO_COLS " WHERE o.path LIKE CONCAT(?, '%') AND p.id > ?");
    dbp_str(&q.ps, rq->who.org_path);
    dbp_int(&q.ps, cursor);
    qb_where_str(&q, " AND p.status = ?", status);
    if (has_open)
        qb_add(&q, " AND p.status IN ('ordered', 'partially_received')");
    qb_where_str(&q, " AND p.expected_date < ?", has_before ? before : NULL);
    if (qb_where_ref(&q, rq->db, sref, "SELECT id FROM supplier WHERE code = ?", "supplier",
                     " AND p.supplier_id = ?", err) != 0 ||
        qb_where_ref(&q, rq->db, dref, "SELECT id FROM depot WHERE code = ?", "depot",
                     " AND p.depot_id = ?", err) != 0 ||
        qb_where_ref(&q, rq->db, oref, "SELECT id FROM org_unit WHERE code = ?", "org_unit",
                     " AND o.path LIKE CONCAT((SELECT path FROM org_unit WHERE id = ?), '%')",
                     err) != 0 ||
        qb_where_ref(&q, rq->db, iref, "SELECT id FROM item WHERE code = ?", "item",
                     " AND EXISTS (SELECT 1 FROM purchase_order_line pl WHERE pl.po_id = p.id"
                     " AND pl.item_id = ?)",
                     err) != 0) {
        qb_free(&q);
        return -1;
    }
    qb_add(&q, " ORDER BY p.id LIMIT ?");
    dbp_int(&q.ps, limit + 1);
    rc = qb_page(&q, rq, rs, limit, "id", err);
    qb_free(&q);
    return rc;
}

static json_t *po_json(struct db_conn *db, int64_t id, struct app_err *err)
{
    struct db_res *r = NULL;
    json_t *o = json_one(db, PO_COLS " WHERE p.id = ?", id, "purchase order", err);
    if (!o)
        return NULL;
    if (db_query(db, &r, err, PO_LINE_COLS, "l", (long long)id) != 0)
        goto fail;
    json_object_set_new(o, "lines", json_from_rows(r));
    db_res_free(r);
    if (db_query(db, &r, err, PO_RECEIPT_COLS, "l", (long long)id) != 0)
        goto fail;
    json_object_set_new(o, "receipts", json_from_rows(r));
    db_res_free(r);
    return o;
fail:
    json_decref(o);
    return NULL;
}

struct po {
    int64_t id, depot_id, supplier_id;
    char status[24], code[33];
    int tol_permille;
};

/* Load order `path param 0` (id or code), locked when inside a mutating
 * call, and check the caller's scope over its destination depot. */
static int po_load(struct req *rq, struct po *p, int lock, struct app_err *err)
{
    struct db_res *r = NULL;
    if (resolve_ref(rq->db, rq->params[0], "SELECT id FROM purchase_order WHERE code = ?", &p->id,
                    404, "id", err) != 0)
        return -1;
    if (db_query(rq->db, &r, err,
                 lock ? "SELECT depot_id, supplier_id, status, code, over_tolerance_permille"
                        " FROM purchase_order WHERE id = ? FOR UPDATE"
                      : "SELECT depot_id, supplier_id, status, code, over_tolerance_permille"
                        " FROM purchase_order WHERE id = ?",
                 "l", (long long)p->id) != 0)
        return -1;
    if (r->nrows == 0) {
        db_res_free(r);
        return err_set(err, 404, "not_found", "no such purchase order");
    }
    p->depot_id = db_get_int(r, 0, 0);
    p->supplier_id = db_get_int(r, 0, 1);
    str_copy(p->status, sizeof(p->status), db_get(r, 0, 2));
    str_copy(p->code, sizeof(p->code), db_get(r, 0, 3));
    p->tol_permille = (int)db_get_int(r, 0, 4);
    db_res_free(r);
    return auth_check_depot(rq->db, &rq->who, p->depot_id, err);
}

static int po_reply(struct req *rq, struct resp *rs, int64_t id, int status, struct app_err *err)
{
    json_t *o = po_json(rq->db, id, err);
    if (!o)
        return -1;
    resp_json(rs, status, o);
    return 0;
}

int h_po_get(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct po p;
    if (po_load(rq, &p, 0, err) != 0)
        return -1;
    return po_reply(rq, rs, p.id, 200, err);
}

/* One line of a new order: item, quantity (whole for pieces), optional cost
 * (the supplier's price for the item when not given). */
static int po_add_line(struct req *rq, int64_t po_id, int64_t supplier, int line_no, json_t *l,
                       struct app_err *err)
{
    int64_t item = 0, qty;
    double q = 0, cost = 0;
    int has_cost;
    char field[48], costt[32];
    const struct jfield spec[] = {
        {"item_id", JF_ID, 1, &item, 0, NULL},
        {"qty", JF_NUM, 1, &q, 0, NULL},
        {"unit_cost", JF_NUM, 0, &cost, 0, &has_cost},
    };
    struct db_res *r = NULL;
    int integral, active;

    snprintf(field, sizeof(field), "lines[%d]", line_no - 1);
    if (!json_is_object(l))
        return err_field(err, 400, "bad_type", field, "%s must be an object", field);
    if (json_read(l, spec, sizeof(spec) / sizeof(spec[0]), err) != 0) {
        char f[sizeof(field) + sizeof(err->field) + 2];
        snprintf(f, sizeof(f), "%s.%s", field, err->field);
        str_copy(err->field, sizeof(err->field), f);
        return -1;
    }
    if (db_query(rq->db, &r, err, "SELECT integral, active FROM item WHERE id = ?", "l",
                 (long long)item) != 0)
        return -1;
    if (r->nrows == 0) {
        db_res_free(r);
        snprintf(field + strlen(field), sizeof(field) - strlen(field), ".item_id");
        return err_field(err, 422, "unknown_reference", field, "no item %lld", (long long)item);
    }
    integral = (int)db_get_int(r, 0, 0);
    active = (int)db_get_int(r, 0, 1);
    db_res_free(r);
    snprintf(field + strlen(field), sizeof(field) - strlen(field), ".qty");
    if (json_qty_check(q, integral, 0, field, &qty, err) != 0)
        return -1;
    if (!active)
        return err_field(err, 422, "rule_broken", field, "item %lld is no longer active",
                         (long long)item);
    if (has_cost && (cost < 0 || cost > 1e9))
        return err_field(err, 400, "bad_value", "unit_cost", "unit_cost must be 0..1e9");
    snprintf(costt, sizeof(costt), "%.2f", cost);
    return db_exec(rq->db, err,
                   "INSERT INTO purchase_order_line (po_id, line_no, item_id, qty_ordered,"
                   " unit_cost) VALUES (?, ?, ?, ?, IFNULL(?, (SELECT unit_price FROM"
                   " supplier_item WHERE supplier_id = ? AND item_id = ?)))",
                   "lllqsll", (long long)po_id, (long long)line_no, (long long)item, qty,
                   has_cost ? costt : NULL, (long long)supplier, (long long)item);
}

int h_po_create(struct req *rq, struct resp *rs, struct app_err *err)
{
    int64_t supplier = 0, depot = 0, id, active;
    char expected[11], note[1024];
    double tol = 0;
    int has_exp, has_note, has_tol;
    json_t *lines = NULL, *l;
    const struct jfield spec[] = {
        {"supplier_id", JF_ID, 1, &supplier, 0, NULL},
        {"depot_id", JF_ID, 1, &depot, 0, NULL},
        {"expected_date", JF_DATE, 0, expected, 0, &has_exp},
        {"over_tolerance_pct", JF_NUM, 0, &tol, 0, &has_tol},
        {"note", JF_STR, 0, note, sizeof(note), &has_note},
        {"lines", JF_ARRAY, 1, &lines, MAX_PO_LINES, NULL},
    };
    size_t i;
    json_t *dv = json_object_get(rq->body, "depot_id");

    /* An order for a depot outside the caller's scope is refused as such
     * (403) whatever else the body says. */
    if (json_is_integer(dv) && json_integer_value(dv) > 0 &&
        db_query_int(rq->db, &id, err, "SELECT id FROM depot WHERE id = ?", "l",
                     (long long)json_integer_value(dv)) == 0 &&
        auth_check_depot(rq->db, &rq->who, id, err) != 0)
        return -1;
    if (json_read(rq->body, spec, sizeof(spec) / sizeof(spec[0]), err) != 0)
        return -1;
    if (has_tol && (tol < 0 || tol > 100))
        return err_field(err, 400, "bad_value", "over_tolerance_pct",
                         "over_tolerance_pct must be 0..100");
    if (db_query_int(rq->db, &active, err, "SELECT active FROM supplier WHERE id = ?", "l",
                     (long long)supplier) != 0)
        return err->http == 404 ? err_field(err, 422, "unknown_reference", "supplier_id",
                                            "no supplier %lld", (long long)supplier)
                                : -1;
    if (!active)
        return err_field(err, 422, "rule_broken", "supplier_id", "the supplier is not active");
    if (db_query_int(rq->db, &id, err, "SELECT id FROM depot WHERE id = ?", "l",
                     (long long)depot) != 0)
        return err->http == 404 ? err_field(err, 422, "unknown_reference", "depot_id",
                                            "no depot %lld", (long long)depot)
                                : -1;
    if (auth_check_depot(rq->db, &rq->who, depot, err) != 0)
        return -1;
    if (has_exp) {
        int64_t past;
        if (db_query_int(rq->db, &past, err, "SELECT ? < CURDATE()", "s", expected) != 0)
            return -1;
        if (past)
            return err_field(err, 400, "bad_date", "expected_date", "expected_date is in the past");
    }
    /* The code comes from the id: insert under a unique placeholder first. */
    if (db_exec(rq->db, err,
                "INSERT INTO purchase_order (code, supplier_id, depot_id, expected_date,"
                " over_tolerance_permille, created_by, note)"
                " VALUES (REPLACE(UUID(), '-', ''), ?, ?, ?, ?, ?, ?)",
                "llslls", (long long)supplier, (long long)depot, has_exp ? expected : NULL,
                (long long)(tol * 10 + 0.5), (long long)rq->who.user_id,
                has_note ? note : NULL) != 0)
        return -1;
    id = (int64_t)db_insert_id(rq->db);
    if (db_exec(rq->db, err,
                "UPDATE purchase_order SET code = CONCAT('PO-', YEAR(created_at), '-',"
                " LPAD(id, 5, '0')) WHERE id = ?",
                "l", (long long)id) != 0)
        return -1;
    json_array_foreach(lines, i, l)
    {
        if (po_add_line(rq, id, supplier, (int)i + 1, l, err) != 0)
            return -1;
    }
    if (p_audit(rq, "po.create", "purchase_order", id,
                json_pack("{s:I,s:I,s:I}", "supplier_id", (json_int_t)supplier, "depot_id",
                          (json_int_t)depot, "lines", (json_int_t)json_array_size(lines)),
                err) != 0)
        return -1;
    return po_reply(rq, rs, id, 201, err);
}

static int po_state_error(const struct po *p, const char *what, struct app_err *err)
{
    return err_field(err, 409, "conflict", "status", "purchase order %s is %s: it cannot be %s",
                     p->code, p->status, what);
}

/* draft -> ordered.  Without an expected date, the longest lead time of
 * its lines (the supplier's item lead time, else the supplier's own). */
int h_po_order(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct po p;
    if (po_load(rq, &p, 1, err) != 0)
        return -1;
    if (strcmp(p.status, "draft") != 0)
        return po_state_error(&p, "ordered (only a draft can)", err);
    if (db_exec(rq->db, err,
                "UPDATE purchase_order p SET status = 'ordered', ordered_on = CURDATE(),"
                " expected_date = IFNULL(expected_date, DATE_ADD(CURDATE(), INTERVAL"
                " (SELECT IFNULL(MAX(COALESCE(si.lead_time_days, s.lead_time_days)),"
                " MAX(s.lead_time_days)) FROM purchase_order_line l JOIN supplier s"
                " ON s.id = p.supplier_id LEFT JOIN supplier_item si ON si.supplier_id ="
                " p.supplier_id AND si.item_id = l.item_id WHERE l.po_id = p.id) DAY))"
                " WHERE p.id = ?",
                "l", (long long)p.id) != 0)
        return -1;
    if (p_audit(rq, "po.order", "purchase_order", p.id, NULL, err) != 0)
        return -1;
    return po_reply(rq, rs, p.id, 200, err);
}

static int read_reason(struct req *rq, char *reason, size_t n, int required, struct app_err *err)
{
    int has = 0;
    const struct jfield spec[] = {{"reason", JF_STR, required, reason, n, &has}};
    reason[0] = '\0';
    if (rq->body && json_read(rq->body, spec, 1, err) != 0)
        return -1;
    if (required && !reason[0])
        return err_field(err, 400, "missing_field", "reason", "a reason is required");
    return 0;
}

int h_po_cancel(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct po p;
    char reason[256];
    if (po_load(rq, &p, 1, err) != 0 || read_reason(rq, reason, sizeof(reason), 1, err) != 0)
        return -1;
    if (strcmp(p.status, "draft") != 0 && strcmp(p.status, "ordered") != 0)
        return po_state_error(&p, "cancelled (goods have arrived: close it short instead)", err);
    if (db_exec(rq->db, err,
                "UPDATE purchase_order SET status = 'cancelled', closed_by = ?,"
                " closed_at = NOW(6), close_reason = ? WHERE id = ?",
                "lsl", (long long)rq->who.user_id, reason, (long long)p.id) != 0 ||
        db_exec(rq->db, err, "UPDATE purchase_order_line SET closed = 1 WHERE po_id = ?", "l",
                (long long)p.id) != 0 ||
        p_audit(rq, "po.cancel", "purchase_order", p.id, json_pack("{s:s}", "reason", reason),
                err) != 0)
        return -1;
    return po_reply(rq, rs, p.id, 200, err);
}

/* Close an order: what was not delivered is recorded as short on its line
 * and on the line's last receipt (under-delivery), and is no longer
 * expected (the forecast stops counting it). */
int h_po_close(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct po p;
    char reason[256];
    int64_t short_lines;
    if (po_load(rq, &p, 1, err) != 0 || read_reason(rq, reason, sizeof(reason), 0, err) != 0)
        return -1;
    if (strcmp(p.status, "ordered") != 0 && strcmp(p.status, "partially_received") != 0 &&
        strcmp(p.status, "received") != 0)
        return po_state_error(&p, "closed", err);
    if (db_query_int(rq->db, &short_lines, err,
                     "SELECT COUNT(*) FROM purchase_order_line WHERE po_id = ? AND closed = 0", "l",
                     (long long)p.id) != 0)
        return -1;
    if (short_lines && !reason[0])
        return err_field(err, 400, "missing_field", "reason",
                         "%lld line(s) are not fully delivered: closing short needs a reason",
                         (long long)short_lines);
    if (db_exec(rq->db, err,
                "UPDATE po_receipt r JOIN (SELECT MAX(r2.id) AS id FROM po_receipt r2"
                " JOIN purchase_order_line l ON l.id = r2.po_line_id"
                " WHERE l.po_id = ? AND l.closed = 0 GROUP BY r2.po_line_id) last"
                " ON last.id = r.id SET r.under_delivery = 1",
                "l", (long long)p.id) != 0 ||
        db_exec(rq->db, err,
                "UPDATE purchase_order_line SET qty_short = GREATEST(qty_ordered - qty_received,"
                " 0), closed = 1 WHERE po_id = ? AND closed = 0",
                "l", (long long)p.id) != 0 ||
        db_exec(rq->db, err,
                "UPDATE purchase_order SET status = 'closed', closed_by = ?, closed_at = NOW(6),"
                " close_reason = ? WHERE id = ?",
                "lsl", (long long)rq->who.user_id, reason[0] ? reason : NULL,
                (long long)p.id) != 0 ||
        p_audit(rq, "po.close", "purchase_order", p.id,
                json_pack("{s:s,s:I}", "reason", reason, "short_lines", (json_int_t)short_lines),
                err) != 0)
        return -1;
    return po_reply(rq, rs, p.id, 200, err);
}

/* ---------------------------------------------------------------- receipts */

struct rc_in {
    int64_t line_id, bin_id, lot_id;
    double qty;
    char label_code[64], note[256];
    json_t *lot;
    int accept_over, has_lot_id, has_label, has_lot, has_note;
};

/* Which lot is being received: a scanned lot label, a lot id, a new lot
 * (number and dates), or the BULK lot of an item kept in bulk. */
static int receipt_lot(struct req *rq, struct rc_in *in, int64_t item, const char *tracking,
                       const char *supplier, struct app_err *err)
{
    int n = in->has_lot_id + in->has_label + in->has_lot;
    int64_t lot_item;
    if (n > 1)
        return err_field(err, 400, "bad_value", "lot",
                         "give one of label_code, lot_id or lot, not several");
    if (in->has_label) {
        int64_t label, depot;
        char replaced[LABEL_CODE_LEN + 1];
        struct db_res *r = NULL;
        if (label_find(rq->db, in->label_code, &label, &depot, replaced, err) != 0) {
            str_copy(err->field, sizeof(err->field), "label_code");
            return -1;
        }
        if (db_query(rq->db, &r, err, "SELECT kind, lot_id FROM label WHERE id = ?", "l",
                     (long long)label) != 0)
            return -1;
        if (r->nrows == 0 || strcmp(db_get(r, 0, 0), "lot") != 0) {
            db_res_free(r);
            return err_field(err, 422, "rule_broken", "label_code", "label %s is not a lot label",
                             in->label_code);
        }
        in->lot_id = db_get_int(r, 0, 1);
        db_res_free(r);
    } else if (in->has_lot) {
        json_t *copy = json_deep_copy(in->lot);
        int rc;
        if (!json_object_get(copy, "supplier"))
            json_object_set_new(copy, "supplier", json_string(supplier));
        rc = lot_find_or_create(rq->db, item, copy, &in->lot_id, "lot", err);
        json_decref(copy);
        return rc;
    } else if (!in->has_lot_id) {
        json_t *bulk;
        int rc;
        if (strcmp(tracking, "bulk") != 0)
            return err_field(err, 400, "missing_field", "lot",
                             "this item is tracked by lot: scan a lot label or enter the new"
                             " lot (number, production and expiry dates)");
        bulk = json_pack("{s:s}", "lot_no", "BULK");
        rc = lot_find_or_create(rq->db, item, bulk, &in->lot_id, "lot", err);
        json_decref(bulk);
        return rc;
    }
    if (db_query_int(rq->db, &lot_item, err, "SELECT item_id FROM lot WHERE id = ?", "l",
                     (long long)in->lot_id) != 0)
        return err->http == 404 ? err_field(err, 422, "unknown_reference", "lot_id", "no lot %lld",
                                            (long long)in->lot_id)
                                : -1;
    if (lot_item != item)
        return err_field(err, 422, "rule_broken", in->has_label ? "label_code" : "lot_id",
                         "that lot is of another item than the order line");
    return 0;
}

static int po_refresh_status(struct req *rq, const struct po *p, struct app_err *err)
{
    struct db_res *r = NULL;
    const char *st;
    if (db_query(rq->db, &r, err,
                 "SELECT COUNT(*), SUM(closed), SUM(qty_received) FROM purchase_order_line"
                 " WHERE po_id = ?",
                 "l", (long long)p->id) != 0)
        return -1;
    st = po_status_from_lines((int)db_get_int(r, 0, 0), (int)db_get_int(r, 0, 1),
                              db_get_qty(r, 0, 2));
    db_res_free(r);
    return db_exec(rq->db, err, "UPDATE purchase_order SET status = ? WHERE id = ?", "sl", st,
                   (long long)p->id);
}

int h_po_receive(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct rc_in in;
    const struct jfield spec[] = {
        {"line_id", JF_ID, 1, &in.line_id, 0, NULL},
        {"bin_id", JF_ID, 1, &in.bin_id, 0, NULL},
        {"qty", JF_NUM, 1, &in.qty, 0, NULL},
        {"label_code", JF_STR, 0, in.label_code, sizeof(in.label_code), &in.has_label},
        {"lot_id", JF_ID, 0, &in.lot_id, 0, &in.has_lot_id},
        {"lot", JF_OBJECT, 0, &in.lot, 0, &in.has_lot},
        {"accept_over_delivery", JF_BOOL, 0, &in.accept_over, 0, NULL},
        {"note", JF_STR, 0, in.note, sizeof(in.note), &in.has_note},
    };
    struct po p;
    struct db_res *r = NULL;
    struct ledger_entry e = {0};
    struct label_target t = {"lot", 0, 0, 0, 0};
    int64_t item, ordered, received, bin_depot, qty, mid, label_id, auto_print, rid;
    int integral, closed, over, beyond, created;
    char tracking[8], supplier[161], code[LABEL_CODE_LEN + 1], reason[64];
    json_t *o, *labels, *lab;

    memset(&in, 0, sizeof(in));
    if (po_load(rq, &p, 1, err) != 0 ||
        json_read(rq->body, spec, sizeof(spec) / sizeof(spec[0]), err) != 0)
        return -1;
    if (strcmp(p.status, "ordered") != 0 && strcmp(p.status, "partially_received") != 0)
        return po_state_error(&p, "received against (only an ordered one can)", err);
    if (db_query(rq->db, &r, err,
                 "SELECT l.item_id, l.qty_ordered, l.qty_received, l.closed, i.integral,"
                 " i.tracking, s.name FROM purchase_order_line l JOIN item i ON i.id = l.item_id"
                 " JOIN purchase_order p ON p.id = l.po_id JOIN supplier s ON s.id = p.supplier_id"
                 " WHERE l.id = ? AND l.po_id = ? FOR UPDATE",
                 "ll", (long long)in.line_id, (long long)p.id) != 0)
        return -1;
    if (r->nrows == 0) {
        db_res_free(r);
        return err_field(err, 422, "unknown_reference", "line_id", "line %lld is not a line of %s",
                         (long long)in.line_id, p.code);
    }
    item = db_get_int(r, 0, 0);
    ordered = db_get_qty(r, 0, 1);
    received = db_get_qty(r, 0, 2);
    closed = (int)db_get_int(r, 0, 3);
    integral = (int)db_get_int(r, 0, 4);
    str_copy(tracking, sizeof(tracking), db_get(r, 0, 5));
    str_copy(supplier, sizeof(supplier), db_get(r, 0, 6));
    db_res_free(r);
    if (json_qty_check(in.qty, integral, 0, "qty", &qty, err) != 0)
        return -1;
    if (db_query_int(rq->db, &bin_depot, err, "SELECT depot_id FROM bin WHERE id = ?", "l",
                     (long long)in.bin_id) != 0)
        return err->http == 404 ? err_field(err, 422, "unknown_reference", "bin_id", "no bin %lld",
                                            (long long)in.bin_id)
                                : -1;
    if (bin_depot != p.depot_id)
        return err_field(err, 422, "rule_broken", "bin_id",
                         "the bin is not in the order's destination depot");
    beyond = po_over_beyond(ordered, received, qty, p.tol_permille, &over);
    if (closed && !in.accept_over)
        return err_field(err, 409, "line_closed", "line_id", "line %lld of %s expects nothing more",
                         (long long)in.line_id, p.code);
    if (beyond && !in.accept_over) {
        char o1[32], o2[32];
        qty_format(ordered, o1, sizeof(o1));
        qty_format(received + qty, o2, sizeof(o2));
        return err_field(err, 409, "over_delivery", "qty",
                         "this receipt brings the line to %s of %s ordered, beyond the %.1f%%"
                         " tolerance: confirm with accept_over_delivery",
                         o2, o1, p.tol_permille / 10.0);
    }
    if (receipt_lot(rq, &in, item, tracking, supplier, err) != 0)
        return -1;
    snprintf(reason, sizeof(reason), "purchase order %s", p.code);
    e.kind = "receive";
    e.bin_id = in.bin_id;
    e.lot_id = in.lot_id;
    e.qty = qty;
    e.reason = reason;
    e.reference = p.code;
    if (ledger_post(rq->db, &rq->who, &e, &mid, NULL, err) != 0)
        return -1;
    if (db_exec(rq->db, err,
                "INSERT INTO po_receipt (po_line_id, lot_id, bin_id, movement_id, qty,"
                " over_delivery, received_by, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                "llllqlls", (long long)in.line_id, (long long)in.lot_id, (long long)in.bin_id,
                (long long)mid, qty, (long long)over, (long long)rq->who.user_id,
                in.has_note ? in.note : NULL) != 0)
        return -1;
    rid = (int64_t)db_insert_id(rq->db);
    if (db_exec(rq->db, err,
                "UPDATE purchase_order_line SET qty_received = qty_received + ?,"
                " closed = (qty_received >= qty_ordered) WHERE id = ?",
                "ql", qty, (long long)in.line_id) != 0 ||
        po_refresh_status(rq, &p, err) != 0)
        return -1;
    /* The label of what was just shelved, so it can be printed at once. */
    t.depot_id = p.depot_id;
    t.bin_id = in.bin_id;
    t.lot_id = in.lot_id;
    if (label_ensure(rq->db, rq->who.user_id, &t, &label_id, code, &created, err) != 0)
        return -1;
    if (db_query_int(rq->db, &auto_print, err, "SELECT auto_print_labels FROM depot WHERE id = ?",
                     "l", (long long)p.depot_id) != 0)
        return -1;
    if (auto_print &&
        db_exec(rq->db, err, "INSERT INTO label_print_job (depot_id, label_id) VALUES (?, ?)", "ll",
                (long long)p.depot_id, (long long)label_id) != 0)
        return -1;
    if (p_audit(rq, "po.receive", "purchase_order", p.id,
                json_pack("{s:I,s:I,s:I,s:I,s:b}", "receipt_id", (json_int_t)rid, "line_id",
                          (json_int_t)in.line_id, "movement_id", (json_int_t)mid, "lot_id",
                          (json_int_t)in.lot_id, "over_delivery", over),
                err) != 0)
        return -1;
    if (!(o = po_json(rq->db, p.id, err)))
        return -1;
    labels = json_array();
    lab = json_pack("{s:s,s:b,s:I,s:I}", "code", code, "created", created, "lot_id",
                    (json_int_t)in.lot_id, "bin_id", (json_int_t)in.bin_id);
    {
        char url[80];
        snprintf(url, sizeof(url), "/api/v1/labels/%s", code);
        json_object_set_new(lab, "href", json_string(url));
    }
    json_array_append_new(labels, lab);
    json_object_set_new(o, "receipt",
                        json_pack("{s:I,s:I,s:I,s:o,s:b}", "id", (json_int_t)rid, "movement_id",
                                  (json_int_t)mid, "lot_id", (json_int_t)in.lot_id, "qty",
                                  json_qty(qty), "over_delivery", over));
    json_object_set_new(o, "labels", labels);
    json_object_set_new(o, "print",
                        json_pack("{s:s,s:s,s:{s:[s]}}", "method", "POST", "href",
                                  "/api/v1/label-sheets", "body", "codes", code));
    resp_json(rs, 201, o);
    return 0;
}
