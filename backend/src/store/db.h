/*
 * db.h -- the only door to MariaDB (nothing else includes <mysql.h>).
 *
 * Every statement is a server-side prepared statement with bound parameters:
 * SQL text is always a constant of the program (or fixed fragments joined by
 * the program), and user data only ever travels as a parameter.
 *
 * Results are fetched whole into a struct db_res of text cells, each with the
 * column's broad type, which is all the HTTP layer needs to render JSON and
 * all the domain code needs to read an id or a quantity.
 *
 * Errors are mapped to struct app_err (see the table in docs/architecture.md):
 * duplicate key and foreign-key failures become 409, CHECK failures 422,
 * deadlocks and lock-wait timeouts are marked retryable, a lost connection
 * becomes 503 and the connection is dropped from the pool on release.
 *
 * A connection is used by one thread at a time.  The pool hands them out.
 */
#ifndef RELIEF_DB_H
#define RELIEF_DB_H

#include <stdint.h>

#include "../core/config.h"
#include "../core/err.h"

struct db_conn;
struct db_pool;

enum db_type { DB_T_INT = 1, DB_T_DEC, DB_T_FLOAT, DB_T_STR, DB_T_DATE, DB_T_DATETIME, DB_T_BLOB };

struct db_res {
    int nrows, ncols;
    char **names; /* column names (aliases) */
    enum db_type *types;
    char **cells; /* nrows * ncols text cells; NULL for SQL NULL */
};

/* Parameters for statements whose parameter list is assembled at run time. */
#define DB_MAX_PARAMS 48
struct db_param {
    char type; /* 'l' integer, 's' string, 'q' milli quantity, 'n' NULL */
    long long i;
    const char *s;
};
struct db_params {
    int n;
    int overflow;
    struct db_param p[DB_MAX_PARAMS];
};

void dbp_int(struct db_params *ps, long long v);
void dbp_str(struct db_params *ps, const char *s); /* NULL binds SQL NULL */
void dbp_qty(struct db_params *ps, int64_t milli);
void dbp_null(struct db_params *ps);

/* Library set-up, before any thread starts, and tear-down at exit. */
int db_library_init(void);
void db_library_end(void);

/* One connection.  admin=1 uses the admin account; dbname NULL selects none. */
struct db_conn *db_connect(const struct config *cfg, int admin, const char *dbname,
                           struct app_err *err);
void db_close(struct db_conn *c);

/* Pool of cfg->db_pool_size connections, opened lazily. */
struct db_pool *db_pool_new(const struct config *cfg, struct app_err *err);
void db_pool_free(struct db_pool *p);
/* Waits up to cfg->db_acquire_timeout_ms; 503 "db_busy" when none came free. */
struct db_conn *db_pool_acquire(struct db_pool *p, struct app_err *err);
/* Rolls back an open transaction; drops a broken connection. */
void db_pool_release(struct db_pool *p, struct db_conn *c);

int db_begin(struct db_conn *c, struct app_err *err);
int db_commit(struct db_conn *c, struct app_err *err);
void db_rollback(struct db_conn *c);
int db_in_txn(const struct db_conn *c);
/* 1 when the connection was lost (or a COMMIT's outcome is unknown): the
 * pool closes it on release, and a request may run again on another one. */
int db_broken(const struct db_conn *c);

/*
 * Statements.  `fmt` has one letter per parameter:
 *   'l' long long   's' const char * (NULL -> NULL)   'q' int64_t milli quantity
 *   'L' const long long * (NULL -> NULL)   'n' a NULL (no argument)
 * db_exec is for statements without a result set; it records affected rows
 * and the insert id.  db_query returns the whole result in *out (free it).
 */
int db_exec(struct db_conn *c, struct app_err *err, const char *sql, const char *fmt, ...);
int db_query(struct db_conn *c, struct db_res **out, struct app_err *err, const char *sql,
             const char *fmt, ...);
int db_exec_p(struct db_conn *c, struct app_err *err, const char *sql, const struct db_params *ps);
int db_query_p(struct db_conn *c, struct db_res **out, struct app_err *err, const char *sql,
               const struct db_params *ps);
/* Text of a fixed statement, or of several separated by ';' (migrations only). */
int db_script(struct db_conn *c, const char *sql, struct app_err *err);

uint64_t db_affected(const struct db_conn *c);
uint64_t db_insert_id(const struct db_conn *c);
/* The MariaDB error number of the last failure on c (0 if none). */
unsigned db_errno(const struct db_conn *c);

/* Results. */
const char *db_get(const struct db_res *r, int row, int col);
int db_colidx(const struct db_res *r, const char *name); /* -1 if absent */
const char *db_getn(const struct db_res *r, int row, const char *name);
int64_t db_get_int(const struct db_res *r, int row, int col); /* 0 for NULL */
int64_t db_get_qty(const struct db_res *r, int row, int col); /* milli; 0 for NULL */
void db_res_free(struct db_res *r);

/* A single integer from a one-row, one-column query; -1 with err 404 if no row. */
int db_query_int(struct db_conn *c, int64_t *out, struct app_err *err, const char *sql,
                 const char *fmt, ...);

#endif
