/* h_depots.c -- depots and their bins, lots, assets. */
#include "handlers.h"
#include "jsonin.h"
#include "query.h"

#include "../core/util.h"
#include "../domain/audit.h"
#include "../store/db.h"

#include <stdio.h>
#include <string.h>

#include "views.h"

static void id_text(int64_t id, char out[24])
{
    snprintf(out, 24, "%lld", (long long)id);
}

int h_depots_list(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct qb q;
    int limit, rc;
    int64_t cursor;
    const char *oref = req_query(rq, "org_unit"), *kind;

    if (q_page(rq, 500, &limit, &cursor, err) != 0 ||
        q_enum(rq, "kind", "city|town|team|village", &kind, err) != 0)
        return -1;
    qb_init(&q, DEPOT_COLS " WHERE o.path LIKE CONCAT(?, '%') AND d.id > ?");
    dbp_str(&q.ps, rq->who.org_path);
    dbp_int(&q.ps, cursor);
    if (qb_where_ref(&q, rq->db, oref, "SELECT id FROM org_unit WHERE code = ?", "org_unit",
                     " AND d.org_unit_id = ?", err) != 0) {
        qb_free(&q);
        return -1;
    }
    qb_where_str(&q, " AND d.kind = ?", kind);
    qb_add(&q, " ORDER BY d.id LIMIT ?");
    dbp_int(&q.ps, limit + 1);
    rc = qb_page(&q, rq, rs, limit, "id", err);
    qb_free(&q);
    return rc;
}

static int depot_reply(struct req *rq, struct resp *rs, int64_t id, int status, struct app_err *err)
{
    struct db_res *r = NULL;
    json_t *o;

    if (db_query(rq->db, &r, err, DEPOT_COLS " WHERE d.id = ?", "l", (long long)id) != 0)
        return -1;
    if (r->nrows == 0) {
        db_res_free(r);
        return err_set(err, 404, "not_found", "no such depot");
    }
    o = json_from_row(r, 0);
    db_res_free(r);
    if (db_query(rq->db, &r, err,
                 "SELECT id, code, name, active FROM bin WHERE depot_id = ? ORDER BY code", "l",
                 (long long)id) != 0) {
        json_decref(o);
        return -1;
    }
    json_object_set_new(o, "bins", json_from_rows(r));
    db_res_free(r);
    resp_json(rs, status, o);
    return 0;
}

int h_depot_get(struct req *rq, struct resp *rs, struct app_err *err)
{
    int64_t id;
    if (resolve_ref(rq->db, rq->params[0], "SELECT id FROM depot WHERE code = ?", &id, 404, "id",
                    err) != 0)
        return -1;
    if (auth_check_depot(rq->db, &rq->who, id, err) != 0)
        return -1;
    return depot_reply(rq, rs, id, 200, err);
}

static int check_latlon(double lat, int has_lat, double lon, int has_lon, struct app_err *err)
{
    if (has_lat != has_lon)
        return err_field(err, 400, "missing_field", has_lat ? "lon" : "lat",
                         "give both lat and lon, or neither");
    if (has_lat && (lat < -90 || lat > 90))
        return err_field(err, 400, "bad_value", "lat", "lat must be -90..90 (WGS84)");
    if (has_lon && (lon < -180 || lon > 180))
        return err_field(err, 400, "bad_value", "lon", "lon must be -180..180 (WGS84)");
    return 0;
}

int h_depot_create(struct req *rq, struct resp *rs, struct app_err *err)
{
    char code[193], kind[8], name_zh[385], name_en[641], address[1021];
    int64_t org = 0, team = 0;
    double lat = 0, lon = 0;
    int has_team, has_addr, has_lat, has_lon;
    const struct jfield spec[] = {
        {"code", JF_STR, 1, code, sizeof(code), NULL},
        {"org_unit_id", JF_ID, 1, &org, 0, NULL},
        {"team_id", JF_ID, 0, &team, 0, &has_team},
        {"kind", JF_STR, 1, kind, sizeof(kind), NULL},
        {"name_zh", JF_STR, 1, name_zh, sizeof(name_zh), NULL},
        {"name_en", JF_STR, 1, name_en, sizeof(name_en), NULL},
        {"address", JF_STR, 0, address, sizeof(address), &has_addr},
        {"lat", JF_NUM, 0, &lat, 0, &has_lat},
        {"lon", JF_NUM, 0, &lon, 0, &has_lon},
    };
    char latt[32], lont[32], sid[24];
    long long tid;

    if (json_read(rq->body, spec, sizeof(spec) / sizeof(spec[0]), err) != 0)
        return -1;
    if (!code[0] || !name_zh[0] || !name_en[0])
        return err_set(err, 400, "bad_value", "code and names must not be empty");
    if (strcmp(kind, "city") && strcmp(kind, "town") && strcmp(kind, "team") &&
        strcmp(kind, "village"))
        return err_field(err, 400, "bad_value", "kind", "kind is city, town, team or village");
    if (check_latlon(lat, has_lat, lon, has_lon, err) != 0)
        return -1;
    if (auth_check_org(rq->db, &rq->who, org, err) != 0) {
        if (err->http == 404)
            err_field(err, 422, "unknown_reference", "org_unit_id", "no such org unit");
        return -1;
    }
    snprintf(latt, sizeof(latt), "%.6f", lat);
    snprintf(lont, sizeof(lont), "%.6f", lon);
    tid = team;
    if (db_exec(rq->db, err,
                "INSERT INTO depot (code, org_unit_id, team_id, kind, name_zh, name_en, address,"
                " lat, lon) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                "slLsssss"
                "s",
                code, (long long)org, has_team ? &tid : NULL, kind, name_zh, name_en,
                has_addr ? address : NULL, has_lat ? latt : NULL, has_lon ? lont : NULL) != 0) {
        if (err->http == 409)
            err_field(err, 409, "conflict", "code", "a depot with code %s exists", code);
        else if (err->http == 422)
            err_field(err, 422, "unknown_reference", "team_id", "no such team");
        return -1;
    }
    int64_t id = (int64_t)db_insert_id(rq->db);
    id_text(id, sid);
    if (audit_append(rq->db, rq->who.user_id, "depot.create", "depot", sid, code, err) != 0)
        return -1;
    return depot_reply(rq, rs, id, 201, err);
}

int h_bin_create(struct req *rq, struct resp *rs, struct app_err *err)
{
    char code[129], name[385], sid[24];
    int has_name;
    int64_t depot;
    const struct jfield spec[] = {
        {"code", JF_STR, 1, code, sizeof(code), NULL},
        {"name", JF_STR, 0, name, sizeof(name), &has_name},
    };
    struct db_res *r = NULL;

    /* Scope before the fields: another town learns nothing from a 400. */
    if (resolve_ref(rq->db, rq->params[0], "SELECT id FROM depot WHERE code = ?", &depot, 404, "id",
                    err) != 0 ||
        auth_check_depot(rq->db, &rq->who, depot, err) != 0)
        return -1;
    if (json_read(rq->body, spec, 2, err) != 0)
        return -1;
    if (!code[0])
        return err_field(err, 400, "bad_value", "code", "code must not be empty");
    if (db_exec(rq->db, err, "INSERT INTO bin (depot_id, code, name) VALUES (?, ?, ?)", "lss",
                (long long)depot, code, has_name ? name : NULL) != 0) {
        if (err->http == 409)
            err_field(err, 409, "conflict", "code", "the depot has a bin %s already", code);
        return -1;
    }
    int64_t id = (int64_t)db_insert_id(rq->db);
    id_text(id, sid);
    if (audit_append(rq->db, rq->who.user_id, "bin.create", "bin", sid, code, err) != 0)
        return -1;
    if (db_query(rq->db, &r, err, "SELECT id, depot_id, code, name, active FROM bin WHERE id = ?",
                 "l", (long long)id) != 0)
        return -1;
    resp_json(rs, 201, json_from_row(r, 0));
    db_res_free(r);
    return 0;
}

/* ---------------------------------------------------------------- lots
 * Lots are batches of catalogue items: readable by every role; stock of a
 * lot (GET /stock) is what the org-unit scope limits. */

#define LOT_COLS                                                                                   \
    "SELECT l.id, l.item_id, i.code AS item_code, i.name_zh AS item_name_zh, l.lot_no,"            \
    " l.production_date, l.expiry_date, l.supplier, l.unit_cost, l.quarantined, l.created_at"      \
    " FROM lot l JOIN item i ON i.id = l.item_id"

int h_lots_list(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct qb q;
    int limit, rc, has_before, has_after;
    int64_t cursor;
    char before[11], after[11];
    const char *iref = req_query(rq, "item");

    if (q_page(rq, 500, &limit, &cursor, err) != 0 ||
        q_date(rq, "expires_before", before, &has_before, err) != 0 ||
        q_date(rq, "expires_after", after, &has_after, err) != 0)
        return -1;
    qb_init(&q, LOT_COLS " WHERE l.id > ?");
    dbp_int(&q.ps, cursor);
    if (qb_where_ref(&q, rq->db, iref, "SELECT id FROM item WHERE code = ?", "item",
                     " AND l.item_id = ?", err) != 0) {
        qb_free(&q);
        return -1;
    }
    qb_where_str(&q, " AND l.expiry_date < ?", has_before ? before : NULL);
    qb_where_str(&q, " AND l.expiry_date >= ?", has_after ? after : NULL);
    qb_add(&q, " ORDER BY l.id LIMIT ?");
    dbp_int(&q.ps, limit + 1);
    rc = qb_page(&q, rq, rs, limit, "id", err);
    qb_free(&q);
    return rc;
}

static int lot_reply(struct req *rq, struct resp *rs, int64_t id, int status, struct app_err *err)
{
    json_t *o = json_one(rq->db, LOT_COLS " WHERE l.id = ?", id, "lot", err);
    if (!o)
        return -1;
    resp_json(rs, status, o);
    return 0;
}

int h_lot_get(struct req *rq, struct resp *rs, struct app_err *err)
{
    int64_t id;
    if (path_id(rq, 0, &id, err) != 0)
        return -1;
    return lot_reply(rq, rs, id, 200, err);
}

/* Find (item, lot_no) or create it from a lot object; the same lot number
 * with other dates is refused rather than silently merged. */
int lot_find_or_create(struct db_conn *db, int64_t item_id, json_t *lot, int64_t *lot_id,
                       const char *field, struct app_err *err)
{
    char lot_no[257], prod[11], exp[11], supplier[513];
    double cost = 0;
    int has_prod, has_exp, has_sup, has_cost;
    const struct jfield spec[] = {
        {"lot_no", JF_STR, 1, lot_no, sizeof(lot_no), NULL},
        {"production_date", JF_DATE, 0, prod, 0, &has_prod},
        {"expiry_date", JF_DATE, 0, exp, 0, &has_exp},
        {"supplier", JF_STR, 0, supplier, sizeof(supplier), &has_sup},
        {"unit_cost", JF_NUM, 0, &cost, 0, &has_cost},
    };
    char costt[32];
    struct db_res *r = NULL;

    if (json_read(lot, spec, sizeof(spec) / sizeof(spec[0]), err) != 0) {
        char f[sizeof(err->field) + 16];
        snprintf(f, sizeof(f), "%s.%s", field, err->field);
        str_copy(err->field, sizeof(err->field), f);
        return -1;
    }
    if (!lot_no[0])
        return err_field(err, 400, "bad_value", "lot.lot_no", "lot_no must not be empty");
    if (has_prod && has_exp && strcmp(exp, prod) < 0)
        return err_field(err, 400, "bad_date", "lot.expiry_date",
                         "expiry_date is before production_date");
    if (has_cost && (cost < 0 || cost > 1e9))
        return err_field(err, 400, "bad_value", "lot.unit_cost", "unit_cost must be 0..1e9");
    snprintf(costt, sizeof(costt), "%.2f", cost);
    /* Concurrent receipts of a new lot must end on one row: upsert, then read. */
    if (db_exec(db, err,
                "INSERT INTO lot (item_id, lot_no, production_date, expiry_date, supplier,"
                " unit_cost) VALUES (?, ?, ?, ?, ?, ?)"
                " ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id)",
                "lsssss", (long long)item_id, lot_no, has_prod ? prod : NULL, has_exp ? exp : NULL,
                has_sup ? supplier : NULL, has_cost ? costt : NULL) != 0)
        return -1;
    *lot_id = (int64_t)db_insert_id(db);
    if (db_query(
            db, &r, err,
            "SELECT IFNULL(production_date, ''), IFNULL(expiry_date, '') FROM lot WHERE id = ?",
            "l", (long long)*lot_id) != 0)
        return -1;
    int same = r->nrows == 1 && (!has_prod || strcmp(db_get(r, 0, 0), prod) == 0) &&
               (!has_exp || strcmp(db_get(r, 0, 1), exp) == 0);
    db_res_free(r);
    if (!same)
        return err_field(err, 422, "rule_broken", "lot.lot_no",
                         "lot %s of this item exists with other dates", lot_no);
    return 0;
}

int h_lot_create(struct req *rq, struct resp *rs, struct app_err *err)
{
    int64_t item = 0, id;
    json_t *copy;
    int rc;

    /* Same fields as a receipt's "lot" object, plus the item. */
    json_t *item_v = json_object_get(rq->body, "item_id");
    if (!item_v)
        return err_field(err, 400, "missing_field", "item_id", "item_id is required");
    if (!json_is_integer(item_v) || json_integer_value(item_v) <= 0)
        return err_field(err, 400, "bad_type", "item_id", "item_id must be a positive integer");
    item = json_integer_value(item_v);
    if (db_query_int(rq->db, &id, err, "SELECT id FROM item WHERE id = ?", "l", (long long)item) !=
        0)
        return err_field(err, 422, "unknown_reference", "item_id", "no such item");
    copy = json_deep_copy(rq->body);
    json_object_del(copy, "item_id");
    rc = lot_find_or_create(rq->db, item, copy, &id, "lot", err);
    json_decref(copy);
    if (rc != 0) {
        if (strncmp(err->field, "lot.", 4) == 0)
            memmove(err->field, err->field + 4, strlen(err->field + 4) + 1);
        return -1;
    }
    return lot_reply(rq, rs, id, 201, err);
}

/* ---------------------------------------------------------------- assets */

#define ASSET_COLS                                                                                 \
    "SELECT a.id, a.item_id, i.code AS item_code, i.name_zh AS item_name_zh, a.serial_no,"         \
    " a.lot_id, a.depot_id, d.code AS depot_code, a.bin_id, a.team_id, a.status,"                  \
    " a.commissioned_on, a.inspection_due, a.maintenance_due, a.is_demo FROM asset a"              \
    " JOIN item i ON i.id = a.item_id JOIN depot d ON d.id = a.depot_id"                           \
    " JOIN org_unit o ON o.id = d.org_unit_id"

int h_assets_list(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct qb q;
    int limit, rc, has_depot, has_team;
    int64_t cursor, depot, team;
    const char *iref = req_query(rq, "item"), *status;

    if (q_page(rq, 500, &limit, &cursor, err) != 0 ||
        q_int(rq, "depot", &depot, &has_depot, err) != 0 ||
        q_int(rq, "team", &team, &has_team, err) != 0 ||
        q_enum(rq, "status", "in_service|under_repair|lost|retired", &status, err) != 0)
        return -1;
    qb_init(&q, ASSET_COLS " WHERE o.path LIKE CONCAT(?, '%') AND a.id > ?");
    dbp_str(&q.ps, rq->who.org_path);
    dbp_int(&q.ps, cursor);
    qb_where_int(&q, " AND a.depot_id = ?", has_depot, depot);
    qb_where_int(&q, " AND a.team_id = ?", has_team, team);
    if (qb_where_ref(&q, rq->db, iref, "SELECT id FROM item WHERE code = ?", "item",
                     " AND a.item_id = ?", err) != 0) {
        qb_free(&q);
        return -1;
    }
    qb_where_str(&q, " AND a.status = ?", status);
    qb_add(&q, " ORDER BY a.id LIMIT ?");
    dbp_int(&q.ps, limit + 1);
    rc = qb_page(&q, rq, rs, limit, "id", err);
    qb_free(&q);
    return rc;
}

static int asset_reply(struct req *rq, struct resp *rs, int64_t id, int status, struct app_err *err)
{
    json_t *o = json_one(rq->db, ASSET_COLS " WHERE a.id = ?", id, "asset", err);
    if (!o)
        return -1;
    resp_json(rs, status, o);
    return 0;
}

int h_asset_get(struct req *rq, struct resp *rs, struct app_err *err)
{
    int64_t id, depot;
    if (path_id(rq, 0, &id, err) != 0)
        return -1;
    if (db_query_int(rq->db, &depot, err, "SELECT depot_id FROM asset WHERE id = ?", "l",
                     (long long)id) != 0)
        return err->http == 404 ? err_set(err, 404, "not_found", "no such asset") : -1;
    if (auth_check_depot(rq->db, &rq->who, depot, err) != 0)
        return -1;
    return asset_reply(rq, rs, id, 200, err);
}

int h_asset_create(struct req *rq, struct resp *rs, struct app_err *err)
{
    char serial[257], comm[11], insp[11], maint[11], tracking[8] = "", sid[24];
    int64_t item = 0, depot = 0, bin = 0, team = 0, lot = 0, v;
    int has_bin, has_team, has_lot, has_comm, has_insp, has_maint;
    const struct jfield spec[] = {
        {"item_id", JF_ID, 1, &item, 0, NULL},
        {"serial_no", JF_STR, 1, serial, sizeof(serial), NULL},
        {"depot_id", JF_ID, 1, &depot, 0, NULL},
        {"bin_id", JF_ID, 0, &bin, 0, &has_bin},
        {"team_id", JF_ID, 0, &team, 0, &has_team},
        {"lot_id", JF_ID, 0, &lot, 0, &has_lot},
        {"commissioned_on", JF_DATE, 0, comm, 0, &has_comm},
        {"inspection_due", JF_DATE, 0, insp, 0, &has_insp},
        {"maintenance_due", JF_DATE, 0, maint, 0, &has_maint},
    };
    struct db_res *r = NULL;
    long long b, t, l;

    if (json_read(rq->body, spec, sizeof(spec) / sizeof(spec[0]), err) != 0)
        return -1;
    if (!serial[0])
        return err_field(err, 400, "bad_value", "serial_no", "serial_no must not be empty");
    if (db_query(rq->db, &r, err, "SELECT tracking FROM item WHERE id = ?", "l", (long long)item) !=
        0)
        return -1;
    if (r->nrows)
        str_copy(tracking, sizeof(tracking), db_get(r, 0, 0));
    db_res_free(r);
    if (!tracking[0])
        return err_field(err, 422, "unknown_reference", "item_id", "no such item");
    if (strcmp(tracking, "serial") != 0)
        return err_field(err, 422, "rule_broken", "item_id",
                         "only serial-tracked items are registered as assets");
    if (auth_check_depot(rq->db, &rq->who, depot, err) != 0) {
        if (err->http == 404)
            err_field(err, 422, "unknown_reference", "depot_id", "no such depot");
        return -1;
    }
    if (has_bin && (db_query_int(rq->db, &v, err, "SELECT depot_id FROM bin WHERE id = ?", "l",
                                 (long long)bin) != 0 ||
                    v != depot))
        return err_field(err, 422, "unknown_reference", "bin_id", "no such bin in that depot");
    if (has_lot && (db_query_int(rq->db, &v, err, "SELECT item_id FROM lot WHERE id = ?", "l",
                                 (long long)lot) != 0 ||
                    v != item))
        return err_field(err, 422, "unknown_reference", "lot_id", "no such lot of this item");
    if (has_team && (db_query_int(rq->db, &v, err, "SELECT org_unit_id FROM team WHERE id = ?", "l",
                                  (long long)team) != 0 ||
                     auth_check_org(rq->db, &rq->who, v, err) != 0))
        return err_field(err, err->http == 403 ? 403 : 422,
                         err->http == 403 ? "forbidden" : "unknown_reference", "team_id",
                         "no such team in your org unit");
    b = bin;
    t = team;
    l = lot;
    if (db_exec(rq->db, err,
                "INSERT INTO asset (item_id, serial_no, lot_id, depot_id, bin_id, team_id,"
                " commissioned_on, inspection_due, maintenance_due)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                "lsLlLLsss", (long long)item, serial, has_lot ? &l : NULL, (long long)depot,
                has_bin ? &b : NULL, has_team ? &t : NULL, has_comm ? comm : NULL,
                has_insp ? insp : NULL, has_maint ? maint : NULL) != 0) {
        if (err->http == 409)
            err_field(err, 409, "conflict", "serial_no", "this item has serial %s already", serial);
        else if (err->http == 422)
            err_set(err, 422, "unknown_reference", "team_id or lot_id refers to nothing");
        return -1;
    }
    int64_t id = (int64_t)db_insert_id(rq->db);
    id_text(id, sid);
    if (audit_append(rq->db, rq->who.user_id, "asset.create", "asset", sid, serial, err) != 0)
        return -1;
    return asset_reply(rq, rs, id, 201, err);
}
