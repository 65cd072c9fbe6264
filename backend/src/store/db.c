#include "db.h"

#include "../core/log.h"
#include "../core/util.h"

#include <mysql.h>
#include <mysqld_error.h>
#include <errmsg.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Prepared statements are kept per connection and reused: preparing costs a
 * round trip and a parse on the server, and a request runs the same dozen
 * statements every time.  Least recently used ones are closed. */
#define STMT_CACHE_SIZE 96
struct stmt_slot {
    uint64_t hash;
    char *sql;
    MYSQL_STMT *st;
    uint64_t used;
};

struct db_conn {
    MYSQL *m;
    struct stmt_slot cache[STMT_CACHE_SIZE];
    uint64_t tick;
    int broken; /* lost or unusable: close instead of returning to the pool */
    int in_txn;
    unsigned last_errno;
    uint64_t affected;
    uint64_t insert_id;
    time_t last_used;
    int node; /* index in the pool's node list (RELIEF_DB_NODES), else 0 */
    struct db_conn *next_free;
};

#define DB_MAX_NODES 16
struct db_node {
    char host[256];
    int port;
};

struct db_pool {
    const struct config *cfg;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int size;
    int open; /* connections counted against size (free or lent) */
    struct db_conn *free_list;
    int nnodes; /* 0: the single server of db_socket / db_host:db_port */
    int current; /* the node new connections go to first */
    struct db_node nodes[DB_MAX_NODES];
};

/* ---------------------------------------------------------------- params */

static struct db_param *dbp_next(struct db_params *ps)
{
    if (ps->n >= DB_MAX_PARAMS) {
        ps->overflow = 1;
        return NULL;
    }
    return &ps->p[ps->n++];
}

void dbp_int(struct db_params *ps, long long v)
{
    struct db_param *p = dbp_next(ps);
    if (p) {
        p->type = 'l';
        p->i = v;
    }
}

void dbp_str(struct db_params *ps, const char *s)
{
    struct db_param *p = dbp_next(ps);
    if (p) {
        p->type = s ? 's' : 'n';
        p->s = s;
    }
}

void dbp_qty(struct db_params *ps, int64_t milli)
{
    struct db_param *p = dbp_next(ps);
    if (p) {
        p->type = 'q';
        p->i = milli;
    }
}

void dbp_null(struct db_params *ps)
{
    struct db_param *p = dbp_next(ps);
    if (p)
        p->type = 'n';
}

static int params_from_va(struct db_params *ps, const char *fmt, va_list ap)
{
    memset(ps, 0, sizeof(*ps));
    for (const char *f = fmt ? fmt : ""; *f; f++) {
        switch (*f) {
        case 'l':
            dbp_int(ps, va_arg(ap, long long));
            break;
        case 's':
            dbp_str(ps, va_arg(ap, const char *));
            break;
        case 'q':
            dbp_qty(ps, va_arg(ap, int64_t));
            break;
        case 'L': {
            const long long *v = va_arg(ap, const long long *);
            if (v)
                dbp_int(ps, *v);
            else
                dbp_null(ps);
            break;
        }
        case 'n':
            dbp_null(ps);
            break;
        default:
            return -1;
        }
    }
    return ps->overflow ? -1 : 0;
}

/* ---------------------------------------------------------------- errors */

static int db_fail(struct db_conn *c, unsigned no, const char *what, const char *detail,
                   struct app_err *err)
{
    c->last_errno = no;
    switch (no) {
    case ER_DUP_ENTRY:
    case ER_DUP_ENTRY_WITH_KEY_NAME:
        return err_set(err, 409, "conflict", "a record with the same key already exists");
    case ER_ROW_IS_REFERENCED_2:
    case ER_ROW_IS_REFERENCED:
        return err_set(err, 409, "conflict", "the record is still referenced");
    case ER_NO_REFERENCED_ROW_2:
    case ER_NO_REFERENCED_ROW:
        return err_set(err, 422, "unknown_reference", "a referenced record does not exist");
    case ER_DATA_TOO_LONG: {
        /* "Data too long for column 'reason' at row 1": name the field. */
        char col[64] = "";
        const char *q = strchr(detail, '\'');
        const char *e = q ? strchr(q + 1, '\'') : NULL;
        if (e && (size_t)(e - q - 1) < sizeof(col)) {
            memcpy(col, q + 1, (size_t)(e - q - 1));
            col[e - q - 1] = '\0';
        }
        return err_field(err, 400, "bad_value", col, "%s is longer than its field allows",
                         col[0] ? col : "a text");
    }
    case 4025: /* ER_CONSTRAINT_FAILED: a CHECK constraint */
        LOG_INFO("db check_failed %s: %s", what, detail);
        return err_set(err, 422, "constraint_failed", "the change breaks a rule of the data");
    case ER_SIGNAL_EXCEPTION:
        return err_set(err, 409, "refused", "%s", detail);
    case ER_LOCK_DEADLOCK:
    case ER_LOCK_WAIT_TIMEOUT:
        err_set(err, 503, "busy", "the database was busy; please retry");
        if (err)
            err->retryable = 1;
        return -1;
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST:
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case ER_CONNECTION_KILLED:
    case ER_UNKNOWN_COM_ERROR: /* Galera: "WSREP has not yet prepared node" (no quorum) */
    case ER_SERVER_SHUTDOWN:
    /* 1290, "running with the --read-only option": a replica, or a primary
     * just demoted.  Not this request's fault: the node cannot take writes,
     * so it is dropped like a dead one and the retry goes to the next node. */
    case ER_OPTION_PREVENTS_STATEMENT:
        c->broken = 1;
        LOG_WARN("db lost %s: %u %s", what, no, detail);
        return err_set(err, 503, "db_unavailable", "the database is not reachable; retry");
    default:
        LOG_ERROR("db error %s: %u %s", what, no, detail);
        return err_set(err, 500, "internal", "internal database error");
    }
}

/* ---------------------------------------------------------------- connect */

int db_library_init(void)
{
    return mysql_library_init(0, NULL, NULL);
}

void db_library_end(void)
{
    mysql_library_end();
}

/* One connection to host:port, or to the socket when sock is set. */
static struct db_conn *connect_at(const struct config *cfg, int admin, const char *dbname,
                                  const char *host, int port, const char *sock,
                                  struct app_err *err)
{
    struct db_conn *c = calloc(1, sizeof(*c));
    /* A cluster fails over by connecting elsewhere: a dead node must not
     * keep a request waiting long (a killed one refuses at once anyway). */
    unsigned int timeout = cfg->db_nodes[0] ? 2 : 10, rw_timeout = 60;
    /* wsrep_sync_wait=1: in a Galera cluster a read waits until this node
     * has applied every write committed anywhere before it, so a session
     * made through one reliefd is seen at once through the other. */
    const char *init = cfg->db_nodes[0]
                           ? "SET SESSION sql_mode='STRICT_ALL_TABLES,NO_ZERO_DATE,"
                             "NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION',"
                             " time_zone='+00:00', tx_isolation='READ-COMMITTED',"
                             " wsrep_sync_wait=1"
                           : "SET SESSION sql_mode='STRICT_ALL_TABLES,NO_ZERO_DATE,"
                             "NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION',"
                             " time_zone='+00:00', tx_isolation='READ-COMMITTED'";

    if (!c || !(c->m = mysql_init(NULL))) {
        free(c);
        err_set(err, 500, "internal", "out of memory");
        return NULL;
    }
    mysql_optionsv(c->m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    mysql_optionsv(c->m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    mysql_optionsv(c->m, MYSQL_OPT_READ_TIMEOUT, &rw_timeout);
    mysql_optionsv(c->m, MYSQL_OPT_WRITE_TIMEOUT, &rw_timeout);
    mysql_optionsv(c->m, MYSQL_INIT_COMMAND, init);
    if (!mysql_real_connect(c->m, sock ? NULL : host,
                            admin ? cfg->db_admin_user : cfg->db_user,
                            admin ? cfg->db_admin_password : cfg->db_password, dbname,
                            (unsigned)port, sock, CLIENT_MULTI_STATEMENTS | CLIENT_FOUND_ROWS)) {
        err_set(err, 503, "db_unavailable", "cannot connect to the database: %s",
                mysql_error(c->m));
        mysql_close(c->m);
        free(c);
        return NULL;
    }
    c->last_used = time(NULL);
    return c;
}

/* "host:port,host:port" into nodes[]; the count, or -1 when malformed. */
static int parse_nodes(const char *list, struct db_node *nodes, int max)
{
    int n = 0;
    const char *p = list;

    while (*p) {
        const char *end = strchr(p, ','), *colon;
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char item[300];
        int64_t port;

        if (len == 0 || len >= sizeof(item) || n >= max)
            return -1;
        memcpy(item, p, len);
        item[len] = '\0';
        colon = strrchr(item, ':');
        if (!colon || colon == item || parse_int64(colon + 1, &port) != 0 || port < 1 ||
            port > 65535 || (size_t)(colon - item) >= sizeof(nodes[n].host))
            return -1;
        memcpy(nodes[n].host, item, (size_t)(colon - item));
        nodes[n].host[colon - item] = '\0';
        nodes[n].port = (int)port;
        n++;
        if (end && end[1] == '\0')
            return -1; /* a trailing comma: an empty last entry */
        p = end ? end + 1 : p + len;
    }
    return n;
}

struct db_conn *db_connect(const struct config *cfg, int admin, const char *dbname,
                           struct app_err *err)
{
    struct db_node nodes[DB_MAX_NODES];
    int n;

    if (!cfg->db_nodes[0])
        return connect_at(cfg, admin, dbname, cfg->db_host, cfg->db_port,
                          cfg->db_socket[0] ? cfg->db_socket : NULL, err);
    /* reliefctl on a cluster: the first node that answers. */
    n = parse_nodes(cfg->db_nodes, nodes, DB_MAX_NODES);
    if (n <= 0) {
        err_set(err, 400, "bad_setting", "RELIEF_DB_NODES must be host:port[,host:port...]");
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        struct db_conn *c = connect_at(cfg, admin, dbname, nodes[i].host, nodes[i].port, NULL, err);
        if (c) {
            c->node = i;
            return c;
        }
    }
    return NULL;
}

/* With primary/replica replication (scripts/replica) the node list holds
 * replicas that answer but refuse writes (read_only): reliefd must write to
 * the primary only, and reading from a replica could miss its own last
 * write.  0: the node takes writes; 1: it is read-only; -1: it refuses the
 * question itself (a Galera node without quorum: 1047). */
static int node_read_only(struct db_conn *c)
{
    MYSQL_RES *res;
    MYSQL_ROW row;
    int ro = 1;

    if (mysql_real_query(c->m, "SELECT @@global.read_only", 25) != 0 ||
        !(res = mysql_store_result(c->m)))
        return -1;
    if ((row = mysql_fetch_row(res)) && row[0])
        ro = strcmp(row[0], "0") != 0;
    mysql_free_result(res);
    return ro;
}

/* A pool connection: to the current node, else to each next one in turn;
 * the first that answers becomes current, so the others follow it. */
static struct db_conn *pool_connect(struct db_pool *p, struct app_err *err)
{
    int start;

    if (p->nnodes == 0)
        return db_connect(p->cfg, 0, p->cfg->db_name, err);
    pthread_mutex_lock(&p->mu);
    start = p->current;
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nnodes; i++) {
        int n = (start + i) % p->nnodes;
        struct db_conn *c = connect_at(p->cfg, 0, p->cfg->db_name, p->nodes[n].host,
                                       p->nodes[n].port, NULL, err);
        if (!c) {
            LOG_WARN("db node %s:%d does not answer: %s", p->nodes[n].host, p->nodes[n].port,
                     err ? err->msg : "");
            continue;
        }
        c->node = n;
        int ro = node_read_only(c);
        if (ro) {
            LOG_WARN("db node %s:%d %s: skipped", p->nodes[n].host, p->nodes[n].port,
                     ro > 0 ? "is read-only (a replica)" : "refuses queries");
            err_set(err, 503, "db_unavailable", "no database node takes writes; retry");
            db_close(c);
            continue;
        }
        pthread_mutex_lock(&p->mu);
        if (p->current != n)
            LOG_WARN("db now on node %s:%d", p->nodes[n].host, p->nodes[n].port);
        p->current = n;
        pthread_mutex_unlock(&p->mu);
        return c;
    }
    return NULL;
}

static void stmt_slot_clear(struct stmt_slot *sl)
{
    if (sl->st)
        mysql_stmt_close(sl->st);
    free(sl->sql);
    memset(sl, 0, sizeof(*sl));
}

void db_close(struct db_conn *c)
{
    if (!c)
        return;
    for (int i = 0; i < STMT_CACHE_SIZE; i++)
        stmt_slot_clear(&c->cache[i]);
    mysql_close(c->m);
    free(c);
}

/* ---------------------------------------------------------------- pool */

struct db_pool *db_pool_new(const struct config *cfg, struct app_err *err)
{
    struct db_pool *p = calloc(1, sizeof(*p));
    if (!p) {
        err_set(err, 500, "internal", "out of memory");
        return NULL;
    }
    p->cfg = cfg;
    p->size = cfg->db_pool_size;
    if (cfg->db_nodes[0]) {
        p->nnodes = parse_nodes(cfg->db_nodes, p->nodes, DB_MAX_NODES);
        if (p->nnodes <= 0) {
            free(p);
            err_set(err, 400, "bad_setting",
                    "RELIEF_DB_NODES must be host:port[,host:port...] (at most %d)",
                    DB_MAX_NODES);
            return NULL;
        }
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    return p;
}

void db_pool_free(struct db_pool *p)
{
    if (!p)
        return;
    while (p->free_list) {
        struct db_conn *c = p->free_list;
        p->free_list = c->next_free;
        db_close(c);
    }
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p);
}

struct db_conn *db_pool_acquire(struct db_pool *p, struct app_err *err)
{
    struct timespec deadline;
    struct db_conn *c = NULL;

    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += p->cfg->db_acquire_timeout_ms / 1000;
    deadline.tv_nsec += (long)(p->cfg->db_acquire_timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&p->mu);
    for (;;) {
        if (p->free_list) {
            c = p->free_list;
            p->free_list = c->next_free;
            break;
        }
        if (p->open < p->size) {
            p->open++;
            break; /* connect outside the lock */
        }
        if (pthread_cond_timedwait(&p->cv, &p->mu, &deadline) != 0) {
            pthread_mutex_unlock(&p->mu);
            err_set(err, 503, "db_busy", "all database connections are busy; retry");
            return NULL;
        }
    }
    pthread_mutex_unlock(&p->mu);

    /* An idle connection may have been closed by the server (wait_timeout, restart). */
    if (c && time(NULL) - c->last_used > 30 && mysql_ping(c->m) != 0) {
        db_close(c);
        c = NULL;
    }
    if (!c) {
        c = pool_connect(p, err);
        if (!c) {
            pthread_mutex_lock(&p->mu);
            p->open--;
            pthread_cond_signal(&p->cv);
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
    }
    c->last_errno = 0;
    return c;
}

void db_pool_release(struct db_pool *p, struct db_conn *c)
{
    struct db_conn *stale = NULL;

    if (!c)
        return;
    if (c->in_txn)
        db_rollback(c);
    c->last_used = time(NULL);
    pthread_mutex_lock(&p->mu);
    if (c->broken) {
        p->open--;
        if (p->nnodes > 0) {
            /* Its node may be gone: the idle connections to it would each
             * fail one request before being dropped, so drop them now, and
             * send new connections to the next node first. */
            struct db_conn **pp = &p->free_list;
            while (*pp) {
                if ((*pp)->node == c->node) {
                    struct db_conn *x = *pp;
                    *pp = x->next_free;
                    x->next_free = stale;
                    stale = x;
                    p->open--;
                } else {
                    pp = &(*pp)->next_free;
                }
            }
            if (p->current == c->node)
                p->current = (c->node + 1) % p->nnodes;
        }
        pthread_mutex_unlock(&p->mu);
        db_close(c);
        while (stale) {
            struct db_conn *x = stale;
            stale = x->next_free;
            db_close(x);
        }
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(&p->cv);
    } else {
        c->next_free = p->free_list;
        p->free_list = c;
        pthread_cond_signal(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
}

/* ---------------------------------------------------------------- txn */

int db_begin(struct db_conn *c, struct app_err *err)
{
    if (mysql_real_query(c->m, "START TRANSACTION", 17) != 0)
        return db_fail(c, mysql_errno(c->m), "begin", mysql_error(c->m), err);
    c->in_txn = 1;
    return 0;
}

int db_commit(struct db_conn *c, struct app_err *err)
{
    c->in_txn = 0;
    if (mysql_commit(c->m) != 0) {
        /* The outcome of a failed COMMIT is unknown to us; never reuse the session. */
        unsigned no = mysql_errno(c->m);
        db_fail(c, no, "commit", mysql_error(c->m), err);
        if (no != ER_LOCK_DEADLOCK)
            c->broken = 1;
        return -1;
    }
    return 0;
}

void db_rollback(struct db_conn *c)
{
    c->in_txn = 0;
    if (mysql_rollback(c->m) != 0)
        c->broken = 1;
}

int db_in_txn(const struct db_conn *c)
{
    return c->in_txn;
}

int db_broken(const struct db_conn *c)
{
    return c->broken;
}

/* ---------------------------------------------------------------- statements */

static void res_free_partial(struct db_res *r)
{
    if (!r)
        return;
    if (r->cells)
        for (long i = 0; i < (long)r->nrows * r->ncols; i++)
            free(r->cells[i]);
    if (r->names)
        for (int i = 0; i < r->ncols; i++)
            free(r->names[i]);
    free(r->cells);
    free(r->names);
    free(r->types);
    free(r);
}

void db_res_free(struct db_res *r)
{
    res_free_partial(r);
}

static enum db_type map_type(enum enum_field_types t)
{
    switch (t) {
    case MYSQL_TYPE_TINY:
    case MYSQL_TYPE_SHORT:
    case MYSQL_TYPE_LONG:
    case MYSQL_TYPE_INT24:
    case MYSQL_TYPE_LONGLONG:
    case MYSQL_TYPE_YEAR:
        return DB_T_INT;
    case MYSQL_TYPE_DECIMAL:
    case MYSQL_TYPE_NEWDECIMAL:
        return DB_T_DEC;
    case MYSQL_TYPE_FLOAT:
    case MYSQL_TYPE_DOUBLE:
        return DB_T_FLOAT;
    case MYSQL_TYPE_DATE:
    case MYSQL_TYPE_NEWDATE:
        return DB_T_DATE;
    case MYSQL_TYPE_DATETIME:
    case MYSQL_TYPE_TIMESTAMP:
        return DB_T_DATETIME;
    case MYSQL_TYPE_BLOB:
    case MYSQL_TYPE_TINY_BLOB:
    case MYSQL_TYPE_MEDIUM_BLOB:
    case MYSQL_TYPE_LONG_BLOB:
        return DB_T_BLOB;
    default:
        return DB_T_STR;
    }
}

static uint64_t sql_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* The cached statement for sql, or a newly prepared one put in the cache.
 * NULL with err on failure; *slot is the cache slot (or NULL if uncached). */
static MYSQL_STMT *stmt_get(struct db_conn *c, const char *sql, struct stmt_slot **slot,
                            struct app_err *err)
{
    uint64_t h = sql_hash(sql);
    struct stmt_slot *victim = &c->cache[0];
    MYSQL_STMT *st;

    *slot = NULL;
    for (int i = 0; i < STMT_CACHE_SIZE; i++) {
        struct stmt_slot *sl = &c->cache[i];
        if (sl->st && sl->hash == h && strcmp(sl->sql, sql) == 0) {
            sl->used = ++c->tick;
            *slot = sl;
            return sl->st;
        }
        if (!sl->st || (victim->st && sl->used < victim->used))
            victim = sl;
    }
    st = mysql_stmt_init(c->m);
    if (!st) {
        err_set(err, 500, "internal", "out of memory");
        return NULL;
    }
    if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0) {
        db_fail(c, mysql_stmt_errno(st), "prepare", mysql_stmt_error(st), err);
        LOG_DEBUG("db prepare failed: %s", sql);
        mysql_stmt_close(st);
        return NULL;
    }
    char *copy = strdup(sql);
    if (copy) {
        stmt_slot_clear(victim);
        victim->hash = h;
        victim->sql = copy;
        victim->st = st;
        victim->used = ++c->tick;
        *slot = victim;
    }
    return st;
}

static int stmt_run(struct db_conn *c, struct db_res **out, struct app_err *err, const char *sql,
                    const struct db_params *ps)
{
    struct stmt_slot *slot = NULL;
    MYSQL_STMT *st = NULL;
    MYSQL_BIND *pb = NULL, *rb = NULL;
    MYSQL_RES *meta = NULL;
    char(*qtxt)[32] = NULL;
    unsigned long *plen = NULL, *rlen = NULL;
    my_bool *rnull = NULL, *rerr = NULL;
    char **rbuf = NULL;
    struct db_res *res = NULL;
    int rc = -1, ncols = 0, cap = 0;

    c->last_errno = 0;
    if (ps->overflow)
        return err_set(err, 500, "internal", "too many statement parameters");
    if (out)
        *out = NULL;
    st = stmt_get(c, sql, &slot, err);
    if (!st)
        return -1;
    if (mysql_stmt_param_count(st) != (unsigned long)ps->n) {
        LOG_ERROR("db param count mismatch: %lu != %d for %s", mysql_stmt_param_count(st), ps->n,
                  sql);
        err_set(err, 500, "internal", "internal statement error");
        goto out;
    }
    if (ps->n > 0) {
        pb = calloc((size_t)ps->n, sizeof(*pb));
        plen = calloc((size_t)ps->n, sizeof(*plen));
        qtxt = calloc((size_t)ps->n, sizeof(*qtxt));
        if (!pb || !plen || !qtxt) {
            err_set(err, 500, "internal", "out of memory");
            goto out;
        }
        for (int i = 0; i < ps->n; i++) {
            const struct db_param *p = &ps->p[i];
            switch (p->type) {
            case 'l':
                pb[i].buffer_type = MYSQL_TYPE_LONGLONG;
                pb[i].buffer = (void *)&p->i;
                break;
            case 's':
                pb[i].buffer_type = MYSQL_TYPE_STRING;
                pb[i].buffer = (void *)p->s;
                plen[i] = strlen(p->s);
                pb[i].buffer_length = plen[i];
                pb[i].length = &plen[i];
                break;
            case 'q':
                qty_format(p->i, qtxt[i], sizeof(qtxt[i]));
                pb[i].buffer_type = MYSQL_TYPE_NEWDECIMAL;
                pb[i].buffer = qtxt[i];
                plen[i] = strlen(qtxt[i]);
                pb[i].buffer_length = plen[i];
                pb[i].length = &plen[i];
                break;
            default:
                pb[i].buffer_type = MYSQL_TYPE_NULL;
                break;
            }
        }
        if (mysql_stmt_bind_param(st, pb) != 0) {
            db_fail(c, mysql_stmt_errno(st), "bind", mysql_stmt_error(st), err);
            goto out;
        }
    }
    {
        my_bool on = out != NULL;
        mysql_stmt_attr_set(st, STMT_ATTR_UPDATE_MAX_LENGTH, &on);
    }
    if (mysql_stmt_execute(st) != 0) {
        db_fail(c, mysql_stmt_errno(st), "execute", mysql_stmt_error(st), err);
        goto out;
    }
    c->affected = mysql_stmt_affected_rows(st);
    c->insert_id = mysql_stmt_insert_id(st);
    if (!out) {
        rc = 0;
        goto out;
    }

    meta = mysql_stmt_result_metadata(st);
    res = calloc(1, sizeof(*res));
    if (!res) {
        err_set(err, 500, "internal", "out of memory");
        goto out;
    }
    if (!meta) { /* a statement without a result set: an empty result */
        *out = res;
        res = NULL;
        rc = 0;
        goto out;
    }
    if (mysql_stmt_store_result(st) != 0) {
        db_fail(c, mysql_stmt_errno(st), "store", mysql_stmt_error(st), err);
        goto out;
    }
    ncols = (int)mysql_num_fields(meta);
    MYSQL_FIELD *fields = mysql_fetch_fields(meta);
    res->ncols = ncols;
    res->names = calloc((size_t)ncols, sizeof(char *));
    res->types = calloc((size_t)ncols, sizeof(*res->types));
    rb = calloc((size_t)ncols, sizeof(*rb));
    rlen = calloc((size_t)ncols, sizeof(*rlen));
    rnull = calloc((size_t)ncols, sizeof(*rnull));
    rerr = calloc((size_t)ncols, sizeof(*rerr));
    rbuf = calloc((size_t)ncols, sizeof(char *));
    if (!res->names || !res->types || !rb || !rlen || !rnull || !rerr || !rbuf) {
        err_set(err, 500, "internal", "out of memory");
        goto out;
    }
    for (int i = 0; i < ncols; i++) {
        unsigned long sz = fields[i].max_length;
        if (sz < 64)
            sz = 64; /* numbers and dates report binary widths; their text fits in 64 */
        res->names[i] = strdup(fields[i].name);
        res->types[i] = map_type(fields[i].type);
        rbuf[i] = malloc(sz + 1);
        if (!res->names[i] || !rbuf[i]) {
            err_set(err, 500, "internal", "out of memory");
            goto out;
        }
        rb[i].buffer_type = MYSQL_TYPE_STRING;
        rb[i].buffer = rbuf[i];
        rb[i].buffer_length = sz + 1;
        rb[i].length = &rlen[i];
        rb[i].is_null = &rnull[i];
        rb[i].error = &rerr[i];
    }
    if (mysql_stmt_bind_result(st, rb) != 0) {
        db_fail(c, mysql_stmt_errno(st), "bind_result", mysql_stmt_error(st), err);
        goto out;
    }
    for (;;) {
        int f = mysql_stmt_fetch(st);
        if (f == MYSQL_NO_DATA)
            break;
        if (f == 1) {
            db_fail(c, mysql_stmt_errno(st), "fetch", mysql_stmt_error(st), err);
            goto out;
        }
        if (f == MYSQL_DATA_TRUNCATED) {
            LOG_ERROR("db fetch truncated for %s", sql);
            err_set(err, 500, "internal", "internal result error");
            goto out;
        }
        if (res->nrows == cap) {
            int ncap = cap ? cap * 2 : 16;
            char **cells = realloc(res->cells, sizeof(char *) * (size_t)ncap * (size_t)ncols);
            if (!cells) {
                err_set(err, 500, "internal", "out of memory");
                goto out;
            }
            res->cells = cells;
            cap = ncap;
        }
        for (int i = 0; i < ncols; i++) {
            char *cell = NULL;
            if (!rnull[i]) {
                cell = malloc(rlen[i] + 1);
                if (!cell) {
                    /* keep the result consistent for res_free_partial */
                    for (int j = i; j < ncols; j++)
                        res->cells[(long)res->nrows * ncols + j] = NULL;
                    res->nrows++;
                    err_set(err, 500, "internal", "out of memory");
                    goto out;
                }
                memcpy(cell, rbuf[i], rlen[i]);
                cell[rlen[i]] = '\0';
            }
            res->cells[(long)res->nrows * ncols + i] = cell;
        }
        res->nrows++;
    }
    *out = res;
    res = NULL;
    rc = 0;
out:
    if (rbuf)
        for (int i = 0; i < ncols; i++)
            free(rbuf[i]);
    free(rbuf);
    free(rb);
    free(rlen);
    free(rnull);
    free(rerr);
    if (meta)
        mysql_free_result(meta);
    res_free_partial(res);
    free(pb);
    free(plen);
    free(qtxt);
    if (st && slot && rc == 0) {
        mysql_stmt_free_result(st); /* ready to run again */
    } else if (st) {
        /* After a failure the statement's state is unknown: never reuse it. */
        if (slot) {
            slot->st = NULL; /* closed just below */
            stmt_slot_clear(slot);
        }
        mysql_stmt_close(st);
    }
    return rc;
}

int db_exec_p(struct db_conn *c, struct app_err *err, const char *sql, const struct db_params *ps)
{
    return stmt_run(c, NULL, err, sql, ps);
}

int db_query_p(struct db_conn *c, struct db_res **out, struct app_err *err, const char *sql,
               const struct db_params *ps)
{
    return stmt_run(c, out, err, sql, ps);
}

int db_exec(struct db_conn *c, struct app_err *err, const char *sql, const char *fmt, ...)
{
    struct db_params ps;
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = params_from_va(&ps, fmt, ap);
    va_end(ap);
    if (rc != 0)
        return err_set(err, 500, "internal", "bad statement parameters");
    return stmt_run(c, NULL, err, sql, &ps);
}

int db_query(struct db_conn *c, struct db_res **out, struct app_err *err, const char *sql,
             const char *fmt, ...)
{
    struct db_params ps;
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = params_from_va(&ps, fmt, ap);
    va_end(ap);
    if (rc != 0)
        return err_set(err, 500, "internal", "bad statement parameters");
    return stmt_run(c, out, err, sql, &ps);
}

int db_query_int(struct db_conn *c, int64_t *out, struct app_err *err, const char *sql,
                 const char *fmt, ...)
{
    struct db_params ps;
    struct db_res *r = NULL;
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = params_from_va(&ps, fmt, ap);
    va_end(ap);
    if (rc != 0)
        return err_set(err, 500, "internal", "bad statement parameters");
    if (stmt_run(c, &r, err, sql, &ps) != 0)
        return -1;
    if (r->nrows == 0) {
        db_res_free(r);
        return err_set(err, 404, "not_found", "not found");
    }
    *out = db_get_int(r, 0, 0);
    db_res_free(r);
    return 0;
}

int db_script(struct db_conn *c, const char *sql, struct app_err *err)
{
    int status;

    if (mysql_real_query(c->m, sql, strlen(sql)) != 0)
        return db_fail(c, mysql_errno(c->m), "script", mysql_error(c->m), err);
    /* Drain every result of a multi-statement text; an error stops at that statement. */
    do {
        MYSQL_RES *r = mysql_store_result(c->m);
        if (r)
            mysql_free_result(r);
        status = mysql_next_result(c->m);
        if (status > 0)
            return db_fail(c, mysql_errno(c->m), "script", mysql_error(c->m), err);
    } while (status == 0);
    return 0;
}

uint64_t db_affected(const struct db_conn *c)
{
    return c->affected;
}

uint64_t db_insert_id(const struct db_conn *c)
{
    return c->insert_id;
}

unsigned db_errno(const struct db_conn *c)
{
    return c->last_errno;
}

/* ---------------------------------------------------------------- results */

const char *db_get(const struct db_res *r, int row, int col)
{
    if (row < 0 || row >= r->nrows || col < 0 || col >= r->ncols)
        return NULL;
    return r->cells[(long)row * r->ncols + col];
}

int db_colidx(const struct db_res *r, const char *name)
{
    for (int i = 0; i < r->ncols; i++)
        if (strcmp(r->names[i], name) == 0)
            return i;
    return -1;
}

const char *db_getn(const struct db_res *r, int row, const char *name)
{
    return db_get(r, row, db_colidx(r, name));
}

int64_t db_get_int(const struct db_res *r, int row, int col)
{
    const char *s = db_get(r, row, col);
    int64_t v = 0;
    if (s && parse_int64(s, &v) != 0) {
        int64_t q;
        if (qty_parse(s, &q) == 0) /* an integer-valued DECIMAL such as SUM() */
            v = q / QTY_SCALE;
    }
    return v;
}

int64_t db_get_qty(const struct db_res *r, int row, int col)
{
    const char *s = db_get(r, row, col);
    int64_t v = 0;
    if (s && qty_parse(s, &v) != 0)
        LOG_ERROR("db unexpected quantity text '%s'", s);
    return v;
}
