/*
 * common.h -- shared by the ceiling programs of scripts/bench: connecting
 * with the settings reliefd reads (RELIEF_CONFIG) and the session settings
 * db.c sets.  The thread and timing harness is bench_harness.c.
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
