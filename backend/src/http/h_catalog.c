/* h_catalog.c -- org units, the item catalogue and teams. */
#include "handlers.h"
#include "jsonin.h"
#include "query.h"

#include "../core/util.h"
#include "../domain/audit.h"
#include "../store/db.h"

#include <stdio.h>
#include <string.h>

#define ORG_COLS                                                                                   \
    "SELECT o.id, o.code, o.parent_id, o.kind, o.name_zh, o.name_en, o.population,"                \
    " o.reserve_persons, o.lat, o.lon, o.is_demo FROM org_unit o"

int h_org_units_list(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct qb q;
    int limit, present, rc;
    int64_t cursor, parent;
    const char *kind, *pref = req_query(rq, "parent");

    if (q_page(rq, 1000, &limit, &cursor, err) != 0 ||
        q_enum(rq, "kind", "province|city|subdistrict|town|park|village|community", &kind, err) != 0)
        return -1;
    qb_init(&q, ORG_COLS " WHERE o.path LIKE CONCAT(?, '%') AND o.id > ?");
    dbp_str(&q.ps, rq->who.org_path);
    dbp_int(&q.ps, cursor);
    if (pref) {
        if (resolve_filter(rq->db, pref, "SELECT id FROM org_unit WHERE code = ?", &parent,
                           "parent", err) != 0) {
            qb_free(&q);
            return -1;
        }
        qb_add(&q, " AND o.parent_id = ?");
        dbp_int(&q.ps, parent);
    }
    qb_where_str(&q, " AND o.kind = ?", kind);
    (void)present;
    qb_add(&q, " ORDER BY o.id LIMIT ?");
    dbp_int(&q.ps, limit + 1);
    rc = qb_page(&q, rq, rs, limit, "id", err);
    qb_free(&q);
    return rc;
}

int h_org_unit_get(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct db_res *r = NULL;
    int64_t id;

    if (resolve_ref(rq->db, rq->params[0], "SELECT id FROM org_unit WHERE code = ?", &id, 404, "id",
                    err) != 0)
        return -1;
    if (auth_check_org(rq->db, &rq->who, id, err) != 0)
        return -1;
    if (db_query(rq->db, &r, err, ORG_COLS " WHERE o.id = ?", "l", (long long)id) != 0)
        return -1;
    if (r->nrows == 0) {
        db_res_free(r);
        return err_set(err, 404, "not_found", "no such org unit");
    }
    resp_json(rs, 200, json_from_row(r, 0));
    db_res_free(r);
    return 0;
}

#define ITEM_COLS                                                                                  \
    "SELECT i.id, i.code, i.name_zh, i.name_en, i.category, i.gbt_class, i.unit, i.integral,"      \
    " i.tracking, i.shelf_life_months, i.inspection_interval_days, i.active FROM item i"

int h_items_list(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct qb q;
    int limit, rc;
    int64_t cursor;
    const char *cat = req_query(rq, "category"), *tr, *text = req_query(rq, "q");
    char like[200];

    if (q_page(rq, 500, &limit, &cursor, err) != 0 ||
        q_enum(rq, "tracking", "bulk|lot|serial", &tr, err) != 0)
        return -1;
    qb_init(&q, ITEM_COLS " WHERE i.id > ?");
    dbp_int(&q.ps, cursor);
    qb_where_str(&q, " AND i.category = ?", cat);
    qb_where_str(&q, " AND i.tracking = ?", tr);
    if (text) {
        like_escape(text, like, sizeof(like));
        qb_add(&q, " AND (i.code LIKE CONCAT('%', ?, '%') OR i.name_zh LIKE CONCAT('%', ?, '%')"
                   " OR i.name_en LIKE CONCAT('%', ?, '%'))");
        dbp_str(&q.ps, like);
        dbp_str(&q.ps, like);
        dbp_str(&q.ps, like);
    }
    qb_add(&q, " ORDER BY i.id LIMIT ?");
    dbp_int(&q.ps, limit + 1);
    rc = qb_page(&q, rq, rs, limit, "id", err);
    qb_free(&q);
    return rc;
}

static int item_reply(struct req *rq, struct resp *rs, int64_t id, int status, struct app_err *err)
{
    struct db_res *r = NULL;
    json_t *o;

    if (db_query(rq->db, &r, err, ITEM_COLS " WHERE i.id = ?", "l", (long long)id) != 0)
        return -1;
    if (r->nrows == 0) {
        db_res_free(r);
        return err_set(err, 404, "not_found", "no such item");
    }
    o = json_from_row(r, 0);
    db_res_free(r);
    if (db_query(rq->db, &r, err,
                 "SELECT code, name_zh, qty FROM item_pack WHERE item_id = ? ORDER BY qty", "l",
                 (long long)id) != 0) {
        json_decref(o);
        return -1;
    }
    json_object_set_new(o, "packs", json_from_rows(r));
    db_res_free(r);
    resp_json(rs, status, o);
    return 0;
}

int h_item_get(struct req *rq, struct resp *rs, struct app_err *err)
{
    int64_t id;
    if (resolve_ref(rq->db, rq->params[0], "SELECT id FROM item WHERE code = ?", &id, 404, "id",
                    err) != 0)
        return -1;
    return item_reply(rq, rs, id, 200, err);
}

int h_item_create(struct req *rq, struct resp *rs, struct app_err *err)
{
    char code[129], name_zh[385], name_en[1021], category[193] = "", unit[65], tracking[8];
    int64_t gbt = 0, shelf = 0, insp = 0;
    int integral = 1, has_gbt, has_shelf, has_insp, has_cat;
    const struct jfield spec[] = {
        {"code", JF_STR, 1, code, sizeof(code), NULL},
        {"name_zh", JF_STR, 1, name_zh, sizeof(name_zh), NULL},
        {"name_en", JF_STR, 1, name_en, sizeof(name_en), NULL},
        {"category", JF_STR, 0, category, sizeof(category), &has_cat},
        {"gbt_class", JF_INT, 0, &gbt, 0, &has_gbt},
        {"unit", JF_STR, 1, unit, sizeof(unit), NULL},
        {"integral", JF_BOOL, 0, &integral, 0, NULL},
        {"tracking", JF_STR, 1, tracking, sizeof(tracking), NULL},
        {"shelf_life_months", JF_INT, 0, &shelf, 0, &has_shelf},
        {"inspection_interval_days", JF_INT, 0, &insp, 0, &has_insp},
    };
    long long g = gbt, s = shelf, i = insp;

    if (json_read(rq->body, spec, sizeof(spec) / sizeof(spec[0]), err) != 0)
        return -1;
    if (!code[0] || !name_zh[0] || !name_en[0] || !unit[0])
        return err_set(err, 400, "bad_value", "code, names and unit must not be empty");
    if (strcmp(tracking, "bulk") && strcmp(tracking, "lot") && strcmp(tracking, "serial"))
        return err_field(err, 400, "bad_value", "tracking", "tracking is bulk, lot or serial");
    if (has_gbt && (gbt < 1 || gbt > 3))
        return err_field(err, 400, "bad_value", "gbt_class", "gbt_class is 1, 2 or 3");
    if (has_shelf && (shelf < 1 || shelf > 600))
        return err_field(err, 400, "bad_value", "shelf_life_months", "1..600 months");
    if (has_insp && (insp < 1 || insp > 3650))
        return err_field(err, 400, "bad_value", "inspection_interval_days", "1..3650 days");
    g = gbt;
    s = shelf;
    i = insp;
    if (db_exec(rq->db, err,
                "INSERT INTO item (code, name_zh, name_en, category, gbt_class, unit, integral,"
                " tracking, shelf_life_months, inspection_interval_days)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                "ssssLslsLL", code, name_zh, name_en, has_cat ? category : NULL,
                has_gbt ? &g : NULL, unit, (long long)integral, tracking, has_shelf ? &s : NULL,
                has_insp ? &i : NULL) != 0) {
        if (err->http == 409)
            err_field(err, 409, "conflict", "code", "an item with code %s exists", code);
        return -1;
    }
    int64_t id = (int64_t)db_insert_id(rq->db);
    char sid[24];
    snprintf(sid, sizeof(sid), "%lld", (long long)id);
    if (audit_append(rq->db, rq->who.user_id, "item.create", "item", sid, code, err) != 0)
        return -1;
    return item_reply(rq, rs, id, 201, err);
}

int h_teams_list(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct qb q;
    int limit, rc;
    int64_t cursor;
    const char *oref = req_query(rq, "org_unit");

    if (q_page(rq, 500, &limit, &cursor, err) != 0)
        return -1;
    qb_init(&q, "SELECT t.id, t.code, t.org_unit_id, o.code AS org_unit_code, t.kind, t.name_zh,"
                " t.name_en, t.headcount, t.lat, t.lon, t.is_demo FROM team t"
                " JOIN org_unit o ON o.id = t.org_unit_id"
                " WHERE o.path LIKE CONCAT(?, '%') AND t.id > ?");
    dbp_str(&q.ps, rq->who.org_path);
    dbp_int(&q.ps, cursor);
    if (qb_where_ref(&q, rq->db, oref, "SELECT id FROM org_unit WHERE code = ?", "org_unit",
                     " AND t.org_unit_id = ?", err) != 0) {
        qb_free(&q);
        return -1;
    }
    qb_add(&q, " ORDER BY t.id LIMIT ?");
    dbp_int(&q.ps, limit + 1);
    rc = qb_page(&q, rq, rs, limit, "id", err);
    qb_free(&q);
    return rc;
}
