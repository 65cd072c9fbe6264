/*
 * h_checks.c -- the pre-season readiness check of a town (docs/readiness.md,
 * "Pre-season check").
 *
 * A check is one row per (town, season): the computed part is the town's
 * readiness answer (domain/readiness.c through readiness_town_answer), kept
 * as JSON text; the manual part is check_item rows answered one by one.
 * Signing stores a snapshot -- a fresh readiness answer plus every answer --
 * with its SHA-256, so later stock changes never alter what was signed; the
 * report of a signed check is drawn from that snapshot.
 *
 * States: open -> signed -> accepted, or signed -> returned -> signed ...
 * Every step appends an audit event in the request's transaction.
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
#include <time.h>

#define CHECK_COLS                                                                                 \
    "SELECT c.id, c.org_unit_id, o.code AS org_unit_code, o.name_zh AS org_unit_name_zh,"          \
    " o.name_en AS org_unit_name_en, c.season_year, c.status, c.standard_id, c.standard_version,"  \
    " c.computed_at, c.opened_by, uo.display_name AS opened_by_name, c.opened_at, c.signed_by,"    \
    " us.display_name AS signed_by_name, c.signed_at, c.sign_count, c.reviewed_by,"                \
    " ur.display_name AS reviewed_by_name, c.reviewed_at, c.review_comment, c.snapshot_sha256,"    \
    " (SELECT COUNT(*) FROM check_item a WHERE a.check_id = c.id AND a.answer IS NOT NULL)"        \
    " AS items_answered,"                                                                          \
    " (SELECT COUNT(*) FROM check_item a WHERE a.check_id = c.id) AS items_total"                  \
    " FROM readiness_check c JOIN org_unit o ON o.id = c.org_unit_id"                              \
    " JOIN app_user uo ON uo.id = c.opened_by LEFT JOIN app_user us ON us.id = c.signed_by"        \
    " LEFT JOIN app_user ur ON ur.id = c.reviewed_by"

#define ITEM_COLS                                                                                  \
    "SELECT ci.id, ci.code, ci.kind, ci.village_id, v.code AS village_code, ci.label_zh,"          \
    " ci.label_en, ci.answer, ci.comment, ci.answered_by, u.display_name AS answered_by_name,"     \
    " ci.answered_at FROM check_item ci LEFT JOIN org_unit v ON v.id = ci.village_id"              \
    " LEFT JOIN app_user u ON u.id = ci.answered_by WHERE ci.check_id = ?"                         \
    " ORDER BY ci.kind, v.code, ci.sort, ci.code"

/* What the handlers need of a check: its town and state. */
struct chk {
    int64_t id, org_unit_id;
    int season;
    char status[12];
};

/* Load check `path param 0`, with FOR UPDATE inside a transaction, and check
 * the caller's scope (403 outside, 404 unknown). */
static int chk_load(struct req *rq, struct chk *c, int lock, struct app_err *err)
{
    struct db_res *r = NULL;
    int rc;

    if (path_id(rq, 0, &c->id, err) != 0)
        return -1;
    rc =
        db_query(rq->db, &r, err,
                 lock ? "SELECT org_unit_id, season_year, status FROM readiness_check"
                        " WHERE id = ? FOR UPDATE"
                      : "SELECT org_unit_id, season_year, status FROM readiness_check WHERE id = ?",
                 "l", (long long)c->id);
    if (rc != 0)
        return -1;
    if (r->nrows == 0) {
        db_res_free(r);
        return err_set(err, 404, "not_found", "no such check");
    }
    c->org_unit_id = db_get_int(r, 0, 0);
    c->season = (int)db_get_int(r, 0, 1);
    str_copy(c->status, sizeof(c->status), db_get(r, 0, 2));
    db_res_free(r);
    return auth_check_org(rq->db, &rq->who, c->org_unit_id, err);
}

static int chk_editable(const struct chk *c, struct app_err *err)
{
    if (strcmp(c->status, "open") != 0 && strcmp(c->status, "returned") != 0)
        return err_field(err, 409, "conflict", "status",
                         "the check is %s: it can be changed only while open or returned",
                         c->status);
    return 0;
}

static int chk_audit(struct req *rq, const char *action, int64_t id, json_t *detail,
                     struct app_err *err)
{
    char sid[24];
    char *txt = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    int rc;

    snprintf(sid, sizeof(sid), "%lld", (long long)id);
    rc = audit_append(rq->db, rq->who.user_id, action, "readiness_check", sid, txt, err);
    free(txt);
    json_decref(detail);
    return rc;
}

/* The check row as JSON (no items), or NULL with err. */
static json_t *chk_row(struct db_conn *db, int64_t id, struct app_err *err)
{
    return json_one(db, CHECK_COLS " WHERE c.id = ?", id, "check", err);
}

static json_t *chk_items(struct db_conn *db, int64_t id, struct app_err *err)
{
    struct db_res *r = NULL;
    json_t *a;
    if (db_query(db, &r, err, ITEM_COLS, "l", (long long)id) != 0)
        return NULL;
    a = json_from_rows(r);
    db_res_free(r);
    return a;
}

/* A stored JSON text column of the check (computed or snapshot), parsed; json null if none. */
static json_t *chk_text(struct db_conn *db, int64_t id, const char *col_sql, struct app_err *err)
{
    struct db_res *r = NULL;
    json_t *j = NULL;
    const char *s;

    if (db_query(db, &r, err, col_sql, "l", (long long)id) != 0)
        return NULL;
    s = r->nrows ? db_get(r, 0, 0) : NULL;
    j = s ? json_loads(s, 0, NULL) : json_null();
    db_res_free(r);
    if (!j)
        err_set(err, 500, "internal", "a stored check could not be read");
    return j;
}

/* The whole check: row, items, computed part and the signed snapshot. */
static json_t *chk_full(struct db_conn *db, int64_t id, struct app_err *err)
{
    json_t *o = chk_row(db, id, err), *x;
    if (!o)
        return NULL;
    if (!(x = chk_items(db, id, err)))
        goto fail;
    json_object_set_new(o, "items", x);
    if (!(x = chk_text(db, id, "SELECT computed FROM readiness_check WHERE id = ?", err)))
        goto fail;
    json_object_set_new(o, "computed", x);
    if (!(x = chk_text(db, id, "SELECT snapshot FROM readiness_check WHERE id = ?", err)))
        goto fail;
    json_object_set_new(o, "snapshot", x);
    return o;
fail:
    json_decref(o);
    return NULL;
}

/* Compute the town's readiness for the season: JSON text and its standard. */
static int compute(struct db_conn *db, int64_t org, int season, char **text, long long *std_id,
                   long long *std_ver, json_t **answer, struct app_err *err)
{
    json_t *a = NULL, *std;
    if (readiness_town_answer(db, org, season, &a, err) != 0)
        return -1;
    std = json_object_get(a, "standard");
    *std_id = json_is_object(std) ? (long long)json_integer_value(json_object_get(std, "id")) : 0;
    *std_ver =
        json_is_object(std) ? (long long)json_integer_value(json_object_get(std, "version")) : 0;
    *text = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
    if (answer)
        *answer = a;
    else
        json_decref(a);
    if (!*text)
        return err_set(err, 500, "internal", "out of memory");
    return 0;
}

/* ---------------------------------------------------------------- open, list, get */

int h_check_open(struct req *rq, struct resp *rs, struct app_err *err)
{
    char ref[40];
    int64_t season = 0, org, id = 0;
    long long std_id, std_ver;
    char *text = NULL;
    int rc = -1;
    const struct jfield spec[] = {
        {"org_unit", JF_STR, 1, ref, sizeof(ref), NULL},
        {"season", JF_INT, 1, &season, 0, NULL},
    };

    if (json_read(rq->body, spec, 2, err) != 0)
        return -1;
    if (season < 2000 || season > 2200)
        return err_field(err, 400, "bad_value", "season", "season is a year 2000..2200");
    if (resolve_ref(rq->db, ref, "SELECT id FROM org_unit WHERE code = ?", &org, 422, "org_unit",
                    err) != 0 ||
        auth_check_org(rq->db, &rq->who, org, err) != 0)
        return -1;
    if (db_query_int(rq->db, &id, err,
                     "SELECT id FROM readiness_check WHERE org_unit_id = ? AND season_year = ?"
                     " FOR UPDATE",
                     "ll", (long long)org, (long long)season) == 0) {
        json_t *o = chk_full(rq->db, id, err);
        if (!o)
            return -1;
        resp_json(rs, 200, o);
        return 0;
    }
    if (err->http != 404)
        return -1;
    err_clear(err);
    if (compute(rq->db, org, (int)season, &text, &std_id, &std_ver, NULL, err) != 0) {
        if (err->http == 404)
            err_field(err, 422, "rule_broken", "org_unit",
                      "a check is made for a town-level unit (town, subdistrict, park)");
        goto done;
    }
    if (db_exec(rq->db, err,
                "INSERT INTO readiness_check (org_unit_id, season_year, standard_id,"
                " standard_version, computed, computed_at, opened_by)"
                " VALUES (?, ?, NULLIF(?, 0), NULLIF(?, 0), ?, NOW(6), ?)",
                "llllsl", (long long)org, (long long)season, std_id, std_ver, text,
                (long long)rq->who.user_id) != 0)
        goto done;
    id = (int64_t)db_insert_id(rq->db);
    if (db_exec(rq->db, err,
                "INSERT INTO check_item (check_id, sort, code, kind, label_zh, label_en)"
                " SELECT ?, sort, code, 'manual', label_zh, label_en FROM check_item_template",
                "l", (long long)id) != 0 ||
        db_exec(rq->db, err,
                "INSERT INTO check_item (check_id, sort, code, kind, village_id, label_zh,"
                " label_en)"
                " SELECT ?, 0, t.code, 'ten_have', v.id, CONCAT(v.name_zh, '：', t.name_zh),"
                " CONCAT(v.name_en, ': ', t.name_en)"
                " FROM org_unit town JOIN org_unit v ON v.path LIKE CONCAT(town.path, '%')"
                " AND v.kind IN ('village', 'community') CROSS JOIN ten_have_check t"
                " WHERE town.id = ?",
                "ll", (long long)id, (long long)org) != 0)
        goto done;
    if (chk_audit(rq, "check.open", id,
                  json_pack("{s:I, s:I, s:I}", "org_unit_id", (json_int_t)org, "season",
                            (json_int_t)season, "standard_version", (json_int_t)std_ver),
                  err) != 0)
        goto done;
    {
        json_t *o = chk_full(rq->db, id, err);
        if (!o)
            goto done;
        resp_json(rs, 201, o);
    }
    rc = 0;
done:
    free(text);
    return rc;
}

int h_checks_list(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct db_res *r = NULL;
    struct db_params ps;
    const char *status;
    int64_t season = 0;
    int has_season;
    json_t *o;
    char sql[2048];

    memset(&ps, 0, sizeof(ps));
    if (q_int(rq, "season", &season, &has_season, err) != 0 ||
        q_enum(rq, "status", "open|signed|accepted|returned", &status, err) != 0)
        return -1;
    dbp_str(&ps, rq->who.org_path);
    snprintf(sql, sizeof(sql),
             "%s WHERE o.path LIKE CONCAT(?, '%%')%s%s ORDER BY c.season_year"
             " DESC, o.code LIMIT 1000",
             CHECK_COLS, has_season ? " AND c.season_year = ?" : "",
             status ? " AND c.status = ?" : "");
    if (has_season)
        dbp_int(&ps, season);
    if (status)
        dbp_str(&ps, status);
    if (db_query_p(rq->db, &r, err, sql, &ps) != 0)
        return -1;
    o = json_pack("{s:o, s:n}", "items", json_from_rows(r), "next_cursor");
    db_res_free(r);
    resp_json(rs, 200, o);
    return 0;
}

int h_check_get(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct chk c;
    json_t *o;
    if (chk_load(rq, &c, 0, err) != 0 || !(o = chk_full(rq->db, c.id, err)))
        return -1;
    resp_json(rs, 200, o);
    return 0;
}

/* ---------------------------------------------------------------- answer, refresh */

int h_check_item_put(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct chk c;
    char answer[8] = "", comment[2000] = "";
    int has_comment = 0;
    int64_t item;
    json_t *o;
    const struct jfield spec[] = {
        {"answer", JF_STR, 1, answer, sizeof(answer), NULL},
        {"comment", JF_STR, 0, comment, sizeof(comment), &has_comment},
    };

    /* The check and its scope first (404, 403), then the fields (400), then
     * its state (409). */
    if (chk_load(rq, &c, 1, err) != 0)
        return -1;
    if (json_read(rq->body, spec, 2, err) != 0)
        return -1;
    if (strcmp(answer, "yes") && strcmp(answer, "no") && strcmp(answer, "na"))
        return err_field(err, 400, "bad_value", "answer", "answer is yes, no or na");
    if (chk_editable(&c, err) != 0)
        return -1;
    if (path_id(rq, 1, &item, err) != 0)
        return -1;
    if (db_exec(rq->db, err,
                "UPDATE check_item SET answer = ?, comment = ?, answered_by = ?,"
                " answered_at = NOW(6) WHERE id = ? AND check_id = ?",
                "sslll", answer, has_comment && comment[0] ? comment : NULL,
                (long long)rq->who.user_id, (long long)item, (long long)c.id) != 0)
        return -1;
    if (db_affected(rq->db) == 0) {
        int64_t one;
        if (db_query_int(rq->db, &one, err,
                         "SELECT 1 FROM check_item WHERE id = ? AND check_id = ?", "ll",
                         (long long)item, (long long)c.id) != 0)
            return err->http == 404 ? err_set(err, 404, "not_found", "no such check item") : -1;
    }
    if (chk_audit(rq, "check.answer", c.id,
                  json_pack("{s:I, s:s, s:s?}", "item_id", (json_int_t)item, "answer", answer,
                            "comment", has_comment && comment[0] ? comment : NULL),
                  err) != 0)
        return -1;
    {
        struct db_res *r = NULL;
        if (db_query(rq->db, &r, err, "SELECT * FROM (" ITEM_COLS ") x WHERE x.id = ?", "ll",
                     (long long)c.id, (long long)item) != 0)
            return -1;
        o = r->nrows ? json_from_row(r, 0) : json_object();
        db_res_free(r);
    }
    resp_json(rs, 200, o);
    return 0;
}

int h_check_refresh(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct chk c;
    long long std_id, std_ver;
    char *text = NULL;
    json_t *o;
    int rc = -1;

    if (chk_load(rq, &c, 1, err) != 0 || chk_editable(&c, err) != 0)
        return -1;
    if (compute(rq->db, c.org_unit_id, c.season, &text, &std_id, &std_ver, NULL, err) != 0)
        goto done;
    if (db_exec(rq->db, err,
                "UPDATE readiness_check SET computed = ?, computed_at = NOW(6),"
                " standard_id = NULLIF(?, 0), standard_version = NULLIF(?, 0) WHERE id = ?",
                "slll", text, std_id, std_ver, (long long)c.id) != 0 ||
        chk_audit(rq, "check.refresh", c.id,
                  json_pack("{s:I}", "standard_version", (json_int_t)std_ver), err) != 0)
        goto done;
    if (!(o = chk_full(rq->db, c.id, err)))
        goto done;
    resp_json(rs, 200, o);
    rc = 0;
done:
    free(text);
    return rc;
}

/* ---------------------------------------------------------------- sign, accept, return */

/* 422 listing the unanswered items (as many as fit the message). */
static int unanswered(struct req *rq, int64_t id, struct app_err *err)
{
    struct db_res *r = NULL;
    char msg[200];
    size_t off;

    if (db_query(rq->db, &r, err,
                 "SELECT ci.code, v.code FROM check_item ci LEFT JOIN org_unit v"
                 " ON v.id = ci.village_id WHERE ci.check_id = ? AND ci.answer IS NULL"
                 " ORDER BY ci.kind, v.code, ci.sort, ci.code",
                 "l", (long long)id) != 0)
        return -1;
    if (r->nrows == 0) {
        db_res_free(r);
        return 0;
    }
    off = (size_t)snprintf(msg, sizeof(msg), "%d item(s) not answered:", r->nrows);
    for (int i = 0; i < r->nrows && off < sizeof(msg) - 40; i++) {
        const char *v = db_get(r, i, 1);
        off += (size_t)snprintf(msg + off, sizeof(msg) - off, "%s %s%s%s", i ? "," : "",
                                db_get(r, i, 0), v ? "@" : "", v ? v : "");
    }
    if (off >= sizeof(msg) - 40)
        snprintf(msg + sizeof(msg) - 5, 5, " ...");
    db_res_free(r);
    return err_field(err, 422, "rule_broken", "items", "%s", msg);
}

int h_check_sign(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct chk c;
    long long std_id, std_ver;
    char *text = NULL, *snap = NULL, sha[65], at[21];
    json_t *answer = NULL, *s = NULL, *items, *prev = NULL, *o;
    time_t now = time(NULL);
    struct tm tm;
    int rc = -1;

    if (chk_load(rq, &c, 1, err) != 0 || chk_editable(&c, err) != 0)
        return -1;
    if (rq->who.org_unit_id != c.org_unit_id)
        return err_set(err, 403, "forbidden", "only an official of the check's own town signs it");
    if (unanswered(rq, c.id, err) != 0)
        return -1;
    if (compute(rq->db, c.org_unit_id, c.season, &text, &std_id, &std_ver, &answer, err) != 0)
        goto done;
    if (!(items = chk_items(rq->db, c.id, err)))
        goto done;
    if (strcmp(c.status, "returned") == 0) {
        struct db_res *r = NULL;
        if (db_query(rq->db, &r, err,
                     "SELECT ur.display_name AS reviewed_by_name, c.reviewed_at,"
                     " c.review_comment FROM readiness_check c LEFT JOIN app_user ur"
                     " ON ur.id = c.reviewed_by WHERE c.id = ?",
                     "l", (long long)c.id) != 0) {
            json_decref(items);
            goto done;
        }
        prev = r->nrows ? json_from_row(r, 0) : json_null();
        db_res_free(r);
    }
    gmtime_r(&now, &tm);
    strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
    s = json_pack("{s:I, s:I, s:i, s:{s:I, s:s, s:s}, s:s, s:o, s:o, s:o}", "check_id",
                  (json_int_t)c.id, "org_unit_id", (json_int_t)c.org_unit_id, "season_year",
                  c.season, "signed_by", "id", (json_int_t)rq->who.user_id, "username",
                  rq->who.username, "display_name", rq->who.display_name, "signed_at", at,
                  "readiness", answer, "items", items, "returned_before",
                  prev ? prev : json_null());
    answer = NULL; /* stolen by json_pack */
    if (!s || !(snap = json_dumps(s, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15)))) {
        err_set(err, 500, "internal", "out of memory");
        goto done;
    }
    sha256_hex(snap, strlen(snap), sha);
    {
        char sqlat[20];
        datetime_sql(now, sqlat);
        if (db_exec(rq->db, err,
                    "UPDATE readiness_check SET status = 'signed', signed_by = ?, signed_at = ?,"
                    " sign_count = sign_count + 1, snapshot = ?, snapshot_sha256 = ?,"
                    " computed = ?, computed_at = NOW(6), standard_id = NULLIF(?, 0),"
                    " standard_version = NULLIF(?, 0), reviewed_by = NULL, reviewed_at = NULL,"
                    " review_comment = NULL WHERE id = ?",
                    "lsssslll", (long long)rq->who.user_id, sqlat, snap, sha, text, std_id, std_ver,
                    (long long)c.id) != 0)
            goto done;
    }
    if (chk_audit(rq, "check.sign", c.id,
                  json_pack("{s:s, s:I, s:s}", "snapshot_sha256", sha, "standard_version",
                            (json_int_t)std_ver, "from", c.status),
                  err) != 0)
        goto done;
    if (!(o = chk_full(rq->db, c.id, err)))
        goto done;
    resp_json(rs, 200, o);
    rc = 0;
done:
    json_decref(answer);
    json_decref(s);
    free(text);
    free(snap);
    return rc;
}

/* accept (returning 0) or return (1) a signed check. */
static int review(struct req *rq, struct resp *rs, int ret, struct app_err *err)
{
    struct chk c;
    char comment[2000] = "";
    int has_comment = 0;
    json_t *o;
    const struct jfield spec[] = {
        {"comment", JF_STR, ret, comment, sizeof(comment), &has_comment},
    };

    if (rq->body && json_read(rq->body, spec, 1, err) != 0)
        return -1;
    if (ret && !comment[0])
        return err_field(err, 400, "missing_field", "comment",
                         "a returned check needs a comment saying what to fix");
    if (chk_load(rq, &c, 1, err) != 0)
        return -1;
    if (strcmp(c.status, "signed") != 0)
        return err_field(err, 409, "conflict", "status",
                         "the check is %s: only a signed check is accepted or returned", c.status);
    if (db_exec(rq->db, err,
                "UPDATE readiness_check SET status = ?, reviewed_by = ?, reviewed_at = NOW(6),"
                " review_comment = ? WHERE id = ?",
                "slsl", ret ? "returned" : "accepted", (long long)rq->who.user_id,
                comment[0] ? comment : NULL, (long long)c.id) != 0 ||
        chk_audit(rq, ret ? "check.return" : "check.accept", c.id,
                  json_pack("{s:s?}", "comment", comment[0] ? comment : NULL), err) != 0)
        return -1;
    if (!(o = chk_full(rq->db, c.id, err)))
        return -1;
    resp_json(rs, 200, o);
    return 0;
}

int h_check_accept(struct req *rq, struct resp *rs, struct app_err *err)
{
    return review(rq, rs, 0, err);
}

int h_check_return(struct req *rq, struct resp *rs, struct app_err *err)
{
    return review(rq, rs, 1, err);
}

/* ---------------------------------------------------------------- the report */

/* The signed report comes from the snapshot; an unsigned one (open,
 * returned) from the stored computed part and today's answers, marked draft. */
int h_check_report(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct chk c;
    json_t *row = NULL, *snap = NULL, *town = NULL, *items = NULL;
    char *pdf = NULL, fn[64];
    size_t len = 0;
    int rc = -1, signed_ = 0;

    if (chk_load(rq, &c, 0, err) != 0 || !(row = chk_row(rq->db, c.id, err)))
        return -1;
    signed_ = strcmp(c.status, "signed") == 0 || strcmp(c.status, "accepted") == 0;
    if (signed_) {
        if (!(snap =
                  chk_text(rq->db, c.id, "SELECT snapshot FROM readiness_check WHERE id = ?", err)))
            goto done;
        town = json_incref(json_object_get(snap, "readiness"));
        items = json_incref(json_object_get(snap, "items"));
    } else {
        if (!(town = chk_text(rq->db, c.id, "SELECT computed FROM readiness_check WHERE id = ?",
                              err)) ||
            !(items = chk_items(rq->db, c.id, err)))
            goto done;
    }
    if (!json_is_object(town) || !json_is_array(items)) {
        err_set(err, 500, "internal", "a stored check could not be read");
        goto done;
    }
    json_object_set(row, "items", items);
    if (report_pdf_town(town, row, !signed_, &pdf, &len, err) != 0)
        goto done;
    snprintf(fn, sizeof(fn), "check-%lld.pdf", (long long)c.id);
    resp_pdf(rs, pdf, len, fn);
    rc = 0;
done:
    json_decref(row);
    json_decref(snap);
    json_decref(town);
    json_decref(items);
    return rc;
}
