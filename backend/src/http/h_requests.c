/*
 * h_requests.c -- supply requests: a town (or a team of it) asks for items,
 * the city approves in full or in part, or refuses with a reason; the
 * requester may cancel while nothing is decided (docs/logistics.md).
 *
 * States: draft -> submitted -> approved | partially_approved | refused;
 * draft | submitted -> cancelled; approved -> fulfilled when its dispatches
 * have delivered (h_dispatch.c).  Every step locks the request row first
 * and checks the state under the lock, so a decision and a cancellation
 * racing each other are ordered: the second finds the first's state and
 * gets 409.
 */
#include "handlers.h"
#include "jsonin.h"
#include "query.h"

#include "../core/util.h"
#include "../domain/audit.h"
#include "logistics.h"
#include "../store/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQ_COLS                                                                                   \
    "SELECT r.id, r.status, r.purpose, r.org_unit_id, o.code AS org_unit_code,"                    \
    " o.name_zh AS org_unit_name_zh, o.name_en AS org_unit_name_en, r.team_id,"                    \
    " t.code AS team_code, r.to_depot_id, d.code AS to_depot_code, r.event_id,"                    \
    " e.code AS event_code, e.name_zh AS event_name_zh, r.reason, r.needed_by,"                    \
    " r.decision_reason, r.source_ref, r.created_by, uc.display_name AS created_by_name,"          \
    " r.created_at, r.submitted_at, r.decided_by, ud.display_name AS decided_by_name,"             \
    " r.decided_at, r.cancelled_by, r.cancelled_at,"                                               \
    " (SELECT COUNT(*) FROM supply_request_line l WHERE l.request_id = r.id) AS line_count,"            \
    " (SELECT COUNT(*) FROM dispatch x WHERE x.request_id = r.id AND x.status <> 'cancelled')"     \
    " AS dispatches"                                                                               \
    " FROM supply_request r JOIN org_unit o ON o.id = r.org_unit_id"                               \
    " JOIN depot d ON d.id = r.to_depot_id LEFT JOIN team t ON t.id = r.team_id"                   \
    " LEFT JOIN emergency_event e ON e.id = r.event_id JOIN app_user uc ON uc.id = r.created_by"   \
    " LEFT JOIN app_user ud ON ud.id = r.decided_by"

/* Per line: what was asked, approved, and how much of it is allocated,
 * shipped and received so far (picks not released). */
#define LINE_COLS                                                                                  \
    "SELECT l.id, l.item_id, i.code AS item_code, i.name_zh AS item_name_zh,"                      \
    " i.name_en AS item_name_en, i.unit, i.integral, l.qty_requested, l.qty_approved,"             \
    " IFNULL((SELECT SUM(p.qty_to_pick) FROM dispatch_pick p JOIN dispatch_line dl"                \
    "  ON dl.id = p.dispatch_line_id WHERE dl.request_line_id = l.id"                              \
    "  AND p.status <> 'released'), 0) AS qty_allocated,"                                          \
    " IFNULL((SELECT SUM(p.qty_shipped) FROM dispatch_pick p JOIN dispatch_line dl"                \
    "  ON dl.id = p.dispatch_line_id WHERE dl.request_line_id = l.id), 0) AS qty_shipped,"         \
    " IFNULL((SELECT SUM(p.qty_received - p.qty_damaged) FROM dispatch_pick p"                     \
    "  JOIN dispatch_line dl ON dl.id = p.dispatch_line_id WHERE dl.request_line_id = l.id), 0)"   \
    " AS qty_received_good"                                                                        \
    " FROM supply_request_line l JOIN item i ON i.id = l.item_id WHERE l.request_id = ?"           \
    " ORDER BY i.code"

json_t *request_full(struct db_conn *db, int64_t id, struct app_err *err)
{
    struct db_res *r = NULL;
    json_t *o = json_one(db, REQ_COLS " WHERE r.id = ?", id, "request", err);
    if (!o)
        return NULL;
    if (db_query(db, &r, err, LINE_COLS, "l", (long long)id) != 0) {
        json_decref(o);
        return NULL;
    }
    json_object_set_new(o, "lines", json_from_rows(r));
    db_res_free(r);
    if (db_query(db, &r, err,
                 "SELECT x.id, x.status, x.created_at FROM dispatch x WHERE x.request_id = ?"
                 " ORDER BY x.id",
                 "l", (long long)id) != 0) {
        json_decref(o);
        return NULL;
    }
    json_object_set_new(o, "dispatch_list", json_from_rows(r));
    db_res_free(r);
    return o;
}

int request_load(struct req *rq, int64_t id, int lock, struct req_state *st, struct app_err *err)
{
    struct db_res *r = NULL;
    if (db_query(rq->db, &r, err,
                 lock ? "SELECT r.status, r.org_unit_id, o.path, r.to_depot_id,"
                        " IFNULL(r.event_id, 0) FROM supply_request r"
                        " JOIN org_unit o ON o.id = r.org_unit_id WHERE r.id = ? FOR UPDATE"
                      : "SELECT r.status, r.org_unit_id, o.path, r.to_depot_id,"
                        " IFNULL(r.event_id, 0) FROM supply_request r"
                        " JOIN org_unit o ON o.id = r.org_unit_id WHERE r.id = ?",
                 "l", (long long)id) != 0)
        return -1;
    if (r->nrows == 0) {
        db_res_free(r);
        return err_set(err, 404, "not_found", "no such request");
    }
    st->id = id;
    str_copy(st->status, sizeof(st->status), db_get(r, 0, 0));
    st->org_unit_id = db_get_int(r, 0, 1);
    str_copy(st->path, sizeof(st->path), db_get(r, 0, 2));
    st->to_depot_id = db_get_int(r, 0, 3);
    st->event_id = db_get_int(r, 0, 4);
    db_res_free(r);
    /* The city sees every request (its scope is the root); a town its own. */
    if (!auth_in_scope(&rq->who, st->path))
        return err_set(err, 403, "forbidden", "the request is outside your org unit");
    return 0;
}

static int req_audit(struct req *rq, const char *action, int64_t id, json_t *detail,
                     struct app_err *err)
{
    char sid[24];
    char *txt = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    int rc;
    snprintf(sid, sizeof(sid), "%lld", (long long)id);
    rc = audit_append(rq->db, rq->who.user_id, action, "supply_request", sid, txt, err);
    free(txt);
    json_decref(detail);
    return rc;
}

static int respond_request(struct req *rq, struct resp *rs, int status, int64_t id,
                           struct app_err *err)
{
    json_t *o = request_full(rq->db, id, err);
    if (!o)
        return -1;
    resp_json(rs, status, o);
    return 0;
}

/* Read one {"item": code|id, "qty": n} line; fills the item and milli qty. */
static int read_line(struct db_conn *db, json_t *line, size_t i, int64_t *item, int64_t *qty,
                     struct app_err *err)
{
    char ref[64], field[48];
    double q = 0;
    int64_t integral;
    const struct jfield spec[] = {
        {"item", JF_STR, 1, ref, sizeof(ref), NULL},
        {"qty", JF_NUM, 1, &q, 0, NULL},
    };
    snprintf(field, sizeof(field), "lines[%zu]", i);
    if (!json_is_object(line))
        return err_field(err, 400, "bad_type", field, "each line is an object {item, qty}");
    if (json_read(line, spec, 2, err) != 0) {
        char f[160];
        snprintf(f, sizeof(f), "%s.%s", field, err->field);
        str_copy(err->field, sizeof(err->field), f);
        return -1;
    }
    snprintf(field, sizeof(field), "lines[%zu].item", i);
    if (resolve_ref(db, ref, "SELECT id FROM item WHERE code = ?", item, 422, field, err) != 0)
        return -1;
    if (db_query_int(db, &integral, err, "SELECT integral FROM item WHERE id = ?", "l",
                     (long long)*item) != 0)
        return err->http == 404 ? err_field(err, 422, "unknown_reference", field, "no item %s", ref)
                                : -1;
    snprintf(field, sizeof(field), "lines[%zu].qty", i);
    return json_qty_check(q, (int)integral, 0, field, qty, err);
}

int h_request_create(struct req *rq, struct resp *rs, struct app_err *err)
{
    char org_ref[40] = "", team_ref[64] = "", depot_ref[64] = "", event_ref[40] = "";
    char purpose[16], reason[2000] = "", needed[11] = "", source_ref[65] = "";
    int has_org = 0, has_team = 0, has_depot = 0, has_event = 0, has_reason = 0, has_needed = 0;
    int has_source = 0, draft = 0;
    json_t *lines = NULL, *line;
    int64_t org, team = 0, depot = 0, event = 0, id;
    size_t i;
    const struct jfield spec[] = {
        {"org_unit", JF_STR, 0, org_ref, sizeof(org_ref), &has_org},
        {"team", JF_STR, 0, team_ref, sizeof(team_ref), &has_team},
        {"to_depot", JF_STR, 0, depot_ref, sizeof(depot_ref), &has_depot},
        {"event", JF_STR, 0, event_ref, sizeof(event_ref), &has_event},
        {"purpose", JF_STR, 1, purpose, sizeof(purpose), NULL},
        {"reason", JF_STR, 0, reason, sizeof(reason), &has_reason},
        {"needed_by", JF_DATE, 0, needed, 0, &has_needed},
        {"source_ref", JF_STR, 0, source_ref, sizeof(source_ref), &has_source},
        {"draft", JF_BOOL, 0, &draft, 0, NULL},
        {"lines", JF_ARRAY, 1, &lines, 200, NULL},
    };

    if (json_read(rq->body, spec, sizeof(spec) / sizeof(spec[0]), err) != 0)
        return -1;
    if (strcmp(purpose, "event") && strcmp(purpose, "replenishment"))
        return err_field(err, 400, "bad_value", "purpose", "purpose is event or replenishment");
    if (!strcmp(purpose, "event") && !has_event)
        return err_field(err, 400, "missing_field", "event", "a request for an event names the event");
    if (json_array_size(lines) == 0)
        return err_field(err, 400, "bad_value", "lines", "a request asks for at least one item");

    if (has_team) {
        if (resolve_ref(rq->db, team_ref, "SELECT id FROM team WHERE code = ?", &team, 422, "team",
                        err) != 0 ||
            db_query_int(rq->db, &org, err, "SELECT org_unit_id FROM team WHERE id = ?", "l",
                         (long long)team) != 0)
            return err->http == 404 ? err_field(err, 422, "unknown_reference", "team",
                                                "no team %s", team_ref)
                                    : -1;
    } else if (has_org) {
        if (resolve_ref(rq->db, org_ref, "SELECT id FROM org_unit WHERE code = ?", &org, 422,
                        "org_unit", err) != 0)
            return -1;
    } else {
        org = rq->who.org_unit_id;
    }
    if (auth_check_org(rq->db, &rq->who, org, err) != 0)
        return -1;
    if (has_depot) {
        if (resolve_ref(rq->db, depot_ref, "SELECT id FROM depot WHERE code = ?", &depot, 422,
                        "to_depot", err) != 0)
            return -1;
        /* The goods go to a depot of the asking unit itself. */
        if (db_query_int(rq->db, &depot, err,
                         "SELECT d.id FROM depot d JOIN org_unit o ON o.id = d.org_unit_id"
                         " JOIN org_unit a ON a.id = ? WHERE d.id = ?"
                         " AND o.path LIKE CONCAT(a.path, '%')",
                         "ll", (long long)org, (long long)depot) != 0)
            return err->http == 404 ? err_field(err, 422, "rule_broken", "to_depot",
                                                "the depot is not one of the asking unit's")
                                    : -1;
    } else {
        /* Its own depot: the team's, else the unit's town depot. */
        if (db_query_int(rq->db, &depot, err,
                         "SELECT id FROM depot WHERE org_unit_id = ? AND (? = 0 OR team_id = ?)"
                         " ORDER BY (team_id <=> ?) DESC, kind = 'town' DESC, id LIMIT 1",
                         "llll", (long long)org, (long long)team, (long long)team,
                         (long long)team) != 0)
            return err->http == 404 ? err_field(err, 422, "rule_broken", "to_depot",
                                                "the asking unit has no depot; name to_depot")
                                    : -1;
    }
    if (has_event) {
        char st[12] = "";
        struct db_res *r = NULL;
        if (resolve_ref(rq->db, event_ref, "SELECT id FROM emergency_event WHERE code = ?", &event,
                        422, "event", err) != 0)
            return -1;
        if (db_query(rq->db, &r, err, "SELECT status FROM emergency_event WHERE id = ?", "l",
                     (long long)event) != 0)
            return -1;
        if (r->nrows)
            str_copy(st, sizeof(st), db_get(r, 0, 0));
        db_res_free(r);
        if (!st[0])
            return err_field(err, 422, "unknown_reference", "event", "no event %s", event_ref);
        if (strcmp(st, "active") != 0)
            return err_field(err, 422, "rule_broken", "event", "the event is closed");
    }
    if (db_exec(rq->db, err,
                "INSERT INTO supply_request (org_unit_id, team_id, to_depot_id, event_id, purpose,"
                " status, reason, needed_by, source_ref, created_by, submitted_at)"
                " VALUES (?, NULLIF(?, 0), ?, NULLIF(?, 0), ?, ?, ?, ?, ?, ?, IF(?, NULL, NOW(6)))",
                "llllsssssll", (long long)org, (long long)team, (long long)depot,
                (long long)event, purpose, draft ? "draft" : "submitted",
                has_reason && reason[0] ? reason : NULL, has_needed ? needed : NULL,
                has_source && source_ref[0] ? source_ref : NULL, (long long)rq->who.user_id,
                (long long)draft) != 0)
        return -1;
    id = (int64_t)db_insert_id(rq->db);
    json_array_foreach(lines, i, line)
    {
        int64_t item, qty;
        if (read_line(rq->db, line, i, &item, &qty, err) != 0)
            return -1;
        if (db_exec(rq->db, err,
                    "INSERT INTO supply_request_line (request_id, item_id, qty_requested)"
                    " VALUES (?, ?, ?)",
                    "llq", (long long)id, (long long)item, qty) != 0) {
            if (err->http == 409) {
                char f[48];
                snprintf(f, sizeof(f), "lines[%zu].item", i);
                err_field(err, 400, "bad_value", f, "an item appears twice in the request");
            }
            return -1;
        }
    }
    if (req_audit(rq, draft ? "request.draft" : "request.submit", id,
                  json_pack("{s:s, s:I}", "purpose", purpose, "lines",
                            (json_int_t)json_array_size(lines)),
                  err) != 0)
        return -1;
    return respond_request(rq, rs, 201, id, err);
}

int h_requests_list(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct qb q;
    int limit, rc;
    int64_t cursor;
    const char *status, *purpose;
    const char *eref = req_query(rq, "event"), *oref = req_query(rq, "org_unit");

    if (q_page(rq, 500, &limit, &cursor, err) != 0 ||
        q_enum(rq, "status",
               "draft|submitted|approved|partially_approved|refused|cancelled|fulfilled", &status,
               err) != 0 ||
        q_enum(rq, "purpose", "event|replenishment", &purpose, err) != 0)
        return -1;
    qb_init(&q, REQ_COLS " WHERE o.path LIKE CONCAT(?, '%') AND (? = 0 OR r.id < ?)");
    dbp_str(&q.ps, rq->who.org_path);
    dbp_int(&q.ps, cursor);
    dbp_int(&q.ps, cursor);
    qb_where_str(&q, " AND r.status = ?", status);
    qb_where_str(&q, " AND r.purpose = ?", purpose);
    if (qb_where_ref(&q, rq->db, eref, "SELECT id FROM emergency_event WHERE code = ?", "event",
                     " AND r.event_id = ?", err) != 0 ||
        qb_where_ref(&q, rq->db, oref, "SELECT id FROM org_unit WHERE code = ?", "org_unit",
                     " AND o.path LIKE CONCAT((SELECT path FROM org_unit WHERE id = ?), '%')",
                     err) != 0) {
        qb_free(&q);
        return -1;
    }
    qb_add(&q, " ORDER BY r.id DESC LIMIT ?");
    dbp_int(&q.ps, limit + 1);
    rc = qb_page(&q, rq, rs, limit, "id", err);
    qb_free(&q);
    return rc;
}

int h_request_get(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct req_state st;
    int64_t id;
    if (path_id(rq, 0, &id, err) != 0 || request_load(rq, id, 0, &st, err) != 0)
        return -1;
    return respond_request(rq, rs, 200, id, err);
}

int h_request_submit(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct req_state st;
    int64_t id;
    if (path_id(rq, 0, &id, err) != 0 || request_load(rq, id, 1, &st, err) != 0)
        return -1;
    if (strcmp(st.status, "draft") != 0)
        return err_field(err, 409, "conflict", "status", "the request is %s, not a draft",
                         st.status);
    if (db_exec(rq->db, err,
                "UPDATE supply_request SET status = 'submitted', submitted_at = NOW(6)"
                " WHERE id = ? AND status = 'draft'",
                "l", (long long)id) != 0 ||
        req_audit(rq, "request.submit", id, NULL, err) != 0)
        return -1;
    return respond_request(rq, rs, 200, id, err);
}

/*
 * POST /requests/{id}/decide {"decision": "approve"|"refuse", "reason",
 * "lines": [{"line_id", "qty_approved"}]}.  Lines left out are approved as
 * asked; approving less than asked anywhere makes it partially_approved.
 */
int h_request_decide(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct req_state st;
    char decision[16], reason[2000] = "";
    int has_reason = 0, has_lines = 0, partial = 0;
    json_t *lines = NULL, *line;
    struct db_res *r = NULL;
    int64_t id, total = 0;
    size_t i;
    const struct jfield spec[] = {
        {"decision", JF_STR, 1, decision, sizeof(decision), NULL},
        {"reason", JF_STR, 0, reason, sizeof(reason), &has_reason},
        {"lines", JF_ARRAY, 0, &lines, 200, &has_lines},
    };

    if (json_read(rq->body, spec, sizeof(spec) / sizeof(spec[0]), err) != 0)
        return -1;
    if (strcmp(decision, "approve") && strcmp(decision, "refuse"))
        return err_field(err, 400, "bad_value", "decision", "decision is approve or refuse");
    if (!strcmp(decision, "refuse") && !(has_reason && reason[0]))
        return err_field(err, 400, "missing_field", "reason", "a refusal gives its reason");
    if (!strcmp(decision, "refuse") && has_lines)
        return err_field(err, 400, "unknown_field", "lines", "a refusal approves no lines");
    if (path_id(rq, 0, &id, err) != 0 || request_load(rq, id, 1, &st, err) != 0)
        return -1;
    if (strcmp(st.status, "submitted") != 0)
        return err_field(err, 409, "conflict", "status",
                         "the request is %s: only a submitted request can be decided", st.status);

    if (!strcmp(decision, "refuse")) {
        if (db_exec(rq->db, err,
                    "UPDATE supply_request SET status = 'refused', decision_reason = ?,"
                    " decided_by = ?, decided_at = NOW(6) WHERE id = ? AND status = 'submitted'",
                    "sll", reason, (long long)rq->who.user_id, (long long)id) != 0 ||
            req_audit(rq, "request.refuse", id, json_pack("{s:s}", "reason", reason), err) != 0)
            return -1;
        return respond_request(rq, rs, 200, id, err);
    }

    /* Approve: everything as asked, then the lines the city cut. */
    if (db_exec(rq->db, err,
                "UPDATE supply_request_line SET qty_approved = qty_requested WHERE request_id = ?",
                "l", (long long)id) != 0)
        return -1;
    json_array_foreach(lines, i, line)
    {
        int64_t line_id = 0, qty = 0, integral, requested;
        double q = 0;
        char f[48];
        const struct jfield ls[] = {
            {"line_id", JF_ID, 1, &line_id, 0, NULL},
            {"qty_approved", JF_NUM, 1, &q, 0, NULL},
        };
        snprintf(f, sizeof(f), "lines[%zu]", i);
        if (!json_is_object(line))
            return err_field(err, 400, "bad_type", f, "each line is {line_id, qty_approved}");
        if (json_read(line, ls, 2, err) != 0)
            return -1;
        if (db_query(rq->db, &r, err,
                     "SELECT i.integral, l.qty_requested FROM supply_request_line l"
                     " JOIN item i ON i.id = l.item_id WHERE l.id = ? AND l.request_id = ?",
                     "ll", (long long)line_id, (long long)id) != 0)
            return -1;
        if (r->nrows == 0) {
            db_res_free(r);
            snprintf(f, sizeof(f), "lines[%zu].line_id", i);
            return err_field(err, 422, "unknown_reference", f, "no line %lld in this request",
                             (long long)line_id);
        }
        integral = db_get_int(r, 0, 0);
        requested = db_get_qty(r, 0, 1);
        db_res_free(r);
        snprintf(f, sizeof(f), "lines[%zu].qty_approved", i);
        if (q < 0)
            return err_field(err, 400, "bad_quantity", f, "qty_approved is 0 or more");
        if (q > 0 && json_qty_check(q, (int)integral, 0, f, &qty, err) != 0)
            return -1;
        if (qty > requested)
            return err_field(err, 422, "rule_broken", f,
                             "the city cannot approve more than was asked");
        if (db_exec(rq->db, err, "UPDATE supply_request_line SET qty_approved = ? WHERE id = ?",
                    "ql", qty, (long long)line_id) != 0)
            return -1;
    }
    if (db_query(rq->db, &r, err,
                 "SELECT IFNULL(SUM(qty_approved), 0), SUM(qty_approved < qty_requested)"
                 " FROM supply_request_line WHERE request_id = ?",
                 "l", (long long)id) != 0)
        return -1;
    total = db_get_qty(r, 0, 0);
    partial = db_get_int(r, 0, 1) > 0;
    db_res_free(r);
    if (total == 0)
        return err_field(err, 422, "rule_broken", "lines",
                         "approving nothing is a refusal: refuse with a reason");
    if (db_exec(rq->db, err,
                "UPDATE supply_request SET status = ?, decision_reason = ?, decided_by = ?,"
                " decided_at = NOW(6) WHERE id = ? AND status = 'submitted'",
                "ssll", partial ? "partially_approved" : "approved",
                has_reason && reason[0] ? reason : NULL, (long long)rq->who.user_id,
                (long long)id) != 0 ||
        req_audit(rq, partial ? "request.approve_part" : "request.approve", id,
                  has_reason ? json_pack("{s:s}", "reason", reason) : NULL, err) != 0)
        return -1;
    return respond_request(rq, rs, 200, id, err);
}

int h_request_cancel(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct req_state st;
    char reason[1000] = "";
    int has_reason = 0;
    int64_t id;
    const struct jfield spec[] = {
        {"reason", JF_STR, 0, reason, sizeof(reason), &has_reason},
    };

    /* Object and scope before the body: another town learns 403, not a field error. */
    if (path_id(rq, 0, &id, err) != 0 || request_load(rq, id, 1, &st, err) != 0)
        return -1;
    if (rq->body && json_read(rq->body, spec, 1, err) != 0)
        return -1;
    if (strcmp(st.status, "draft") != 0 && strcmp(st.status, "submitted") != 0)
        return err_field(err, 409, "conflict", "status",
                         "the request is %s: only a draft or submitted request can be cancelled",
                         st.status);
    if (db_exec(rq->db, err,
                "UPDATE supply_request SET status = 'cancelled', cancelled_by = ?,"
                " cancelled_at = NOW(6), decision_reason = IFNULL(?, decision_reason)"
                " WHERE id = ? AND status IN ('draft', 'submitted')",
                "lsl", (long long)rq->who.user_id, has_reason && reason[0] ? reason : NULL,
                (long long)id) != 0)
        return -1;
    if (db_affected(rq->db) != 1)
        return err_set(err, 409, "conflict", "the request changed meanwhile");
    if (req_audit(rq, "request.cancel", id,
                  has_reason ? json_pack("{s:s}", "reason", reason) : NULL, err) != 0)
        return -1;
    return respond_request(rq, rs, 200, id, err);
}
