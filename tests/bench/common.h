/*
 * common.h -- shared by the ceiling programs of scripts/bench: connecting
 * with the same settings reliefd reads (RELIEF_CONFIG), the same session
 * settings db.c sets, and a latency histogram.  Header-only on purpose: each
 * tool is one file plus this.
 */
#ifndef RELIEF_BENCH_COMMON_H
#define RELIEF_BENCH_COMMON_H

#include "core/config.h"

#include <mysql.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A connection as reliefd's pool opens one (store/db.c): same transport
 * (the socket when configured), same account, same session settings. */
static inline MYSQL *bench_connect(const struct config *cfg)
{
    MYSQL *m = mysql_init(NULL);
    const char *init = "SET SESSION sql_mode='STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,"
                       "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION', time_zone='+00:00', "
                       "tx_isolation='READ-COMMITTED'";
    if (!m)
        return NULL;
    mysql_optionsv(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    mysql_optionsv(m, MYSQL_INIT_COMMAND, init);
    if (!mysql_real_connect(m, cfg->db_socket[0] ? NULL : cfg->db_host, cfg->db_user,
                            cfg->db_password, cfg->db_name, (unsigned)cfg->db_port,
                            cfg->db_socket[0] ? cfg->db_socket : NULL, CLIENT_FOUND_ROWS)) {
        fprintf(stderr, "connect: %s\n", mysql_error(m));
        mysql_close(m);
        return NULL;
    }
    return m;
}

static inline MYSQL_STMT *bench_prepare(MYSQL *m, const char *sql)
{
    MYSQL_STMT *st = mysql_stmt_init(m);
    if (st && mysql_stmt_prepare(st, sql, strlen(sql)) != 0) {
        fprintf(stderr, "prepare: %s\n  %s\n", mysql_stmt_error(st), sql);
        mysql_stmt_close(st);
        return NULL;
    }
    return st;
}

/* Latencies in 10-microsecond buckets up to 10 s; enough for p50/p99. */
#define LAT_BUCKETS 1000000
struct lat {
    uint32_t *b;
    uint64_t n;
};

static inline void lat_add(struct lat *l, double seconds)
{
    long i = (long)(seconds * 1e5);
    if (i < 0)
        i = 0;
    if (i >= LAT_BUCKETS)
        i = LAT_BUCKETS - 1;
    l->b[i]++;
    l->n++;
}

static inline double lat_pct(const struct lat *l, double p)
{
    uint64_t want = (uint64_t)((double)l->n * p), seen = 0;
    for (long i = 0; i < LAT_BUCKETS; i++) {
        seen += l->b[i];
        if (seen > want)
            return (double)i / 1e5 * 1e3; /* ms */
    }
    return 0;
}

static inline int bench_config(struct config *cfg)
{
    struct app_err err;
    memset(&err, 0, sizeof(err));
    if (config_load(cfg, NULL, &err) != 0) {
        fprintf(stderr, "settings: %s\n", err.msg);
        return -1;
    }
    return 0;
}

#endif
