/* h_misc.c -- health and sessions. */
#include "handlers.h"
#include "jsonin.h"

#include "../core/log.h"
#include "../core/util.h"
#include "../domain/audit.h"
#include "../store/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int h_healthz(struct req *rq, struct resp *rs, struct app_err *err)
{
    int64_t one;
    if (db_query_int(rq->db, &one, err, "SELECT 1", "") != 0)
        return err_set(err, 503, "db_unavailable", "the database does not answer");
    resp_json(rs, 200, json_pack("{s:s, s:s}", "status", "ok", "db", "ok"));
    return 0;
}

static json_t *user_json(struct req *rq, const struct principal *p, struct app_err *err)
{
    struct db_res *r = NULL;
    json_t *org;

    if (db_query(rq->db, &r, err,
                 "SELECT id, code, kind, name_zh, name_en FROM org_unit WHERE id = ?", "l",
                 (long long)p->org_unit_id) != 0)
        return NULL;
    org = r->nrows ? json_from_row(r, 0) : json_null();
    db_res_free(r);
    return json_pack("{s:I, s:s, s:s, s:s, s:o}", "id", (json_int_t)p->user_id, "username",
                     p->username, "display_name", p->display_name, "role", role_name(p->role),
                     "org_unit", org);
}

/* Login throttling (docs/security.md): failures within a sliding window,
 * per account name and per client address.  Checked before the password,
 * so a right password does not get through a lock either. */
#define THROTTLE_WINDOW_S 900
#define THROTTLE_ACCOUNT 5
#define THROTTLE_ADDRESS 20

/* Seconds until the failure that holds the lock (the limit-th newest in the
 * window) leaves the window, or 0 when under the limit; -1 with err. */
static int throttled_for(struct db_conn *db, const char *col, int limit, const char *val,
                         int64_t *secs, struct app_err *err)
{
    char sql[400];
    struct db_res *r = NULL;

    /* col and limit are constants of this file, never user data. */
    snprintf(sql, sizeof(sql),
             "SELECT TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6), at + INTERVAL %d SECOND)"
             " FROM login_failure WHERE %s = ? AND at > UTC_TIMESTAMP(6) - INTERVAL %d SECOND"
             " ORDER BY at DESC LIMIT 1 OFFSET %d",
             THROTTLE_WINDOW_S, col, THROTTLE_WINDOW_S, limit - 1);
    if (db_query(db, &r, err, sql, "s", val) != 0)
        return -1;
    *secs = 0;
    if (r->nrows) {
        *secs = db_get_int(r, 0, 0) / 1000000 + 1;
        if (*secs < 1)
            *secs = 1;
    }
    db_res_free(r);
    return 0;
}

static int login_throttle(struct req *rq, struct resp *rs, const char *username, const char *addr,
                          struct app_err *err)
{
    int64_t acc = 0, adr = 0;

    if (throttled_for(rq->db, "username", THROTTLE_ACCOUNT, username, &acc, err) != 0 ||
        throttled_for(rq->db, "address", THROTTLE_ADDRESS, addr, &adr, err) != 0)
        return -1;
    if (acc == 0 && adr == 0)
        return 0;
    int64_t wait = acc > adr ? acc : adr;
    resp_json(rs, 429,
              json_pack("{s:{s:s, s:s, s:I}}", "error", "code", "too_many_attempts", "message",
                        acc ? "too many failed log-ins for this account; wait and try again"
                            : "too many failed log-ins from this address; wait and try again",
                        "retry_after", (json_int_t)wait));
    return 1;
}

int h_login(struct req *rq, struct resp *rs, struct app_err *err)
{
    char username[65], password[257], token[65], expires[32], cookie[256], detail[128];
    struct principal p;
    const struct jfield spec[] = {
        {"username", JF_STR, 1, username, sizeof(username), NULL},
        {"password", JF_STR, 1, password, sizeof(password), NULL},
    };
    json_t *user;

    if (json_read(rq->body, spec, 2, err) != 0)
        return -1;
    /* Housekeeping rides on log-ins, which are rare and not latency-bound: a
     * bounded batch of sessions dead for a day, and of idempotency records
     * older than the longest an offline queue is expected to wait (30 days). */
    if (db_exec(rq->db, err,
                "DELETE FROM app_session WHERE expires_at < UTC_TIMESTAMP(6) - INTERVAL 1 DAY"
                " LIMIT 500",
                "") != 0 ||
        db_exec(rq->db, err,
                "DELETE FROM idempotency WHERE created_at < UTC_TIMESTAMP(6) - INTERVAL 30 DAY"
                " LIMIT 500",
                "") != 0 ||
        db_exec(rq->db, err,
                "DELETE FROM login_failure WHERE at < UTC_TIMESTAMP(6) - INTERVAL 1 DAY LIMIT 500",
                "") != 0)
        return -1;
    const char *addr = rq->lookup ? rq->lookup(rq->ctx, REQ_PEER, "") : NULL;
    if (!addr)
        addr = "unknown";
    int t = login_throttle(rq, rs, username, addr, err);
    if (t != 0)
        return t < 0 ? -1 : 0;
    /* Session and audit event commit together. */
    if (db_begin(rq->db, err) != 0)
        return -1;
    if (auth_login(rq->db, username, password, rq->app->cfg->session_ttl_s, &p, token, expires,
                   err) != 0) {
        db_rollback(rq->db);
        if (err->http == 401) {
            struct app_err e2;
            /* Recorded outside the rolled-back transaction; failing to
             * record is logged (never the password) and keeps the 401. */
            if (db_exec(rq->db, &e2,
                        "INSERT INTO login_failure (username, address, at)"
                        " VALUES (?, ?, UTC_TIMESTAMP(6))",
                        "ss", username, addr) != 0)
                LOG_WARN("login failure not recorded: %s", e2.msg);
        }
        return -1;
    }
    /* Session rotation: a log-in always issues a new token (auth_login), and
     * a session presented with it (an earlier log-in in this browser, or one
     * planted by someone else) is revoked, so no token from before the
     * log-in stays usable after it.  The account's failures are forgiven. */
    if ((rq->token && auth_logout(rq->db, rq->token, err) != 0 && err->http >= 500) ||
        db_exec(rq->db, err, "DELETE FROM login_failure WHERE username = ?", "s", username) != 0) {
        db_rollback(rq->db);
        return -1;
    }
    err_clear(err);
    snprintf(detail, sizeof(detail), "{\"role\":\"%s\"}", role_name(p.role));
    if (audit_append(rq->db, p.user_id, "login", "user", p.username, detail, err) != 0 ||
        db_commit(rq->db, err) != 0) {
        db_rollback(rq->db);
        return -1;
    }
    user = user_json(rq, &p, err);
    if (!user)
        return -1;
    snprintf(cookie, sizeof(cookie),
             "rs_session=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d%s", token,
             rq->app->cfg->session_ttl_s, rq->app->cfg->cookie_secure ? "; Secure" : "");
    rs->set_cookie = strdup(cookie);
    resp_json(rs, 200, json_pack("{s:o, s:s}", "user", user, "expires_at", expires));
    return 0;
}

/* Public on purpose: an expired session must still be able to clear its cookie. */
int h_logout(struct req *rq, struct resp *rs, struct app_err *err)
{
    if (rq->token && auth_logout(rq->db, rq->token, err) != 0 && err->http >= 500)
        return -1;
    /* The clearing cookie carries the same attributes as the one it replaces. */
    rs->set_cookie =
        strdup(rq->app->cfg->cookie_secure
                   ? "rs_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure"
                   : "rs_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    rs->status = 204;
    return 0;
}

int h_me(struct req *rq, struct resp *rs, struct app_err *err)
{
    json_t *user = user_json(rq, &rq->who, err);
    if (!user)
        return -1;
    resp_json(rs, 200, json_pack("{s:o}", "user", user));
    return 0;
}
