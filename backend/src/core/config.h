/*
 * config.h -- settings shared by reliefd and reliefctl.
 *
 * Loaded once at start-up and read-only afterwards.  Sources, later ones
 * winning: built-in defaults, the settings file (KEY=VALUE lines, '#'
 * comments), then the environment.  The file is the one named by --config,
 * else $RELIEF_CONFIG, else ./var/reliefstock.conf when it exists -- the file
 * scripts/demo writes, so reliefctl finds the demo database without options.
 * Every key is documented in docs/operations.md.
 */
#ifndef RELIEF_CONFIG_H
#define RELIEF_CONFIG_H

#include "err.h"

struct config {
    char db_host[256];
    int db_port;
    char db_socket[512]; /* preferred over host/port when set */
    char db_name[65];
    char db_user[81]; /* the application account: no UPDATE/DELETE on the ledger */
    char db_password[129];
    char db_admin_user[81]; /* used by `reliefctl migrate` only (DDL, grants) */
    char db_admin_password[129];
    int db_pool_size;
    int db_acquire_timeout_ms;
    /* "host:port,host:port,...": the nodes of a cluster (Galera), tried in
     * turn; when set it replaces db_socket/db_host/db_port for reliefd's
     * pool, which moves to the next node when one stops answering. */
    char db_nodes[1024];

    char http_bind[64];
    int http_port;
    int http_threads;
    char http_thread_model[16]; /* "pool" or "per-connection" (RELIEF_HTTP_THREAD_MODEL) */
    int http_max_body;     /* bytes */
    int http_conn_timeout; /* seconds */
    char public_base[256];
    int public_base_derived;
        /* 1: public_base was made from bind/port, not given */ /* base URL printed into labels,
                                                                   e.g. http://127.0.0.1:8080 */
    char tls_cert[512]; /* PEM certificate file; with tls_key: serve HTTPS */
    char tls_key[512];  /* its private key (PEM, unencrypted) */
    int cookie_secure;  /* 1: the session cookie gets "Secure" (default: 1 with TLS) */

    char migrations_dir[512];
    char seed_dir[512];
    char webui_dir[512];

    int session_ttl_s;
    int count_recount_pct; /* a stocktake difference above this % asks for a recount */
    int count_recount_abs; /* ... or above this many base units */
    int log_level;
    char source_path[512]; /* the settings file actually read, or "" */
};

/* Defaults, then `path` (or the default lookup when NULL), then environment. */
int config_load(struct config *cfg, const char *path, struct app_err *err);
/* (Re)make public_base from the TLS settings, bind address and port, unless
 * it was given; reliefd calls it again once a port 0 has been bound. */
void config_derive_public_base(struct config *cfg);
/* Apply one KEY=VALUE setting; -1 with err on an unknown key or bad value. */
int config_set(struct config *cfg, const char *key, const char *value, struct app_err *err);

#endif
