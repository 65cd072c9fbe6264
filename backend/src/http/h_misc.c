/* h_misc.c -- health and sessions. */
#include "handlers.h"
#include "jsonin.h"

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
                "") != 0)
        return -1;
    /* Session and audit event commit together. */
    if (db_begin(rq->db, err) != 0)
        return -1;
    if (auth_login(rq->db, username, password, rq->app->cfg->session_ttl_s, &p, token, expires,
                   err) != 0) {
        db_rollback(rq->db);
        return -1;
    }
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
