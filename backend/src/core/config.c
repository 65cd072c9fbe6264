#include "config.h"

#include "log.h"
#include "util.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef RELIEF_SOURCE_DIR
#define RELIEF_SOURCE_DIR "."
#endif

enum ctype { C_STR, C_INT };

/* The table is the documentation's checklist: one row per key. */
static const struct {
    const char *key;
    enum ctype type;
    size_t off;
    size_t size; /* string capacity */
    int min, max;
} keys[] = {
#define S(k, f)                                                                                    \
    {                                                                                              \
        k, C_STR, offsetof(struct config, f), sizeof(((struct config *)0)->f), 0, 0                \
    }
#define I(k, f, lo, hi)                                                                            \
    {                                                                                              \
        k, C_INT, offsetof(struct config, f), 0, lo, hi                                            \
    }
    S("RELIEF_DB_HOST", db_host),
    I("RELIEF_DB_PORT", db_port, 1, 65535),
    S("RELIEF_DB_SOCKET", db_socket),
    S("RELIEF_DB_NAME", db_name),
    S("RELIEF_DB_USER", db_user),
    S("RELIEF_DB_PASSWORD", db_password),
    S("RELIEF_DB_ADMIN_USER", db_admin_user),
    S("RELIEF_DB_ADMIN_PASSWORD", db_admin_password),
    I("RELIEF_DB_POOL", db_pool_size, 1, 512),
    I("RELIEF_DB_ACQUIRE_TIMEOUT_MS", db_acquire_timeout_ms, 10, 600000),
    S("RELIEF_DB_NODES", db_nodes),
    S("RELIEF_HTTP_BIND", http_bind),
    I("RELIEF_HTTP_PORT", http_port, 0, 65535),
    I("RELIEF_HTTP_THREADS", http_threads, 1, 256),
    S("RELIEF_HTTP_THREAD_MODEL", http_thread_model),
    I("RELIEF_HTTP_MAX_BODY", http_max_body, 1024, 64 << 20),
    I("RELIEF_HTTP_CONN_TIMEOUT", http_conn_timeout, 1, 3600),
    S("RELIEF_PUBLIC_BASE", public_base),
    S("RELIEF_TLS_CERT", tls_cert),
    S("RELIEF_TLS_KEY", tls_key),
    I("RELIEF_COOKIE_SECURE", cookie_secure, 0, 1),
    S("RELIEF_MIGRATIONS_DIR", migrations_dir),
    S("RELIEF_SEED_DIR", seed_dir),
    S("RELIEF_WEBUI_DIR", webui_dir),
    I("RELIEF_SESSION_TTL", session_ttl_s, 60, 30 * 86400),
    I("RELIEF_COUNT_RECOUNT_PCT", count_recount_pct, 0, 100),
    I("RELIEF_COUNT_RECOUNT_ABS", count_recount_abs, 0, 1000000000),
    I("RELIEF_LOG_LEVEL", log_level, 0, 3),
#undef S
#undef I
};

static void config_defaults(struct config *c)
{
    memset(c, 0, sizeof(*c));
    str_copy(c->db_host, sizeof(c->db_host), "127.0.0.1");
    c->db_port = 3306;
    str_copy(c->db_name, sizeof(c->db_name), "reliefstock");
    str_copy(c->db_user, sizeof(c->db_user), "reliefd");
    str_copy(c->db_admin_user, sizeof(c->db_admin_user), "root");
    c->db_pool_size = 0; /* 0: derived from http_threads below */
    c->db_acquire_timeout_ms = 5000;
    str_copy(c->http_bind, sizeof(c->http_bind), "127.0.0.1");
    c->http_port = 8080;
    /* A worker thread holds its request's database connection until the
     * answer is made, so the threads bound how many requests wait on the
     * database at once: 32 lets 32 clients' commits share one flush (group
     * commit) instead of queueing behind 8.  Idle threads cost a stack each
     * (scripts/bench: VmHWM well under 100 MB under load). */
    c->http_threads = 32;
    str_copy(c->http_thread_model, sizeof(c->http_thread_model), "pool");
    c->http_max_body = 1 << 20;
    c->http_conn_timeout = 30;
    c->cookie_secure = -1; /* -1: derived from the TLS settings below */
    str_copy(c->migrations_dir, sizeof(c->migrations_dir), RELIEF_SOURCE_DIR "/db/migrations");
    str_copy(c->seed_dir, sizeof(c->seed_dir), RELIEF_SOURCE_DIR "/db/seed");
    str_copy(c->webui_dir, sizeof(c->webui_dir), RELIEF_SOURCE_DIR "/webui");
    c->session_ttl_s = 8 * 3600;
    c->count_recount_pct = 5;
    c->count_recount_abs = 10;
    c->log_level = LOG_LVL_INFO;
}

int config_set(struct config *cfg, const char *key, const char *value, struct app_err *err)
{
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (strcmp(keys[i].key, key) != 0)
            continue;
        char *field = (char *)cfg + keys[i].off;
        if (keys[i].type == C_STR) {
            if (str_copy(field, keys[i].size, value) != 0)
                return err_set(err, 400, "bad_setting", "%s is too long", key);
            return 0;
        }
        int64_t v;
        if (strcmp(key, "RELIEF_LOG_LEVEL") == 0 && log_level_parse(value) >= 0)
            v = log_level_parse(value);
        else if (parse_int64(value, &v) != 0 || v < keys[i].min || v > keys[i].max)
            return err_set(err, 400, "bad_setting", "%s must be an integer in %d..%d", key,
                           keys[i].min, keys[i].max);
        *(int *)field = (int)v;
        return 0;
    }
    return err_set(err, 400, "bad_setting", "unknown setting %s", key);
}

static char *trim(char *s)
{
    char *e;
    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
        *--e = '\0';
    return s;
}

static int config_read_file(struct config *cfg, const char *path, struct app_err *err)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    int lineno = 0;

    if (!f)
        return err_set(err, 400, "bad_setting", "cannot open settings file %s", path);
    while (fgets(line, sizeof(line), f)) {
        char *s = trim(line), *eq;
        lineno++;
        if (*s == '\0' || *s == '#')
            continue;
        eq = strchr(s, '=');
        if (!eq) {
            fclose(f);
            return err_set(err, 400, "bad_setting", "%s:%d: expected KEY=VALUE", path, lineno);
        }
        *eq = '\0';
        if (config_set(cfg, trim(s), trim(eq + 1), err) != 0) {
            char m[sizeof(err->msg) + 600];
            snprintf(m, sizeof(m), "%s:%d: %s", path, lineno, err->msg);
            str_copy(err->msg, sizeof(err->msg), m); /* truncation of a long path is fine */
            fclose(f);
            return -1;
        }
    }
    fclose(f);
    str_copy(cfg->source_path, sizeof(cfg->source_path), path);
    return 0;
}

int config_load(struct config *cfg, const char *path, struct app_err *err)
{
    config_defaults(cfg);
    if (!path || !*path)
        path = getenv("RELIEF_CONFIG");
    if ((!path || !*path) && access("var/reliefstock.conf", R_OK) == 0)
        path = "var/reliefstock.conf";
    if (path && *path && config_read_file(cfg, path, err) != 0)
        return -1;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const char *v = getenv(keys[i].key);
        if (v && config_set(cfg, keys[i].key, v, err) != 0)
            return -1;
    }
    if (cfg->db_pool_size == 0)
        cfg->db_pool_size = cfg->http_threads * 2;
    if (strcmp(cfg->http_thread_model, "pool") != 0 &&
        strcmp(cfg->http_thread_model, "per-connection") != 0)
        return err_set(err, 400, "bad_setting",
                       "RELIEF_HTTP_THREAD_MODEL must be pool or per-connection");
    /* Only a TLS server may promise the browser a Secure cookie by default;
     * a TLS front end (a proxy) sets RELIEF_COOKIE_SECURE=1 itself.  Whether
     * the two TLS files are both given is http_start's check: reliefctl
     * reads the same settings and needs neither. */
    int tls = cfg->tls_cert[0] && cfg->tls_key[0];
    if (cfg->cookie_secure < 0)
        cfg->cookie_secure = tls;
    cfg->public_base_derived = !cfg->public_base[0];
    config_derive_public_base(cfg);
    return 0;
}

void config_derive_public_base(struct config *cfg)
{
    int tls = cfg->tls_cert[0] && cfg->tls_key[0];
    if (cfg->public_base_derived)
        snprintf(cfg->public_base, sizeof(cfg->public_base), "%s://%s:%d", tls ? "https" : "http",
                 cfg->http_bind, cfg->http_port);
}
