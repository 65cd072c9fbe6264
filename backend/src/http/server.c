/*
 * server.c -- libmicrohttpd on one side, handlers on the other.
 *
 * Life of a request (see docs/architecture.md for the long form):
 *   1st call of on_access: allocate a conn_state; refuse a declared body over
 *       the limit with 413 straight away.
 *   middle calls: append upload data to a bounded buffer; never answer here.
 *   last call: dispatch() -- route, JSON body, session, role, then the handler
 *       (inside a transaction with the idempotency record for mutating
 *       calls) -- and queue exactly one response.
 *   on_completed: access log line, free the conn_state (also for clients
 *       that went away mid-request).
 */
#include "http.h"

#include "../core/buf.h"
#include "../core/log.h"
#include "../core/util.h"
#include "../store/db.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct http_server {
    const struct app *app;
    struct MHD_Daemon *d;
    int port;
    char *tls_cert; /* PEM text of RELIEF_TLS_CERT/KEY, kept while the daemon runs */
    char *tls_key;
    size_t tls_key_len;
};

struct conn_state {
    struct buf body;
    int too_big;
    int tls; /* served over HTTPS: answers carry Strict-Transport-Security */
    int status;
    size_t bytes;
    struct timespec t0;
    char method[8];
    char path[200];
};

/* ---------------------------------------------------------------- helpers */

/* The peer address as text, for login throttling.  A request runs entirely
 * on one worker thread, so a per-thread buffer outlives the handler's use. */
static const char *peer_address(struct MHD_Connection *c)
{
    static _Thread_local char text[INET6_ADDRSTRLEN];
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;

    if (!sa)
        return NULL;
    if (sa->sa_family == AF_INET &&
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, text, sizeof(text)))
        return text;
    if (sa->sa_family == AF_INET6 &&
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, text, sizeof(text)))
        return text;
    return NULL;
}

static const char *lookup(void *ctx, int kind, const char *key)
{
    if (kind == REQ_PEER)
        return peer_address((struct MHD_Connection *)ctx);
    return MHD_lookup_connection_value((struct MHD_Connection *)ctx,
                                       kind == REQ_QUERY ? MHD_GET_ARGUMENT_KIND : MHD_HEADER_KIND,
                                       key);
}

const char *req_query(const struct req *r, const char *key)
{
    return r->lookup ? r->lookup(r->ctx, REQ_QUERY, key) : NULL;
}

const char *req_header(const struct req *r, const char *key)
{
    return r->lookup ? r->lookup(r->ctx, REQ_HEADER, key) : NULL;
}

static void resp_clear(struct resp *rs)
{
    json_decref(rs->json);
    free(rs->body);
    free(rs->set_cookie);
    free(rs->content_disposition);
    memset(rs, 0, sizeof(*rs));
}

static void resp_error(struct resp *rs, const struct app_err *e)
{
    json_t *inner = json_pack("{s:s, s:s}", "code", e->code[0] ? e->code : "internal", "message",
                              e->msg[0] ? e->msg : "internal error");
    if (inner && e->field[0])
        json_object_set_new(inner, "field", json_string(e->field));
    char *keep_cookie = rs->set_cookie;
    rs->set_cookie = NULL;
    resp_clear(rs);
    rs->set_cookie = keep_cookie;
    rs->status = e->http ? e->http : 500;
    rs->json = json_pack("{s:o}", "error", inner);
}

static int is_mutating(const char *method)
{
    return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
}

static int idem_key_ok(const char *k)
{
    size_t n = strlen(k);
    if (n == 0 || n > 128)
        return 0;
    for (const char *c = k; *c; c++)
        if (*c < 0x21 || *c > 0x7e)
            return 0;
    return 1;
}

/* The session token from the cookie, or from "Authorization: Bearer ...";
 * *from_cookie says which (only cookies ride along on cross-site requests). */
static const char *find_token(struct MHD_Connection *c, int *from_cookie)
{
    const char *t = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "rs_session");
    *from_cookie = 0;
    if (t && *t) {
        *from_cookie = 1;
        return t;
    }
    t = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (t && strncasecmp(t, "Bearer ", 7) == 0)
        return t + 7;
    return NULL;
}

/* CSRF (docs/security.md).  A browser marks every request with
 * Sec-Fetch-Site; one started by another site must not change anything, not
 * even log-in/out.  And a mutating call authenticated by the cookie must
 * carry X-Requested-With: a page of another origin cannot add a custom
 * header without a CORS preflight, which reliefd never grants.  Bearer
 * tokens are never sent by the browser on its own, so they need neither. */
static int csrf_check(struct MHD_Connection *c, const char *method, int cookie_auth,
                      struct app_err *err)
{
    if (!is_mutating(method))
        return 0;
    const char *site = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-Fetch-Site");
    if (site && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0)
        return err_set(err, 403, "csrf_rejected", "a request from another site (%s) is refused",
                       site);
    if (!cookie_auth)
        return 0;
    const char *xrw = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Requested-With");
    if (!xrw || !*xrw)
        return err_set(err, 403, "csrf_rejected",
                       "a change made with the session cookie needs the header"
                       " X-Requested-With: ReliefStock");
    return 0;
}

/* ---------------------------------------------------------------- dispatch */

static int parse_body(struct conn_state *st, unsigned flags, json_t **out, struct app_err *err)
{
    json_error_t jerr;

    *out = NULL;
    if (st->body.len == 0) {
        if (flags & R_BODY)
            return err_set(err, 400, "bad_json", "a JSON object body is required");
        return 0;
    }
    *out = json_loadb(st->body.data, st->body.len, JSON_REJECT_DUPLICATES, &jerr);
    if (!*out) {
        if (strstr(jerr.text, "duplicate object key"))
            return err_set(err, 400, "duplicate_field", "%s", jerr.text);
        return err_set(err, 400, "bad_json", "malformed JSON at line %d column %d: %s", jerr.line,
                       jerr.column, jerr.text);
    }
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return err_set(err, 400, "bad_json", "the body must be a JSON object");
    }
    return 0;
}

/* Replay a stored answer: -1 with err when the key was used for another request. */
static int idem_replay(struct req *rq, const char *key, const char *hash, struct resp *rs,
                       struct app_err *err)
{
    struct db_res *r = NULL;

    if (db_query(rq->db, &r, err,
                 "SELECT request_hash, status, response FROM idempotency"
                 " WHERE user_id = ? AND idem_key = ?",
                 "ls", (long long)rq->who.user_id, key) != 0)
        return -1;
    if (r->nrows == 0) { /* the first attempt rolled back meanwhile: treat as busy */
        db_res_free(r);
        err_set(err, 503, "busy", "a request with this key was in progress; retry");
        err->retryable = 1;
        return -1;
    }
    if (strcmp(db_get(r, 0, 0), hash) != 0) {
        db_res_free(r);
        return err_set(err, 422, "idempotency_key_reused",
                       "this Idempotency-Key was used for a different request");
    }
    resp_clear(rs);
    rs->status = (int)db_get_int(r, 0, 1);
    rs->body = strdup(db_get(r, 0, 2));
    rs->body_len = rs->body ? strlen(rs->body) : 0;
    rs->content_type = "application/json";
    rs->replayed = 1;
    db_res_free(r);
    return 0;
}

/* Run a mutating handler in one transaction together with its idempotency
 * record; deadlocks and lock timeouts re-run the whole transaction. */
static int run_mutating(struct req *rq, const struct route *rt, struct resp *rs,
                        struct app_err *err)
{
    const char *key = req_header(rq, "Idempotency-Key");
    char hash[65] = "";

    if (rt->flags & R_NO_IDEM)
        key = NULL;
    if (key && !idem_key_ok(key))
        return err_set(err, 400, "bad_value",
                       "Idempotency-Key must be 1-128 printable ASCII characters");
    if (!key && (rt->flags & R_IDEM_REQUIRED))
        return err_set(err, 400, "missing_idempotency_key",
                       "this call needs an Idempotency-Key header (a fresh UUID per action)");
    if (key) {
        struct buf b;
        buf_init(&b, (size_t)8 << 20);
        char *body_txt = rq->body ? json_dumps(rq->body, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        buf_appendf(&b, "%s\n%s\n%s", rq->method, rq->path, body_txt ? body_txt : "");
        free(body_txt);
        sha256_hex(b.data ? b.data : "", b.len, hash);
        buf_free(&b);
    }

    for (int attempt = 0;; attempt++) {
        int rc, committing = 0;
        err_clear(err);
        resp_clear(rs);
        if (attempt > 0) {
            struct timespec ts = {0, (long)(1000000L * (attempt * 5 + rand() % 10))};
            nanosleep(&ts, NULL);
        }
        if (db_begin(rq->db, err) != 0)
            goto failed;
        /* The key's record is written after the handler, with the answer,
         * in the same transaction: one statement instead of an insert and
         * an update.  A repeat of a committed request finds the key taken
         * at that point (or, when its handler now fails -- the stock it
         * took is gone -- in the look-up below) and gets the first answer;
         * a twin still in flight holds the key's row lock until it commits
         * or rolls back, so only one of them is ever applied. */
        if (rt->fn(rq, rs, err) != 0) {
            if (key && !err->retryable && !db_broken(rq->db)) {
                struct app_err why = *err;
                db_rollback(rq->db);
                rc = idem_replay(rq, key, hash, rs, err);
                if (rc == 0)
                    return 0;
                if (err->http == 503 && err->retryable && !db_broken(rq->db))
                    *err = why; /* no record: the handler's own answer */
                return -1;
            }
            goto failed;
        }
        if (key) {
            const char *txt = "{}";
            if (rs->json) {
                char *dumped = json_dumps(rs->json, JSON_COMPACT | JSON_REAL_PRECISION(15));
                if (!dumped) {
                    err_set(err, 500, "internal", "out of memory");
                    goto failed;
                }
                json_decref(rs->json);
                rs->json = NULL;
                free(rs->body);
                rs->body = dumped;
                rs->body_len = strlen(dumped);
                rs->content_type = "application/json";
                txt = dumped;
            }
            /* Only JSON answers are stored; a binary answer (a PDF) is
             * recorded as done, and a replay gets its status alone. */
            rc = db_exec(rq->db, err,
                         "INSERT INTO idempotency (user_id, idem_key, request_hash, status,"
                         " response) VALUES (?, ?, ?, ?, ?)",
                         "lssls", (long long)rq->who.user_id, key, hash,
                         (long long)(rs->status ? rs->status : 200), txt);
            if (rc != 0 && db_errno(rq->db) == 1062) {
                db_rollback(rq->db);
                if (idem_replay(rq, key, hash, rs, err) == 0)
                    return 0;
            }
            if (rc != 0)
                goto failed;
        }
        committing = 1;
        if (db_commit(rq->db, err) != 0)
            goto failed;
        return 0;
    failed:
        if (db_in_txn(rq->db))
            db_rollback(rq->db);
        if (attempt >= 5)
            return -1;
        if (db_broken(rq->db)) {
            /* The connection (or its database node) is gone.  Before the
             * COMMIT was sent nothing was applied, so the whole transaction
             * runs again on a fresh connection -- the pool tries the next
             * node of RELIEF_DB_NODES.  A lost COMMIT may or may not have
             * been applied: only a request with an Idempotency-Key may run
             * again (it replays if it was), any other gets the 503. */
            if (committing && !key)
                return -1;
            db_pool_release(rq->app->pool, rq->db);
            rq->db = db_pool_acquire(rq->app->pool, err);
            if (!rq->db)
                return -1;
            continue;
        }
        if (!err->retryable)
            return -1;
    }
}

static void dispatch(struct http_server *s, struct conn_state *st, struct MHD_Connection *c,
                     const char *method, const char *url, struct resp *rs)
{
    const struct app *app = s->app;
    char scratch[512];
    const char *params[REQ_MAX_PARAMS];
    int nparams = 0, status = 0, cookie_auth = 0;
    struct app_err err;
    const struct route *rt;
    struct req rq;
    json_t *body = NULL;

    err_clear(&err);
    memset(&rq, 0, sizeof(rq));
    if (strlen(url) >= sizeof(scratch)) {
        err_set(&err, 404, "not_found", "no such path");
        goto fail;
    }
    rt = router_match(method, url, scratch, params, &nparams, &status);
    if (!rt) {
        if (status == 405)
            err_set(&err, 405, "method_not_allowed", "%s is not allowed on this path", method);
        else
            err_set(&err, 404, "not_found", "no such path");
        goto fail;
    }
    if (st->too_big) {
        err_set(&err, 413, "body_too_large", "the body is larger than %d bytes",
                app->cfg->http_max_body);
        goto fail;
    }

    rq.app = app;
    rq.method = method;
    rq.path = url;
    memcpy(rq.params, params, sizeof(params));
    rq.nparams = nparams;
    rq.lookup = lookup;
    rq.ctx = c;
    rq.token = find_token(c, &cookie_auth);
    rq.db = db_pool_acquire(app->pool, &err);
    if (!rq.db)
        goto fail;
    /* Who may call is settled before anything about the body is looked at:
     * session 401, CSRF 403, role 403, then the body's JSON 400; the handler
     * then checks the object (404) and its scope (403) before the fields. */
    if (!(rt->flags & R_PUBLIC)) {
        /* A read: when the connection turns out to be lost (a cluster node
         * went away), ask again on a fresh one -- the pool has moved on. */
        for (int tries = 0; auth_session(rq.db, rq.token, &rq.who, &err) != 0; tries++) {
            if (!db_broken(rq.db) || tries >= 2)
                goto fail;
            db_pool_release(app->pool, rq.db);
            err_clear(&err);
            if (!(rq.db = db_pool_acquire(app->pool, &err)))
                goto fail;
        }
        rq.authed = 1;
    }
    if (csrf_check(c, method, cookie_auth && !(rt->flags & R_PUBLIC), &err) != 0)
        goto fail;
    if (!(rt->flags & R_PUBLIC) && !(rt->roles & rq.who.role)) {
        err_set(&err, 403, "forbidden", "your role (%s) may not do this", role_name(rq.who.role));
        goto fail;
    }
    if (parse_body(st, rt->flags, &body, &err) != 0)
        goto fail;
    rq.body = body;
    if (is_mutating(method) && !(rt->flags & R_PUBLIC)) {
        if (run_mutating(&rq, rt, rs, &err) != 0)
            goto fail;
    } else if (rt->fn(&rq, rs, &err) != 0) {
        goto fail;
    }
    if (!rs->status)
        rs->status = 200;
    goto out;
fail:
    if (err.http >= 500)
        LOG_WARN("request %s %s failed: %d %s %s", method, url, err.http, err.code, err.msg);
    resp_error(rs, &err);
out:
    if (rq.db)
        db_pool_release(app->pool, rq.db);
    json_decref(body);
}

/* ---------------------------------------------------------------- static files */

static const char *mime_for(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {{".html", "text/html; charset=utf-8"},
                 {".js", "text/javascript; charset=utf-8"},
                 {".mjs", "text/javascript; charset=utf-8"},
                 {".css", "text/css; charset=utf-8"},
                 {".json", "application/json"},
                 {".svg", "image/svg+xml"},
                 {".png", "image/png"},
                 {".ico", "image/x-icon"},
                 {".webmanifest", "application/manifest+json"},
                 {".geojson", "application/geo+json"},
                 {".wasm", "application/wasm"}};
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

static struct MHD_Response *static_file(const struct app *app, const char *url, int *status)
{
    char path[1024];
    struct stat sb;
    int fd;

    /* No "..", no hidden files, no backslashes: only plain paths below webui_dir. */
    if (strstr(url, "/.") || strchr(url, '\\') || url[0] != '/')
        return NULL;
    if (strcmp(url, "/") == 0 || strncmp(url, "/l/", 3) == 0 || strncmp(url, "/L/", 3) == 0)
        url = "/index.html"; /* the web UI reads the label code from its own address */
    if ((size_t)snprintf(path, sizeof(path), "%s%s", app->cfg->webui_dir, url) >= sizeof(path))
        return NULL;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return NULL;
    }
    struct MHD_Response *r = MHD_create_response_from_fd((uint64_t)sb.st_size, fd);
    if (!r) {
        close(fd);
        return NULL;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, mime_for(path));
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    *status = 200;
    return r;
}

/* ---------------------------------------------------------------- MHD glue */

static struct MHD_Response *render(struct resp *rs, size_t *bytes)
{
    struct MHD_Response *r;
    char *txt;
    size_t len;

    if (rs->json) {
        txt = json_dumps(rs->json, JSON_COMPACT | JSON_REAL_PRECISION(15));
        if (!txt)
            return NULL;
        len = strlen(txt);
        rs->content_type = "application/json";
    } else {
        txt = rs->body ? rs->body : strdup("");
        len = rs->body ? rs->body_len : 0;
        rs->body = NULL;
        if (!txt)
            return NULL;
    }
    r = MHD_create_response_from_buffer(len, txt, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(txt);
        return NULL;
    }
    *bytes = len;
    if (len > 0 || rs->content_type)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                                rs->content_type ? rs->content_type : "application/json");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (rs->set_cookie)
        MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, rs->set_cookie);
    if (rs->content_disposition)
        MHD_add_response_header(r, "Content-Disposition", rs->content_disposition);
    if (rs->replayed)
        MHD_add_response_header(r, "Idempotent-Replayed", "true");
    if (rs->status == 429 && rs->json) {
        /* Throttled log-ins say when to come back, in the body and the header. */
        json_t *ra = json_object_get(json_object_get(rs->json, "error"), "retry_after");
        char secs[24];
        if (json_is_integer(ra)) {
            snprintf(secs, sizeof(secs), "%lld", (long long)json_integer_value(ra));
            MHD_add_response_header(r, "Retry-After", secs);
        }
    }
    return r;
}

static enum MHD_Result queue(struct MHD_Connection *c, struct conn_state *st, int status,
                             struct MHD_Response *r)
{
    enum MHD_Result ret;
    /* On every answer, files and API alike (docs/security.md).  No
     * 'unsafe-inline' anywhere: the UI has no inline script or style, and
     * builds the DOM without markup strings (webui/js/dom.mjs). */
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "same-origin");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; script-src 'self'; style-src 'self'; "
                            "img-src 'self' data: blob:; media-src 'self' blob:; "
                            "object-src 'none'; base-uri 'none'; form-action 'self'; "
                            "frame-ancestors 'none'");
    if (st->tls)
        MHD_add_response_header(r, "Strict-Transport-Security", "max-age=31536000");
    st->status = status;
    ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result queue_error(struct MHD_Connection *c, struct conn_state *st, int status,
                                   const char *code, const char *msg)
{
    struct app_err e;
    struct resp rs;
    size_t bytes = 0;

    memset(&rs, 0, sizeof(rs));
    err_set(&e, status, code, "%s", msg);
    resp_error(&rs, &e);
    struct MHD_Response *r = render(&rs, &bytes);
    resp_clear(&rs);
    if (!r)
        return MHD_NO;
    st->bytes = bytes;
    return queue(c, st, status, r);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
    struct http_server *s = cls;
    struct conn_state *st = *con_cls;

    if (!st) {
        st = calloc(1, sizeof(*st));
        if (!st)
            return MHD_NO;
        buf_init(&st->body, (size_t)s->app->cfg->http_max_body);
        clock_gettime(CLOCK_MONOTONIC, &st->t0);
        st->tls = s->tls_cert != NULL;
        str_copy(st->method, sizeof(st->method), method);
        str_copy(st->path, sizeof(st->path), url);
        *con_cls = st;
        const char *cl =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        const char *expect =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
        int64_t n;
        if (cl && parse_int64(cl, &n) == 0 && n > s->app->cfg->http_max_body) {
            /* Answering before the body is read makes the server close with
             * unread data, and the kernel's reset can destroy the 413 before
             * the client reads it.  So answer early only when the client
             * waits for "100 Continue" (it sends nothing more) or the body is
             * absurd; otherwise read and drop it, then answer. */
            st->too_big = 1;
            if ((expect && strcasecmp(expect, "100-continue") == 0) ||
                n > (int64_t)s->app->cfg->http_max_body * 64)
                return queue_error(c, st, 413, "body_too_large", "the body is larger than allowed");
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (!st->too_big && buf_append(&st->body, upload_data, *upload_data_size) != 0) {
            st->too_big = 1;
            buf_free(&st->body);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }

    if (strncmp(url, "/api/", 5) != 0 && strcmp(url, "/healthz") != 0 &&
        (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)) {
        int status = 0;
        struct MHD_Response *r = static_file(s->app, url, &status);
        if (r)
            return queue(c, st, status, r);
        return queue_error(c, st, 404, "not_found", "no such page");
    }

    struct resp rs;
    size_t bytes = 0;
    memset(&rs, 0, sizeof(rs));
    dispatch(s, st, c, method, url, &rs);
    struct MHD_Response *r = render(&rs, &bytes);
    int status = rs.status;
    resp_clear(&rs);
    if (!r)
        return MHD_NO;
    st->bytes = bytes;
    return queue(c, st, status, r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct conn_state *st = *con_cls;
    struct timespec t1;

    if (!st)
        return;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    LOG_INFO("access method=%s path=%s status=%d bytes=%zu ms=%.1f%s", st->method, st->path,
             st->status, st->bytes,
             (double)(t1.tv_sec - st->t0.tv_sec) * 1e3 +
                 (double)(t1.tv_nsec - st->t0.tv_nsec) / 1e6,
             toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted=1");
    buf_free(&st->body);
    free(st);
    *con_cls = NULL;
}

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    vsnprintf(line, sizeof(line), fmt, ap);
    line[strcspn(line, "\n")] = '\0';
    LOG_WARN("mhd %s", line);
}

/* A PEM file read whole into memory (NUL-terminated, at most 1 MiB), for
 * MHD_OPTION_HTTPS_MEM_CERT/KEY.  `key` names the setting in messages. */
static char *read_pem(const char *path, const char *key, size_t *len, struct app_err *err)
{
    struct stat sb;
    char *text = NULL;
    size_t got = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        err_set(err, 400, "bad_setting", "%s=%s: cannot open it (%s)", key, path, strerror(errno));
        return NULL;
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size <= 0 || sb.st_size > (1 << 20)) {
        err_set(err, 400, "bad_setting", "%s=%s: not a PEM file of at most 1 MiB", key, path);
        goto fail;
    }
    text = malloc((size_t)sb.st_size + 1);
    if (!text) {
        err_set(err, 500, "internal", "out of memory");
        goto fail;
    }
    while (got < (size_t)sb.st_size) {
        ssize_t n = read(fd, text + got, (size_t)sb.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            err_set(err, 400, "bad_setting", "%s=%s: cannot read it", key, path);
            goto fail;
        }
        got += (size_t)n;
    }
    text[got] = '\0';
    if (!strstr(text, "-----BEGIN ")) {
        err_set(err, 400, "bad_setting", "%s=%s: not PEM (no -----BEGIN line)", key, path);
        goto fail;
    }
    close(fd);
    *len = got;
    return text;
fail:
    if (text) {
        explicit_bzero(text, (size_t)sb.st_size);
        free(text);
    }
    close(fd);
    return NULL;
}

static void server_free(struct http_server *s)
{
    free(s->tls_cert);
    if (s->tls_key) {
        explicit_bzero(s->tls_key, s->tls_key_len); /* no private key left in freed memory */
        free(s->tls_key);
    }
    free(s);
}

/* HTTPS when RELIEF_TLS_CERT and RELIEF_TLS_KEY are both set: the PEM text
 * of both, read now so a wrong path stops the start with a clear message. */
static int tls_load(struct http_server *s, struct app_err *err)
{
    const struct config *cfg = s->app->cfg;
    size_t cert_len;

    if (!cfg->tls_cert[0] && !cfg->tls_key[0])
        return 0;
    if (!cfg->tls_cert[0] || !cfg->tls_key[0])
        return err_set(err, 400, "bad_setting",
                       "%s is set but %s is not: HTTPS needs both the certificate and its key"
                       " (PEM files, see docs/https.md); set both, or neither for plain HTTP",
                       cfg->tls_cert[0] ? "RELIEF_TLS_CERT" : "RELIEF_TLS_KEY",
                       cfg->tls_cert[0] ? "RELIEF_TLS_KEY" : "RELIEF_TLS_CERT");
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
        return err_set(err, 500, "bad_setting",
                       "this libmicrohttpd was built without TLS; unset RELIEF_TLS_CERT/KEY");
    s->tls_cert = read_pem(cfg->tls_cert, "RELIEF_TLS_CERT", &cert_len, err);
    if (!s->tls_cert)
        return -1;
    s->tls_key = read_pem(cfg->tls_key, "RELIEF_TLS_KEY", &s->tls_key_len, err);
    return s->tls_key ? 0 : -1;
}

#define HTTP_PER_IP_CONNECTIONS 128

struct http_server *http_start(const struct app *app, struct app_err *err)
{
    struct http_server *s = calloc(1, sizeof(*s));
    struct sockaddr_in sa;
    const union MHD_DaemonInfo *info;
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;

    if (!s) {
        err_set(err, 500, "internal", "out of memory");
        return NULL;
    }
    s->app = app;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)app->cfg->http_port);
    if (inet_pton(AF_INET, app->cfg->http_bind, &sa.sin_addr) != 1) {
        server_free(s);
        err_set(err, 400, "bad_setting", "RELIEF_HTTP_BIND must be an IPv4 address");
        return NULL;
    }
    if (tls_load(s, err) != 0) {
        server_free(s);
        return NULL;
    }
    /* Where to listen and the TLS files go in one option array, so plain HTTP
     * simply ends the array earlier.  A socket bound beforehand (http_listen)
     * replaces the address. */
    struct MHD_OptionItem opts[5];
    int no = 0;
    /* The thread model (RELIEF_HTTP_THREAD_MODEL, docs/operations.md):
     * "pool": http_threads workers, each polling many connections with
     * epoll; while one request waits on the database, the worker's other
     * connections wait too.  "per-connection": a thread per connection
     * (libmicrohttpd's own, with poll; epoll does not go with it), so no
     * connection waits behind another's database round trip; the pool of
     * database connections still bounds how many are in the database. */
    if (strcmp(app->cfg->http_thread_model, "per-connection") == 0)
        flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL |
                MHD_USE_ERROR_LOG;
    else
        opts[no++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE,
                                             (intptr_t)app->cfg->http_threads, NULL};
    if (app->listen_fd >= 0)
        opts[no++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET, app->listen_fd, NULL};
    else
        opts[no++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &sa};
    if (s->tls_cert) {
        flags |= MHD_USE_TLS;
        opts[no++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, s->tls_cert};
        opts[no++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls_key};
    }
    opts[no] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    /* Limits against broken and hostile clients (docs/operations.md): an idle
     * connection is dropped after http_conn_timeout; 1000 connections in all
     * and at most HTTP_PER_IP_CONNECTIONS from one address, so idle or slow
     * connections from one host cannot take every slot (a depot's handhelds
     * behind one NAT address stay far below it); 32 KiB per connection for
     * the request line and headers (larger: 431), bodies go to our own
     * buffer bounded by http_max_body. */
    s->d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_access, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)app->cfg->http_conn_timeout,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)1000, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned int)HTTP_PER_IP_CONNECTIONS, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)32 * 1024, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_ARRAY, opts,
        MHD_OPTION_END);
    if (!s->d) {
        int e = errno;
        if (s->tls_cert)
            /* errno says little here: MHD's log lines above carry GnuTLS's reason. */
            err_set(err, 500, "listen_failed",
                    "cannot start HTTPS on %s:%d: check that RELIEF_TLS_CERT and RELIEF_TLS_KEY"
                    " are a certificate and its matching key (see the mhd lines above), and that"
                    " the port is free",
                    app->cfg->http_bind, app->cfg->http_port);
        else
            err_set(err, 500, "listen_failed", "cannot listen on %s:%d (%s)", app->cfg->http_bind,
                    app->cfg->http_port, strerror(e));
        server_free(s);
        return NULL;
    }
    info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : app->cfg->http_port;
    if (s->tls_cert)
        LOG_INFO("https cert=%s", app->cfg->tls_cert);
    LOG_INFO("http thread_model=%s", app->cfg->http_thread_model);
    return s;
}

int http_listen(const char *addr, int port, int *bound, struct app_err *err)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    int fd, one = 1;

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
        return err_set(err, 400, "bad_setting", "RELIEF_HTTP_BIND must be an IPv4 address");
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return err_set(err, 500, "listen_failed", "socket: %s", strerror(errno));
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 512) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        int e = errno;
        close(fd);
        return err_set(err, 500, "listen_failed", "cannot listen on %s:%d (%s)", addr, port,
                       strerror(e));
    }
    *bound = ntohs(sa.sin_port);
    return fd;
}

int http_port(const struct http_server *s)
{
    return s->port;
}

void http_stop(struct http_server *s)
{
    if (!s)
        return;
    MHD_stop_daemon(s->d);
    server_free(s);
}
