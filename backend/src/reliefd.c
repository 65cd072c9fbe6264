/*
 * reliefd -- the ReliefStock HTTP server.
 *
 * settings -> libraries -> connection pool -> daemon -> wait for SIGINT or
 * SIGTERM -> orderly teardown.  All state lives in the database, so several
 * reliefd may serve one database behind a load balancer.
 */
#include "core/config.h"
#include "core/log.h"
#include "http/http.h"
#include "labels/labels.h"
#include "store/db.h"

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(void)
{
    fprintf(stderr, "usage: reliefd [--config FILE] [--routes]\n"
                    "Serves the ReliefStock API and web UI.  Settings: see docs/operations.md.\n"
                    "--routes prints the route table (METHOD PATH ROLES FLAGS) and exits.\n");
}

/* The route table as text, so tests can hold the OpenAPI file against it. */
static void print_routes(void)
{
    static const enum role order[] = {ROLE_WAREHOUSE, ROLE_TOWN_OFFICIAL, ROLE_CITY_AUDITOR,
                                      ROLE_ADMIN};
    for (size_t i = 0; i < nroutes; i++) {
        const struct route *r = &routes[i];
        const char *sep = "";
        printf("%s %s ", r->method, r->pattern);
        for (size_t k = 0; k < 4; k++)
            if (r->roles & order[k]) {
                printf("%s%s", sep, role_name(order[k]));
                sep = ",";
            }
        sep = " ";
        if (!r->flags)
            printf(" -");
        if (r->flags & R_PUBLIC) {
            printf("%spublic", sep);
            sep = ",";
        }
        if (r->flags & R_BODY) {
            printf("%sbody", sep);
            sep = ",";
        }
        if (r->flags & R_IDEM_REQUIRED) {
            printf("%sidem_required", sep);
            sep = ",";
        }
        if (r->flags & R_NO_IDEM)
            printf("%sno_idem", sep);
        printf("\n");
    }
}

int main(int argc, char **argv)
{
    const char *cfg_path = NULL;
    struct config cfg;
    struct app_err err;
    struct app app;
    struct http_server *srv;
    sigset_t set;
    int sig;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            cfg_path = argv[++i];
        } else if (strcmp(argv[i], "--routes") == 0) {
            print_routes();
            return 0;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage();
            return 0;
        } else {
            usage();
            return 2;
        }
    }
    if (config_load(&cfg, cfg_path, &err) != 0) {
        fprintf(stderr, "reliefd: %s\n", err.msg);
        return 2;
    }
    log_level = cfg.log_level;

    /* Block the stop signals in every thread; main waits for them below. */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    json_object_seed(0);
    if (db_library_init() != 0) {
        fprintf(stderr, "reliefd: cannot initialise the MariaDB client library\n");
        return 3;
    }
    app.cfg = &cfg;
    app.pool = db_pool_new(&cfg, &err);
    if (!app.pool) {
        fprintf(stderr, "reliefd: %s\n", err.msg);
        return 3;
    }
    /* Fail at start rather than on the first request if the database is not there. */
    struct db_conn *probe = db_pool_acquire(app.pool, &err);
    if (!probe) {
        LOG_ERROR("start database=%s error=\"%s\"", cfg.db_name, err.msg);
        db_pool_free(app.pool);
        return 3;
    }
    db_pool_release(app.pool, probe);

    /* Bind before any thread starts, so a port 0 (tests) is known and the
     * label URLs built from public_base carry the real one. */
    int bound = 0;
    app.listen_fd = http_listen(cfg.http_bind, cfg.http_port, &bound, &err);
    if (app.listen_fd < 0) {
        LOG_ERROR("start error=\"%s\"", err.msg);
        db_pool_free(app.pool);
        return 1;
    }
    cfg.http_port = bound;
    config_derive_public_base(&cfg);
    srv = http_start(&app, &err);
    if (!srv) {
        LOG_ERROR("start error=\"%s\"", err.msg);
        db_pool_free(app.pool);
        return 1;
    }
    LOG_INFO("listening addr=%s port=%d threads=%d db=%s settings=%s", cfg.http_bind,
             http_port(srv), cfg.http_threads, cfg.db_name,
             cfg.source_path[0] ? cfg.source_path : "(environment)");

    while (sigwait(&set, &sig) != 0)
        ;
    LOG_INFO("stopping signal=%d", sig);
    http_stop(srv);
    labels_cleanup(); /* font caches, so leak checkers see a clean exit */
    db_pool_free(app.pool);
    db_library_end();
    LOG_INFO("stopped");
    return 0;
}
