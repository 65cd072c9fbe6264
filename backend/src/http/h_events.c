/*
 * h_events.c -- emergency events (a typhoon, a flood, a forest fire) that
 * requests, dispatches and issues point to, and the event report: what moved
 * for an event, by day, place and item (docs/logistics.md).
 *
 * Events are city-wide records: everyone signed in may read them, the city
 * (city auditor, admin) records and closes them.  The report is cut to the
 * caller's scope: a town sees the movements of depots in its own units.
 */
#include "export.h"
#include "handlers.h"
#include "jsonin.h"
#include "query.h"

#include "../core/util.h"
#include "../domain/audit.h"
#include "../store/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EVENT_COLS                                                                                 \
    "SELECT e.id, e.code, e.name_zh, e.name_en, e.kind, e.started_on, e.ended_on, e.status,"       \
    " e.note, e.created_by, u.display_name AS created_by_name, e.created_at, e.closed_by,"         \
    " e.closed_at,"                                                                                \
    " (SELECT COUNT(*) FROM supply_request r WHERE r.event_id = e.id) AS requests,"                \
    " (SELECT COUNT(*) FROM dispatch d WHERE d.event_id = e.id) AS dispatches"                     \
    " FROM emergency_event e JOIN app_user u ON u.id = e.created_by"

static const char EVENT_KINDS[] = "typhoon|flood|forest_fire|other";

static int word_in(const char *list, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = list; *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, w, n) == 0)
            return 1;
        if (!bar)
            break;
        p = bar + 1;
    }
    return 0;
}

/* An event by code or id from path parameter 0 (404 when unknown). */
static int event_ref(struct req *rq, int64_t *id, struct app_err *err)
{
    return resolve_ref(rq->db, rq->params[0], "SELECT id FROM emergency_event WHERE code = ?", id,
                       404, "event", err);
}

static json_t *event_full(struct db_conn *db, int64_t id, struct app_err *err)
{
    struct db_res *r = NULL;
    json_t *o = json_one(db, EVENT_COLS " WHERE e.id = ?", id, "event", err);
    if (!o)
        return NULL;
    if (db_query(db, &r, err,
                 "SELECT o.id, o.code, o.name_zh, o.name_en, o.kind FROM emergency_event_place p"
                 " JOIN org_unit o ON o.id = p.org_unit_id WHERE p.event_id = ? ORDER BY o.code",
                 "l", (long long)id) != 0) {
        json_decref(o);
        return NULL;
    }
    json_object_set_new(o, "places", json_from_rows(r));
    db_res_free(r);
    return o;
}

/* Replace the places of an event with the org-unit codes of `places`. */
static int set_places(struct db_conn *db, int64_t id, json_t *places, struct app_err *err)
{
    size_t i;
    json_t *v;

    if (db_exec(db, err, "DELETE FROM emergency_event_place WHERE event_id = ?", "l",
                (long long)id) != 0)
        return -1;
    json_array_foreach(places, i, v)
    {
        int64_t org;
        char field[32];
        snprintf(field, sizeof(field), "places[%zu]", i);
        if (!json_is_string(v))
            return err_field(err, 400, "bad_type", field, "places are org-unit codes");
        if (resolve_ref(db, json_string_value(v), "SELECT id FROM org_unit WHERE code = ?", &org,
                        422, field, err) != 0)
            return -1;
        if (db_exec(db, err,
                    "INSERT IGNORE INTO emergency_event_place (event_id, org_unit_id)"
                    " VALUES (?, ?)",
                    "ll", (long long)id, (long long)org) != 0)
            return -1;
    }
    return 0;
}

static int event_audit(struct req *rq, const char *action, int64_t id, const char *code,
                       struct app_err *err)
{
    char sid[24], detail[96];
    snprintf(sid, sizeof(sid), "%lld", (long long)id);
    snprintf(detail, sizeof(detail), "{\"code\":\"%s\"}", code);
    return audit_append(rq->db, rq->who.user_id, action, "emergency_event", sid, detail, err);
}

static int code_ok(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_'))
            return 0;
    return 1;
}

int h_event_create(struct req *rq, struct resp *rs, struct app_err *err)
{
    char code[33], name_zh[97], name_en[161] = "", kind[16], started[11], ended[11], note[2000];
    int has_en = 0, has_ended = 0, has_note = 0, has_places = 0;
    json_t *places = NULL, *o;
    int64_t id;
    const struct jfield spec[] = {
        {"code", JF_STR, 1, code, sizeof(code), NULL},
        {"name_zh", JF_STR, 1, name_zh, sizeof(name_zh), NULL},
        {"name_en", JF_STR, 0, name_en, sizeof(name_en), &has_en},
        {"kind", JF_STR, 1, kind, sizeof(kind), NULL},
        {"started_on", JF_DATE, 1, started, 0, NULL},
        {"ended_on", JF_DATE, 0, ended, 0, &has_ended},
        {"note", JF_STR, 0, note, sizeof(note), &has_note},
        {"places", JF_ARRAY, 0, &places, 200, &has_places},
    };

    if (json_read(rq->body, spec, sizeof(spec) / sizeof(spec[0]), err) != 0)
        return -1;
    if (!code_ok(code))
        return err_field(err, 400, "bad_value", "code", "code is letters, digits, - and _");
    if (!name_zh[0])
        return err_field(err, 400, "bad_value", "name_zh", "name_zh must not be empty");
    if (!word_in(EVENT_KINDS, kind))
        return err_field(err, 400, "bad_value", "kind", "kind is typhoon, flood, forest_fire or other");
    if (has_ended && strcmp(ended, started) < 0)
        return err_field(err, 422, "rule_broken", "ended_on", "an event cannot end before it started");
    if (db_exec(rq->db, err,
                "INSERT INTO emergency_event (code, name_zh, name_en, kind, started_on, ended_on,"
                " note, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                "sssssssl", code, name_zh, has_en && name_en[0] ? name_en : name_zh, kind, started,
                has_ended ? ended : NULL, has_note ? note : NULL,
                (long long)rq->who.user_id) != 0) {
        if (err->http == 409)
            err_field(err, 409, "conflict", "code", "an event %s exists already", code);
        return -1;
    }
    id = (int64_t)db_insert_id(rq->db);
    if (has_places && set_places(rq->db, id, places, err) != 0)
        return -1;
    if (event_audit(rq, "event.create", id, code, err) != 0 || !(o = event_full(rq->db, id, err)))
        return -1;
    resp_json(rs, 201, o);
    return 0;
}

int h_events_list(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct qb q;
    int limit, rc;
    int64_t cursor;
    const char *status, *kind;

    if (q_page(rq, 500, &limit, &cursor, err) != 0 ||
        q_enum(rq, "status", "active|closed", &status, err) != 0 ||
        q_enum(rq, "kind", EVENT_KINDS, &kind, err) != 0)
        return -1;
    /* Newest first: the cursor is the last id seen, going down. */
    qb_init(&q, EVENT_COLS " WHERE (? = 0 OR e.id < ?)");
    dbp_int(&q.ps, cursor);
    dbp_int(&q.ps, cursor);
    qb_where_str(&q, " AND e.status = ?", status);
    qb_where_str(&q, " AND e.kind = ?", kind);
    qb_add(&q, " ORDER BY e.id DESC LIMIT ?");
    dbp_int(&q.ps, limit + 1);
    rc = qb_page(&q, rq, rs, limit, "id", err);
    qb_free(&q);
    return rc;
}

int h_event_get(struct req *rq, struct resp *rs, struct app_err *err)
{
    int64_t id;
    json_t *o;
    if (event_ref(rq, &id, err) != 0 || !(o = event_full(rq->db, id, err)))
        return -1;
    resp_json(rs, 200, o);
    return 0;
}

/* PATCH: names, dates, note, places, and status (closing stamps who and when). */
int h_event_update(struct req *rq, struct resp *rs, struct app_err *err)
{
    char name_zh[97], name_en[161], ended[11], note[2000], status[12], started[11];
    char cur_status[12];
    int has_zh = 0, has_en = 0, has_ended = 0, has_note = 0, has_places = 0, has_status = 0;
    json_t *places = NULL, *o;
    struct db_res *r = NULL;
    int64_t id;
    const struct jfield spec[] = {
        {"name_zh", JF_STR, 0, name_zh, sizeof(name_zh), &has_zh},
        {"name_en", JF_STR, 0, name_en, sizeof(name_en), &has_en},
        {"ended_on", JF_DATE, 0, ended, 0, &has_ended},
        {"note", JF_STR, 0, note, sizeof(note), &has_note},
        {"status", JF_STR, 0, status, sizeof(status), &has_status},
        {"places", JF_ARRAY, 0, &places, 200, &has_places},
    };

    if (json_read(rq->body, spec, sizeof(spec) / sizeof(spec[0]), err) != 0)
        return -1;
    if (has_status && strcmp(status, "active") && strcmp(status, "closed"))
        return err_field(err, 400, "bad_value", "status", "status is active or closed");
    if (has_zh && !name_zh[0])
        return err_field(err, 400, "bad_value", "name_zh", "name_zh must not be empty");
    if (event_ref(rq, &id, err) != 0)
        return -1;
    if (db_query(rq->db, &r, err,
                 "SELECT status, started_on FROM emergency_event WHERE id = ? FOR UPDATE", "l",
                 (long long)id) != 0)
        return -1;
    if (r->nrows == 0) {
        db_res_free(r);
        return err_set(err, 404, "not_found", "no such event");
    }
    str_copy(cur_status, sizeof(cur_status), db_get(r, 0, 0));
    str_copy(started, sizeof(started), db_get(r, 0, 1));
    db_res_free(r);
    if (has_ended && strcmp(ended, started) < 0)
        return err_field(err, 422, "rule_broken", "ended_on", "an event cannot end before it started");
    if (db_exec(rq->db, err,
                "UPDATE emergency_event SET name_zh = IFNULL(?, name_zh),"
                " name_en = IFNULL(?, name_en), ended_on = IFNULL(?, ended_on),"
                " note = IF(?, ?, note) WHERE id = ?",
                "ssslsl", has_zh ? name_zh : NULL, has_en ? name_en : NULL,
                has_ended ? ended : NULL, (long long)has_note, has_note ? note : NULL,
                (long long)id) != 0)
        return -1;
    if (has_status && strcmp(status, cur_status) != 0) {
        /* Closing stamps who and when; an event closed without an end
         * date ends today (never before it started). */
        if (strcmp(status, "closed") == 0
                ? db_exec(rq->db, err,
                          "UPDATE emergency_event SET status = 'closed', closed_by = ?,"
                          " closed_at = NOW(6), ended_on = IFNULL(ended_on,"
                          " GREATEST(started_on, UTC_DATE())) WHERE id = ?",
                          "ll", (long long)rq->who.user_id, (long long)id) != 0
                : db_exec(rq->db, err,
                          "UPDATE emergency_event SET status = 'active', closed_by = NULL,"
                          " closed_at = NULL WHERE id = ?",
                          "l", (long long)id) != 0)
            return -1;
    }
    if (has_places && set_places(rq->db, id, places, err) != 0)
        return -1;
    {
        char code[40] = "";
        if (db_query(rq->db, &r, err, "SELECT code FROM emergency_event WHERE id = ?", "l",
                     (long long)id) != 0)
            return -1;
        if (r->nrows)
            str_copy(code, sizeof(code), db_get(r, 0, 0));
        db_res_free(r);
        if (event_audit(rq,
                        has_status && strcmp(status, "closed") == 0 ? "event.close"
                                                                   : "event.update",
                        id, code, err) != 0)
            return -1;
    }
    if (!(o = event_full(rq->db, id, err)))
        return -1;
    resp_json(rs, 200, o);
    return 0;
}

/*
 * The report: movements made for the event -- the transfer_out/transfer_in
 * (and disposals of damage) of its dispatches, found through the dispatch
 * picks' transfers and the pick's reference, plus any movement carrying the
 * event's id itself (issues at a disaster site) -- summed by day, place
 * (the depot's org unit), item and kind of movement.
 */
int h_event_report(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct db_res *r = NULL;
    const char *fmt;
    int64_t id;
    json_t *ev, *rows, *o;
    char fn[96];

    if (q_format_ok(rq, err) != 0 || event_ref(rq, &id, err) != 0)
        return -1;
    if (!(ev = event_full(rq->db, id, err)))
        return -1;
    if (db_query(rq->db, &r, err,
                 "SELECT DATE(m.occurred_at) AS day, o.code AS org_unit_code,"
                 " o.name_zh AS org_unit_name_zh, o.name_en AS org_unit_name_en,"
                 " d.code AS depot_code, i.code AS item_code, i.name_zh AS item_name_zh,"
                 " i.name_en AS item_name_en, i.unit, m.kind, COUNT(*) AS movements,"
                 " SUM(m.qty) AS qty"
                 " FROM movement m JOIN depot d ON d.id = m.depot_id"
                 " JOIN org_unit o ON o.id = d.org_unit_id JOIN item i ON i.id = m.item_id"
                 " WHERE o.path LIKE CONCAT(?, '%')"
                 " AND (m.event_id = ? OR m.transfer_id IN (SELECT p.transfer_id FROM dispatch_pick p"
                 "  JOIN dispatch x ON x.id = p.dispatch_id WHERE x.event_id = ?"
                 "  AND p.transfer_id IS NOT NULL)"
                 "  OR (m.kind = 'dispose' AND m.reference IN (SELECT CONCAT('dispatch-', x.id)"
                 "  FROM dispatch x WHERE x.event_id = ?)))"
                 " GROUP BY DATE(m.occurred_at), o.code, o.name_zh, o.name_en, d.code, i.code,"
                 " i.name_zh, i.name_en, i.unit, m.kind"
                 " ORDER BY day, o.code, d.code, i.code, m.kind",
                 "slll", rq->who.org_path, (long long)id, (long long)id, (long long)id) != 0) {
        json_decref(ev);
        return -1;
    }
    rows = json_from_rows(r);
    db_res_free(r);
    fmt = q_export_format(rq);
    if (fmt) {
        int rc;
        snprintf(fn, sizeof(fn), "event-%s.%s",
                 json_string_value(json_object_get(ev, "code")), fmt);
        rc = strcmp(fmt, "csv") == 0 ? resp_csv_json(rs, rows, fn, err)
                                     : resp_xlsx_json(rs, rows, "event", fn, err);
        json_decref(rows);
        json_decref(ev);
        return rc;
    }
    /* Totals per item and kind, for the page's summary line. */
    if (db_query(rq->db, &r, err,
                 "SELECT i.code AS item_code, i.name_zh AS item_name_zh, i.unit, m.kind,"
                 " SUM(m.qty) AS qty FROM movement m JOIN depot d ON d.id = m.depot_id"
                 " JOIN org_unit o ON o.id = d.org_unit_id JOIN item i ON i.id = m.item_id"
                 " WHERE o.path LIKE CONCAT(?, '%')"
                 " AND (m.event_id = ? OR m.transfer_id IN (SELECT p.transfer_id FROM dispatch_pick p"
                 "  JOIN dispatch x ON x.id = p.dispatch_id WHERE x.event_id = ?"
                 "  AND p.transfer_id IS NOT NULL)"
                 "  OR (m.kind = 'dispose' AND m.reference IN (SELECT CONCAT('dispatch-', x.id)"
                 "  FROM dispatch x WHERE x.event_id = ?)))"
                 " GROUP BY i.code, i.name_zh, i.unit, m.kind ORDER BY i.code, m.kind",
                 "slll", rq->who.org_path, (long long)id, (long long)id, (long long)id) != 0) {
        json_decref(rows);
        json_decref(ev);
        return -1;
    }
    o = json_pack("{s:o, s:o, s:o}", "event", ev, "rows", rows, "totals", json_from_rows(r));
    db_res_free(r);
    resp_json(rs, 200, o);
    return 0;
}
