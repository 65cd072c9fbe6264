/*
 * h_equipment.c -- assets out to teams and people and back, maintenance
 * rules per item, the service history, repair and retirement, and the list
 * of what is due (docs/purchasing.md, "Equipment").
 *
 * asset.status and asset.inspection_due are what readiness reads (an asset
 * under repair, an inspection overdue): every step here that changes the
 * state of an asset writes those columns in the same transaction as its
 * history row, so readiness never disagrees with the history.
 *
 * Path {id} of /assets/{id}/... is an asset id or the code on its label, so
 * a phone can act on what it just scanned.
 */
#include "handlers.h"
#include "jsonin.h"
#include "query.h"

#include "../core/util.h"
#include "../domain/audit.h"
#include "../domain/label.h"
#include "../domain/procure.h"
#include "../store/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int e_audit(struct req *rq, const char *action, int64_t id, json_t *detail,
                   struct app_err *err)
{
    char sid[24];
    char *txt = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    int rc;
    snprintf(sid, sizeof(sid), "%lld", (long long)id);
    rc = audit_append(rq->db, rq->who.user_id, action, "asset", sid, txt, err);
    free(txt);
    json_decref(detail);
    return rc;
}

struct asset {
    int64_t id, item_id, depot_id;
    char status[16], serial[65], item_code[33];
    int64_t open_checkout; /* 0 when in the depot */
    char out_to[200];
};

/* Resolve {id} (an id or a scanned asset label), lock the row inside a
 * mutating call, check scope and read the open check-out. */
static int asset_load(struct req *rq, struct asset *a, struct app_err *err)
{
    const char *ref = rq->params[0];
    struct db_res *r = NULL;
    int64_t v;

    memset(a, 0, sizeof(*a));
    if (parse_int64(ref, &v) == 0) {
        if (v <= 0)
            return err_set(err, 404, "not_found", "no such asset");
        a->id = v;
    } else {
        int64_t label, depot;
        char replaced[LABEL_CODE_LEN + 1];
        if (label_find(rq->db, ref, &label, &depot, replaced, err) != 0)
            return -1;
        if (db_query(rq->db, &r, err, "SELECT kind, asset_id FROM label WHERE id = ?", "l",
                     (long long)label) != 0)
            return -1;
        if (r->nrows == 0 || strcmp(db_get(r, 0, 0), "asset") != 0) {
            db_res_free(r);
            return err_set(err, 422, "rule_broken",
                           "label %s is not an asset label: scan the"
                           " label on the equipment itself",
                           ref);
        }
        a->id = db_get_int(r, 0, 1);
        db_res_free(r);
    }
    if (db_query(rq->db, &r, err,
                 db_in_txn(rq->db)
                     ? "SELECT a.item_id, a.depot_id, a.status, a.serial_no, i.code FROM asset a"
                       " JOIN item i ON i.id = a.item_id WHERE a.id = ? FOR UPDATE"
                     : "SELECT a.item_id, a.depot_id, a.status, a.serial_no, i.code FROM asset a"
                       " JOIN item i ON i.id = a.item_id WHERE a.id = ?",
                 "l", (long long)a->id) != 0)
        return -1;
    if (r->nrows == 0) {
        db_res_free(r);
        return err_set(err, 404, "not_found", "no such asset");
    }
    a->item_id = db_get_int(r, 0, 0);
    a->depot_id = db_get_int(r, 0, 1);
    str_copy(a->status, sizeof(a->status), db_get(r, 0, 2));
    str_copy(a->serial, sizeof(a->serial), db_get(r, 0, 3));
    str_copy(a->item_code, sizeof(a->item_code), db_get(r, 0, 4));
    db_res_free(r);
    if (auth_check_depot(rq->db, &rq->who, a->depot_id, err) != 0)
        return -1;
    if (db_query(rq->db, &r, err,
                 "SELECT c.id, COALESCE(CONCAT(t.name_zh, ' (', t.code, ')'), c.person_name),"
                 " DATE_FORMAT(c.checked_out_at, '%Y-%m-%d') FROM asset_checkout c"
                 " LEFT JOIN team t ON t.id = c.team_id WHERE c.open_asset_id = ?",
                 "l", (long long)a->id) != 0)
        return -1;
    if (r->nrows) {
        a->open_checkout = db_get_int(r, 0, 0);
        snprintf(a->out_to, sizeof(a->out_to), "%s since %s",
                 db_get(r, 0, 1) ? db_get(r, 0, 1) : "", db_get(r, 0, 2) ? db_get(r, 0, 2) : "");
    }
    db_res_free(r);
    return 0;
}

static const char *status_words(const char *st)
{
    if (!strcmp(st, "under_repair"))
        return "under repair";
    return st;
}

#define ASSET_VIEW                                                                                 \
    "SELECT a.id, a.item_id, i.code AS item_code, i.name_zh AS item_name_zh,"                      \
    " i.name_en AS item_name_en, a.serial_no, a.depot_id, d.code AS depot_code, a.status,"         \
    " a.inspection_due, a.maintenance_due, c.id AS checkout_id, c.team_id AS out_team_id,"         \
    " t.code AS out_team_code, t.name_zh AS out_team_name_zh, c.person_name AS out_person,"        \
    " c.checked_out_at, c.due_back FROM asset a JOIN item i ON i.id = a.item_id"                   \
    " JOIN depot d ON d.id = a.depot_id LEFT JOIN asset_checkout c ON c.open_asset_id = a.id"      \
    " LEFT JOIN team t ON t.id = c.team_id WHERE a.id = ?"

static int asset_reply(struct req *rq, struct resp *rs, int64_t id, int status, struct app_err *err)
{
    json_t *o = json_one(rq->db, ASSET_VIEW, id, "asset", err);
    if (!o)
        return -1;
    resp_json(rs, status, o);
    return 0;
}

static int service_row(struct req *rq, int64_t asset, const char *kind, const char *result,
                       const char *done_at, const char *note, const char *next_due,
                       struct app_err *err)
{
    return db_exec(rq->db, err,
                   "INSERT INTO asset_service (asset_id, kind, result, done_at, done_by, note,"
                   " next_due) VALUES (?, ?, ?, IFNULL(?, CURDATE()), ?, ?, ?)",
                   "lssslss", (long long)asset, kind, result, done_at, (long long)rq->who.user_id,
                   note, next_due);
}

/* ---------------------------------------------------------------- check-out / in */

int h_asset_checkout(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct asset a;
    int64_t team = 0, v;
    char person[97], due[11], cond[12] = "good", note[512];
    int has_team, has_person, has_due, has_note;
    const struct jfield spec[] = {
        {"team_id", JF_ID, 0, &team, 0, &has_team},
        {"person_name", JF_STR, 0, person, sizeof(person), &has_person},
        {"due_back", JF_DATE, 0, due, 0, &has_due},
        {"condition", JF_STR, 0, cond, sizeof(cond), NULL},
        {"note", JF_STR, 0, note, sizeof(note), &has_note},
    };

    /* The asset and its scope first: a caller outside it learns nothing
     * from the fields (404, then 403, then 400/422, then 409). */
    if (asset_load(rq, &a, err) != 0 ||
        json_read(rq->body, spec, sizeof(spec) / sizeof(spec[0]), err) != 0)
        return -1;
    if (has_person && !person[0])
        has_person = 0;
    if (!has_team && !has_person)
        return err_field(err, 400, "missing_field", "team_id",
                         "say who takes it: team_id or person_name");
    if (strcmp(cond, "good") && strcmp(cond, "fair") && strcmp(cond, "damaged"))
        return err_field(err, 400, "bad_value", "condition", "condition is good, fair or damaged");
    if (has_team && db_query_int(rq->db, &v, err, "SELECT id FROM team WHERE id = ?", "l",
                                 (long long)team) != 0)
        return err->http == 404 ? err_field(err, 422, "unknown_reference", "team_id",
                                            "no team %lld", (long long)team)
                                : -1;
    if (has_due) {
        if (db_query_int(rq->db, &v, err, "SELECT ? < CURDATE()", "s", due) != 0)
            return -1;
        if (v)
            return err_field(err, 400, "bad_date", "due_back", "due_back is in the past");
    }
    if (a.open_checkout)
        return err_set(err, 409, "already_checked_out",
                       "asset %s %s is already checked out (to %s): check it in first", a.item_code,
                       a.serial, a.out_to);
    if (strcmp(a.status, "in_service") != 0)
        return err_set(err, 409, "asset_unavailable", "asset %s %s is %s and cannot be checked out",
                       a.item_code, a.serial, status_words(a.status));
    long long teamv = team;
    if (db_exec(rq->db, err,
                "INSERT INTO asset_checkout (asset_id, team_id, person_name, checked_out_by,"
                " due_back, condition_out, note) VALUES (?, ?, ?, ?, ?, ?, ?)",
                "lLslsss", (long long)a.id, has_team ? &teamv : NULL, has_person ? person : NULL,
                (long long)rq->who.user_id, has_due ? due : NULL, cond,
                has_note ? note : NULL) != 0) {
        /* Two phones checking out the same asset at once: the unique open
         * check-out lets one through. */
        if (err->http == 409)
            err_set(err, 409, "already_checked_out", "asset %s %s was just checked out",
                    a.item_code, a.serial);
        return -1;
    }
    if (e_audit(rq, "asset.checkout", a.id,
                json_pack("{s:I,s:s?,s:s}", "checkout_id", (json_int_t)db_insert_id(rq->db),
                          "person_name", has_person ? person : NULL, "condition", cond),
                err) != 0)
        return -1;
    return asset_reply(rq, rs, a.id, 200, err);
}

int h_asset_checkin(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct asset a;
    char cond[12], note[512];
    int has_note;
    const struct jfield spec[] = {
        {"condition", JF_STR, 1, cond, sizeof(cond), NULL},
        {"note", JF_STR, 0, note, sizeof(note), &has_note},
    };
    const char *new_status = NULL;

    if (asset_load(rq, &a, err) != 0 ||
        json_read(rq->body, spec, sizeof(spec) / sizeof(spec[0]), err) != 0)
        return -1;
    if (strcmp(cond, "good") && strcmp(cond, "fair") && strcmp(cond, "damaged") &&
        strcmp(cond, "lost"))
        return err_field(err, 400, "bad_value", "condition",
                         "condition is good, fair, damaged or lost");
    if (!a.open_checkout)
        return err_set(err, 409, "not_checked_out", "asset %s %s is not checked out", a.item_code,
                       a.serial);
    if (db_exec(rq->db, err,
                "UPDATE asset_checkout SET returned_at = NOW(6), returned_by = ?,"
                " condition_in = ?, note = IF(? IS NULL, note, CONCAT_WS(' / ', note, ?))"
                " WHERE id = ?",
                "lsssl", (long long)rq->who.user_id, cond, has_note ? note : NULL,
                has_note ? note : NULL, (long long)a.open_checkout) != 0)
        return -1;
    /* Damaged goes to repair at once (readiness then reports it); lost is lost. */
    if (!strcmp(cond, "damaged"))
        new_status = "under_repair";
    else if (!strcmp(cond, "lost"))
        new_status = "lost";
    if (new_status) {
        if (db_exec(rq->db, err, "UPDATE asset SET status = ? WHERE id = ?", "sl", new_status,
                    (long long)a.id) != 0 ||
            service_row(rq, a.id, new_status[0] == 'u' ? "repair" : "retire", NULL, NULL,
                        new_status[0] == 'u' ? "returned damaged" : "lost while checked out", NULL,
                        err) != 0)
            return -1;
    }
    if (e_audit(
            rq, "asset.checkin", a.id,
            json_pack("{s:I,s:s}", "checkout_id", (json_int_t)a.open_checkout, "condition", cond),
            err) != 0)
        return -1;
    return asset_reply(rq, rs, a.id, 200, err);
}

#define CHECKOUT_COLS                                                                              \
    "SELECT c.id, c.asset_id, a.serial_no, i.code AS item_code, i.name_zh AS item_name_zh,"        \
    " a.depot_id, d.code AS depot_code, c.team_id, t.code AS team_code,"                           \
    " t.name_zh AS team_name_zh, c.person_name, c.checked_out_by,"                                 \
    " uo.display_name AS checked_out_by_name, c.checked_out_at, c.due_back, c.condition_out,"      \
    " c.returned_at, c.returned_by, c.condition_in, c.note,"                                       \
    " (c.returned_at IS NULL AND c.due_back < CURDATE()) AS is_overdue"                            \
    " FROM asset_checkout c JOIN asset a ON a.id = c.asset_id JOIN item i ON i.id = a.item_id"     \
    " JOIN depot d ON d.id = a.depot_id JOIN org_unit o ON o.id = d.org_unit_id"                   \
    " LEFT JOIN team t ON t.id = c.team_id JOIN app_user uo ON uo.id = c.checked_out_by"

int h_checkouts_list(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct qb q;
    int limit, rc, open = 0, has_asset, has_team;
    int64_t cursor, asset, team;
    const char *dref = req_query(rq, "depot");

    if (q_page(rq, 500, &limit, &cursor, err) != 0 || q_bool(rq, "open", &open, err) != 0 ||
        q_int(rq, "asset", &asset, &has_asset, err) != 0 ||
        q_int(rq, "team", &team, &has_team, err) != 0)
        return -1;
    qb_init(&q, CHECKOUT_COLS " WHERE o.path LIKE CONCAT(?, '%')");
    dbp_str(&q.ps, rq->who.org_path);
    if (cursor) {
        qb_add(&q, " AND c.id < ?");
        dbp_int(&q.ps, cursor);
    }
    if (open)
        qb_add(&q, " AND c.returned_at IS NULL");
    qb_where_int(&q, " AND c.asset_id = ?", has_asset, asset);
    qb_where_int(&q, " AND c.team_id = ?", has_team, team);
    if (qb_where_ref(&q, rq->db, dref, "SELECT id FROM depot WHERE code = ?", "depot",
                     " AND a.depot_id = ?", err) != 0) {
        qb_free(&q);
        return -1;
    }
    qb_add(&q, " ORDER BY c.id DESC LIMIT ?");
    dbp_int(&q.ps, limit + 1);
    rc = qb_page(&q, rq, rs, limit, "id", err);
    qb_free(&q);
    return rc;
}

/* ---------------------------------------------------------------- service */

/* The interval of `kind` for the asset's item: its rule, else for an
 * inspection the catalogue's item.inspection_interval_days; 0 when none. */
static int rule_interval(struct req *rq, int64_t item, const char *kind, int64_t *days,
                         struct app_err *err)
{
    struct db_res *r = NULL;
    if (db_query(rq->db, &r, err,
                 "SELECT COALESCE((SELECT interval_days FROM maintenance_rule WHERE item_id = ?"
                 " AND kind = ? AND active = 1), IF(? = 'inspection', i.inspection_interval_days,"
                 " NULL)) FROM item i WHERE i.id = ?",
                 "lssl", (long long)item, kind, kind, (long long)item) != 0)
        return -1;
    *days = r->nrows ? db_get_int(r, 0, 0) : 0;
    db_res_free(r);
    return 0;
}

/* maintenance_due is the earliest next date over the item's maintenance and
 * test-run rules, each counted from its last good service; an item without
 * such rules keeps what was set by hand. */
static int refresh_maintenance_due(struct req *rq, int64_t asset, struct app_err *err)
{
    struct db_res *r = NULL;
    int rc = 0;
    if (db_query(rq->db, &r, err,
                 "SELECT MIN(DATE_ADD(COALESCE((SELECT MAX(s.done_at) FROM asset_service s"
                 " WHERE s.asset_id = a.id AND s.kind = r.kind AND s.result = 'ok'),"
                 " a.commissioned_on, CURDATE()), INTERVAL r.interval_days DAY))"
                 " FROM asset a JOIN maintenance_rule r ON r.item_id = a.item_id AND r.active = 1"
                 " AND r.kind IN ('maintenance', 'test_run') WHERE a.id = ?",
                 "l", (long long)asset) != 0)
        return -1;
    if (r->nrows && db_get(r, 0, 0))
        rc = db_exec(rq->db, err, "UPDATE asset SET maintenance_due = ? WHERE id = ?", "sl",
                     db_get(r, 0, 0), (long long)asset);
    db_res_free(r);
    return rc;
}

int h_asset_service(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct asset a;
    char kind[16], result[8] = "ok", done[11], note[512], next[11] = "";
    int has_done, has_note;
    int64_t interval, v;
    const struct jfield spec[] = {
        {"kind", JF_STR, 1, kind, sizeof(kind), NULL},
        {"result", JF_STR, 0, result, sizeof(result), NULL},
        {"done_at", JF_DATE, 0, done, 0, &has_done},
        {"note", JF_STR, 0, note, sizeof(note), &has_note},
    };
    json_t *o;

    if (asset_load(rq, &a, err) != 0 ||
        json_read(rq->body, spec, sizeof(spec) / sizeof(spec[0]), err) != 0)
        return -1;
    if (strcmp(kind, "inspection") && strcmp(kind, "maintenance") && strcmp(kind, "test_run"))
        return err_field(err, 400, "bad_value", "kind",
                         "kind is inspection, maintenance or test_run (repair and retire have"
                         " their own calls)");
    if (strcmp(result, "ok") && strcmp(result, "failed"))
        return err_field(err, 400, "bad_value", "result", "result is ok or failed");
    if (has_done) {
        if (db_query_int(rq->db, &v, err, "SELECT ? > CURDATE()", "s", done) != 0)
            return -1;
        if (v)
            return err_field(err, 400, "bad_date", "done_at", "done_at is in the future");
    }
    if (!strcmp(a.status, "retired") || !strcmp(a.status, "lost"))
        return err_set(err, 409, "asset_unavailable", "asset %s %s is %s", a.item_code, a.serial,
                       a.status);
    if (!has_done) {
        struct db_res *r = NULL;
        if (db_query(rq->db, &r, err, "SELECT CURDATE()", "") != 0)
            return -1;
        str_copy(done, sizeof(done), db_get(r, 0, 0));
        db_res_free(r);
    }
    if (rule_interval(rq, a.item_id, kind, &interval, err) != 0)
        return -1;
    if (!strcmp(result, "ok") && interval > 0 && maint_next_due(done, (int)interval, next) != 0)
        return err_field(err, 400, "bad_date", "done_at", "done_at gives no valid next date");
    if (service_row(rq, a.id, kind, result, done, has_note ? note : NULL, next[0] ? next : NULL,
                    err) != 0)
        return -1;
    if (!strcmp(result, "failed")) {
        /* A failed check means the asset cannot be relied on: to repair. */
        if (db_exec(rq->db, err, "UPDATE asset SET status = 'under_repair' WHERE id = ?", "l",
                    (long long)a.id) != 0 ||
            service_row(rq, a.id, "repair", NULL, done, "failed service", NULL, err) != 0)
            return -1;
    } else if (!strcmp(kind, "inspection")) {
        if (next[0] && db_exec(rq->db, err, "UPDATE asset SET inspection_due = ? WHERE id = ?",
                               "sl", next, (long long)a.id) != 0)
            return -1;
    } else if (refresh_maintenance_due(rq, a.id, err) != 0) {
        return -1;
    }
    if (e_audit(rq, "asset.service", a.id,
                json_pack("{s:s,s:s,s:s,s:s?}", "kind", kind, "result", result, "done_at", done,
                          "next_due", next[0] ? next : NULL),
                err) != 0)
        return -1;
    if (!(o = json_one(rq->db, ASSET_VIEW, a.id, "asset", err)))
        return -1;
    json_object_set_new(o, "service",
                        json_pack("{s:s,s:s,s:s,s:s?}", "kind", kind, "result", result, "done_at",
                                  done, "next_due", next[0] ? next : NULL));
    resp_json(rs, 201, o);
    return 0;
}

int h_asset_services_list(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct asset a;
    struct db_res *r = NULL;
    json_t *o;
    if (asset_load(rq, &a, err) != 0 || !(o = json_one(rq->db, ASSET_VIEW, a.id, "asset", err)))
        return -1;
    if (db_query(rq->db, &r, err,
                 "SELECT s.id, s.kind, s.result, s.done_at, s.done_by,"
                 " u.display_name AS done_by_name, s.recorded_at, s.note, s.next_due"
                 " FROM asset_service s JOIN app_user u ON u.id = s.done_by"
                 " WHERE s.asset_id = ? ORDER BY s.done_at DESC, s.id DESC",
                 "l", (long long)a.id) != 0)
        goto fail;
    json_object_set_new(o, "services", json_from_rows(r));
    db_res_free(r);
    if (db_query(rq->db, &r, err, CHECKOUT_COLS " WHERE c.asset_id = ? ORDER BY c.id DESC", "l",
                 (long long)a.id) != 0)
        goto fail;
    json_object_set_new(o, "checkouts", json_from_rows(r));
    db_res_free(r);
    resp_json(rs, 200, o);
    return 0;
fail:
    json_decref(o);
    return -1;
}

/* in_service -> under_repair -> in_service; anything but lost -> retired. */
static int status_step(struct req *rq, struct resp *rs, const char *step, struct app_err *err)
{
    struct asset a;
    char note[512];
    int has_note;
    const struct jfield spec[] = {{"note", JF_STR, 0, note, sizeof(note), &has_note}};
    const char *to, *kind;

    note[0] = '\0';
    if (asset_load(rq, &a, err) != 0 || (rq->body && json_read(rq->body, spec, 1, err) != 0))
        return -1;
    if (!strcmp(step, "retire") && !note[0])
        return err_field(err, 400, "missing_field", "note", "say why the asset is retired");
    if (a.open_checkout)
        return err_set(err, 409, "checked_out",
                       "asset %s %s is checked out (to %s): check it in"
                       " first",
                       a.item_code, a.serial, a.out_to);
    if (!strcmp(step, "repair")) {
        if (strcmp(a.status, "in_service") != 0)
            return err_set(err, 409, "conflict", "asset %s %s is %s, not in service", a.item_code,
                           a.serial, status_words(a.status));
        to = "under_repair";
        kind = "repair";
    } else if (!strcmp(step, "repair_done")) {
        if (strcmp(a.status, "under_repair") != 0)
            return err_set(err, 409, "conflict", "asset %s %s is %s, not under repair", a.item_code,
                           a.serial, status_words(a.status));
        to = "in_service";
        kind = "repair_done";
    } else {
        if (!strcmp(a.status, "retired"))
            return err_set(err, 409, "conflict", "asset %s %s is retired already", a.item_code,
                           a.serial);
        to = "retired";
        kind = "retire";
    }
    if (db_exec(rq->db, err, "UPDATE asset SET status = ? WHERE id = ?", "sl", to,
                (long long)a.id) != 0 ||
        service_row(rq, a.id, kind, NULL, NULL, note[0] ? note : NULL, NULL, err) != 0 ||
        e_audit(rq,
                !strcmp(step, "repair")        ? "asset.repair"
                : !strcmp(step, "repair_done") ? "asset.repair_done"
                                               : "asset.retire",
                a.id, json_pack("{s:s,s:s,s:s}", "from", a.status, "to", to, "note", note),
                err) != 0)
        return -1;
    return asset_reply(rq, rs, a.id, 200, err);
}

int h_asset_repair(struct req *rq, struct resp *rs, struct app_err *err)
{
    return status_step(rq, rs, "repair", err);
}

int h_asset_repair_done(struct req *rq, struct resp *rs, struct app_err *err)
{
    return status_step(rq, rs, "repair_done", err);
}

int h_asset_retire(struct req *rq, struct resp *rs, struct app_err *err)
{
    return status_step(rq, rs, "retire", err);
}

/* ---------------------------------------------------------------- rules */

/* Explicit rules, and for items with a catalogue inspection interval but no
 * inspection rule, that interval as an implicit rule (source "catalogue"). */
#define RULE_COLS                                                                                  \
    "SELECT * FROM (SELECT r.id, r.item_id, i.code AS item_code, i.name_zh AS item_name_zh,"       \
    " i.name_en AS item_name_en, r.kind, r.interval_days, r.description_zh, r.description_en,"     \
    " r.active, 'rule' AS source FROM maintenance_rule r JOIN item i ON i.id = r.item_id"          \
    " UNION ALL SELECT NULL, i.id, i.code, i.name_zh, i.name_en, 'inspection',"                    \
    " i.inspection_interval_days, '按物资目录定期检查', 'Periodic inspection (catalogue " \
    "interval)',"                                                                                  \
    " 1, 'catalogue' FROM item i WHERE i.inspection_interval_days IS NOT NULL"                     \
    " AND NOT EXISTS (SELECT 1 FROM maintenance_rule r2 WHERE r2.item_id = i.id"                   \
    " AND r2.kind = 'inspection')) x WHERE 1 = 1"

int h_maint_rules_list(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct qb q;
    int rc, limit;
    int64_t cursor;
    const char *iref = req_query(rq, "item"), *kind;
    if (q_page(rq, 1000, &limit, &cursor, err) != 0 ||
        q_enum(rq, "kind", "inspection|maintenance|test_run", &kind, err) != 0)
        return -1;
    qb_init(&q, RULE_COLS);
    if (qb_where_ref(&q, rq->db, iref, "SELECT id FROM item WHERE code = ?", "item",
                     " AND x.item_id = ?", err) != 0) {
        qb_free(&q);
        return -1;
    }
    qb_where_str(&q, " AND x.kind = ?", kind);
    /* A small list (one row per item and kind): one page, no cursor. */
    qb_add(&q, " ORDER BY x.item_code, x.kind LIMIT ?");
    dbp_int(&q.ps, limit + 1);
    rc = qb_page(&q, rq, rs, limit, "item_id", err);
    qb_free(&q);
    return rc;
}

/* PUT-like: one rule per (item, kind), created or replaced. */
int h_maint_rule_put(struct req *rq, struct resp *rs, struct app_err *err)
{
    int64_t item = 0, interval = 0, v;
    char kind[16], dzh[256], den[256];
    int active = 1;
    const struct jfield spec[] = {
        {"item_id", JF_ID, 1, &item, 0, NULL},
        {"kind", JF_STR, 1, kind, sizeof(kind), NULL},
        {"interval_days", JF_INT, 1, &interval, 0, NULL},
        {"description_zh", JF_STR, 1, dzh, sizeof(dzh), NULL},
        {"description_en", JF_STR, 1, den, sizeof(den), NULL},
        {"active", JF_BOOL, 0, &active, 0, NULL},
    };
    json_t *o;

    if (json_read(rq->body, spec, sizeof(spec) / sizeof(spec[0]), err) != 0)
        return -1;
    if (strcmp(kind, "inspection") && strcmp(kind, "maintenance") && strcmp(kind, "test_run"))
        return err_field(err, 400, "bad_value", "kind",
                         "kind is inspection, maintenance or test_run");
    if (interval < 1 || interval > 3650)
        return err_field(err, 400, "bad_value", "interval_days", "interval_days must be 1..3650");
    if (!dzh[0] || !den[0])
        return err_field(err, 400, "bad_value", dzh[0] ? "description_en" : "description_zh",
                         "descriptions must not be empty");
    if (db_query_int(rq->db, &v, err, "SELECT id FROM item WHERE id = ?", "l", (long long)item) !=
        0)
        return err->http == 404 ? err_field(err, 422, "unknown_reference", "item_id",
                                            "no item %lld", (long long)item)
                                : -1;
    if (db_exec(rq->db, err,
                "INSERT INTO maintenance_rule (item_id, kind, interval_days, description_zh,"
                " description_en, active) VALUES (?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE"
                " id = LAST_INSERT_ID(id), interval_days = VALUES(interval_days),"
                " description_zh = VALUES(description_zh), description_en = VALUES(description_en),"
                " active = VALUES(active)",
                "lslssl", (long long)item, kind, (long long)interval, dzh, den,
                (long long)active) != 0)
        return -1;
    v = (int64_t)db_insert_id(rq->db);
    {
        char sid[24];
        char *txt = json_dumps(rq->body, JSON_COMPACT | JSON_SORT_KEYS);
        int rc;
        snprintf(sid, sizeof(sid), "%lld", (long long)v);
        rc = audit_append(rq->db, rq->who.user_id, "maintenance_rule.put", "maintenance_rule", sid,
                          txt, err);
        free(txt);
        if (rc != 0)
            return -1;
    }
    if (!(o = json_one(rq->db,
                       "SELECT r.id, r.item_id, i.code AS item_code, r.kind, r.interval_days,"
                       " r.description_zh, r.description_en, r.active FROM maintenance_rule r"
                       " JOIN item i ON i.id = r.item_id WHERE r.id = ?",
                       v, "maintenance rule", err)))
        return -1;
    resp_json(rs, 200, o);
    return 0;
}

/* ---------------------------------------------------------------- due list */

#define DUE_COLS                                                                                   \
    "SELECT a.id, a.serial_no, a.item_id, i.code AS item_code, i.name_zh AS item_name_zh,"         \
    " i.name_en AS item_name_en, a.depot_id, d.code AS depot_code, d.name_zh AS depot_name_zh,"    \
    " o.code AS org_unit_code, o.name_zh AS org_unit_name_zh, a.team_id, a.status,"                \
    " a.inspection_due, a.maintenance_due,"                                                        \
    " LEAST(IFNULL(a.inspection_due, '9999-12-31'), IFNULL(a.maintenance_due, '9999-12-31'))"      \
    " AS next_due,"                                                                                \
    " (a.inspection_due < CURDATE()) AS inspection_overdue,"                                       \
    " (a.maintenance_due < CURDATE()) AS maintenance_overdue,"                                     \
    " DATEDIFF(LEAST(IFNULL(a.inspection_due, '9999-12-31'),"                                      \
    " IFNULL(a.maintenance_due, '9999-12-31')), CURDATE()) AS days_left,"                          \
    " COALESCE(t.code, c.person_name) AS checked_out_to"                                           \
    " FROM asset a JOIN item i ON i.id = a.item_id JOIN depot d ON d.id = a.depot_id"              \
    " JOIN org_unit o ON o.id = d.org_unit_id LEFT JOIN asset_checkout c"                          \
    " ON c.open_asset_id = a.id LEFT JOIN team t ON t.id = c.team_id"

int h_equipment_due(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct qb q;
    int limit, rc, overdue = 0;
    int64_t cursor, days = 30;
    const char *oref = req_query(rq, "town"), *dref = req_query(rq, "depot"),
               *iref = req_query(rq, "item"), *dtext = req_query(rq, "days"), *kind;

    if (!oref)
        oref = req_query(rq, "org_unit");
    if (q_page(rq, 1000, &limit, &cursor, err) != 0 || q_bool(rq, "overdue", &overdue, err) != 0 ||
        q_enum(rq, "kind", "inspection|maintenance", &kind, err) != 0)
        return -1;
    /* 0 is meaningful here (due today at the latest), so not q_int. */
    if (dtext && *dtext && (parse_int64(dtext, &days) != 0 || days < 0 || days > 3650))
        return err_field(err, 400, "bad_query", "days", "days must be 0..3650");
    qb_init(&q, DUE_COLS " WHERE o.path LIKE CONCAT(?, '%') AND a.id > ?"
                         " AND a.status IN ('in_service', 'under_repair')");
    dbp_str(&q.ps, rq->who.org_path);
    dbp_int(&q.ps, cursor);
    if (overdue)
        days = -1; /* due before today */
    if (!kind || !strcmp(kind, "inspection")) {
        if (!kind)
            qb_add(&q, " AND (a.inspection_due <= DATE_ADD(CURDATE(), INTERVAL ? DAY)"
                       " OR a.maintenance_due <= DATE_ADD(CURDATE(), INTERVAL ? DAY))");
        else
            qb_add(&q, " AND a.inspection_due <= DATE_ADD(CURDATE(), INTERVAL ? DAY)");
        dbp_int(&q.ps, days);
        if (!kind)
            dbp_int(&q.ps, days);
    } else {
        qb_add(&q, " AND a.maintenance_due <= DATE_ADD(CURDATE(), INTERVAL ? DAY)");
        dbp_int(&q.ps, days);
    }
    if (qb_where_ref(&q, rq->db, oref, "SELECT id FROM org_unit WHERE code = ?", "town",
                     " AND o.path LIKE CONCAT((SELECT path FROM org_unit WHERE id = ?), '%')",
                     err) != 0 ||
        qb_where_ref(&q, rq->db, dref, "SELECT id FROM depot WHERE code = ?", "depot",
                     " AND a.depot_id = ?", err) != 0 ||
        qb_where_ref(&q, rq->db, iref, "SELECT id FROM item WHERE code = ?", "item",
                     " AND a.item_id = ?", err) != 0) {
        qb_free(&q);
        return -1;
    }
    qb_add(&q, " ORDER BY a.id LIMIT ?");
    dbp_int(&q.ps, limit + 1);
    rc = qb_page(&q, rq, rs, limit, "id", err);
    qb_free(&q);
    return rc;
}
