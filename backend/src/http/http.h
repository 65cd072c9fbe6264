/*
 * http.h -- what a request handler sees.  Handlers never touch
 * libmicrohttpd: they read a struct req, fill a struct resp, and return 0 or
 * -1 with an app_err.  server.c owns the socket side, router.c the table of
 * routes, and the dispatcher in server.c runs the checks every call shares
 * (route, body, session, role, transaction, idempotency) before a handler.
 */
#ifndef RELIEF_HTTP_H
#define RELIEF_HTTP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/config.h"
#include "../core/err.h"
#include "../domain/auth.h"

struct db_pool;
struct db_conn;
struct db_res;

/* Read-only state shared by every worker thread. */
struct app {
    const struct config *cfg;
    struct db_pool *pool;
    int listen_fd; /* a socket bound by http_listen, or -1 to let the daemon bind */
};

#define REQ_MAX_PARAMS 4

struct req {
    const struct app *app;
    const char *method;
    const char *path;
    const char *params[REQ_MAX_PARAMS]; /* {name} segments of the route, in order */
    int nparams;
    json_t *body;         /* borrowed: the parsed JSON object, or NULL */
    struct principal who; /* the caller, when the route needs a session */
    int authed;
    struct db_conn *db; /* inside a transaction for mutating routes */
    const char *token;  /* the session token presented, or NULL */
    /* Query arguments and headers, provided by the server. */
    const char *(*lookup)(void *ctx, int kind, const char *key);
    void *ctx;
};

#define REQ_QUERY 1
#define REQ_HEADER 2
#define REQ_PEER 3 /* the client's IP address as text (key ignored); NULL if unknown */

const char *req_query(const struct req *r, const char *key);
const char *req_header(const struct req *r, const char *key);

struct resp {
    int status;
    json_t *json; /* owned; rendered compactly */
    char *body;   /* owned raw body, used when json is NULL */
    size_t body_len;
    const char *content_type;
    char *set_cookie;          /* owned */
    char *content_disposition; /* owned */
    int replayed;              /* answered from the idempotency store */
};

typedef int (*handler_fn)(struct req *rq, struct resp *rs, struct app_err *err);

/* Route flags. */
#define R_PUBLIC 0x01 /* no session needed */
#define R_BODY 0x02   /* a JSON object body is required */
#define R_IDEM_REQUIRED 0x04
#define R_NO_IDEM 0x08 /* log-in/out: the session is the state, not the body */

struct route {
    const char *method;
    const char *pattern; /* "/api/v1/depots/{id}/bins" */
    handler_fn fn;
    unsigned roles; /* enum role bit mask */
    unsigned flags;
};

/* The table lives in router.c. */
extern const struct route routes[];
extern const size_t nroutes;

/* Match method+path.  Returns the route, or NULL with *status 404 or 405;
 * fills params (pointers into `scratch`, which must hold a copy of path). */
const struct route *router_match(const char *method, const char *path, char *scratch,
                                 const char **params, int *nparams, int *status);

/* Bind and listen on addr:port (port 0: a free one, written to *bound);
 * the socket then goes to http_start through app->listen_fd.  Binding
 * first lets reliefd know its port before any thread starts. */
int http_listen(const char *addr, int port, int *bound, struct app_err *err);
/* Start/stop the daemon.  The bound port is returned by http_port. */
struct http_server;
struct http_server *http_start(const struct app *app, struct app_err *err);
int http_port(const struct http_server *s);
void http_stop(struct http_server *s);

/* Handler helpers (respond.c). */
void resp_json(struct resp *rs, int status, json_t *j); /* steals j */
json_t *json_from_row(const struct db_res *r, int row);
json_t *json_from_rows(const struct db_res *r);
/* The one row `sql` (one id parameter) selects, as JSON; NULL with 404
 * "no such <what>" when there is none. */
json_t *json_one(struct db_conn *db, const char *sql, int64_t id, const char *what,
                 struct app_err *err);
int resp_csv(struct resp *rs, const struct db_res *r, const char *filename);
json_t *json_qty(int64_t milli);

#endif
