/*
 * ceiling_movements.c -- the ceiling for POST /api/v1/movements in
 * scripts/bench: the same transaction reliefd runs for an issue, minus
 * everything that is not the database's work (HTTP, JSON, the session and
 * reference look-ups, the answer):
 *
 *   START TRANSACTION
 *   INSERT INTO idempotency ...                  (the request's key)
 *   UPDATE stock ... WHERE ... AND qty + ? >= 0  (the conditional balance)
 *   INSERT INTO movement ... SELECT ... FROM stock  (with balance_after)
 *   COMMIT
 *
 * with the statement texts of server.c and domain/ledger.c, prepared once
 * per connection as db.c does, from N threads each with its own connection,
 * for S seconds.  The (bin, lot) rows are the bench's own lots (lot_no
 * BENCH-...), picked at random per transaction, or the first one only with
 * --hot.  Prints one line of key=value figures.
 *
 * --as-reliefd: every statement reliefd sends for the issue instead, still
 * without HTTP and JSON -- the session look-up (auth.c) before the
 * transaction, the bin/lot/scope look-up (h_ledger.c load_bin_lot) in it,
 * the movement INSERT with its RETURNING (domain/ledger.c), and the
 * idempotency record with an answer of the real answer's size -- every
 * result read to the end.  Against the plain run it shows what reliefd's
 * extra statements cost the database; against reliefd, what HTTP and JSON
 * cost.
 *
 * --with LIST: some of it (session,lookup,returning,answer), to see what
 * each part costs.
 *
 * usage: ceiling_movements [--threads N] [--seconds S] [--hot]
 *                          [--as-reliefd | --with LIST] [--session-hash HEX]
 *                          --user-id ID
 *        (database settings from RELIEF_CONFIG, as reliefd)
 */
#include "bench_harness.h"
#include "common.h"

#include <unistd.h>

struct row {
    long long bin, lot, item, depot;
};

static struct config cfg;
static struct row *rows;
static int nrows, hot;
/* What of reliefd's own work to add (--as-reliefd: all; --with: some). */
enum { W_SESSION = 1, W_LOOKUP = 2, W_RETURNING = 4, W_ANSWER = 8, W_ALL = 15 };
static int as_reliefd;
static long long user_id;
static const char *session_hash;

/* The texts of domain/ledger.c, domain/auth.c and http/h_ledger.c. */
#define INSERT_SQL                                                                                 \
    "INSERT INTO movement (kind, bin_id, lot_id, item_id, depot_id, qty, balance_after,"           \
    " occurred_at, user_id, reason, reference, recipient, transfer_id, stocktake_id,"              \
    " reverses_id) SELECT ?, ?, ?, ?, ?, ?, qty, ?, ?, ?, ?, ?, ?, ?, ? FROM stock"                \
    " WHERE bin_id = ? AND lot_id = ?"
#define RETURNING_SQL                                                                              \
    " RETURNING id, kind, bin_id, depot_id, lot_id, item_id, qty, balance_after, occurred_at,"     \
    " recorded_at, user_id, reason, reference, recipient, transfer_id, stocktake_id,"              \
    " reverses_id, event_id"
#define SESSION_SQL                                                                                \
    "SELECT u.id, u.username, u.display_name, u.role, u.org_unit_id, o.path"                       \
    " FROM app_session s JOIN app_user u ON u.id = s.user_id"                                      \
    " JOIN org_unit o ON o.id = u.org_unit_id"                                                     \
    " WHERE s.token_hash = ? AND s.revoked = 0 AND s.expires_at > UTC_TIMESTAMP(6)"                \
    " AND u.active = 1"
#define LOOKUP_SQL                                                                                 \
    "SELECT b.depot_id, o.path, l.item_id, i.integral, i.tracking,"                                \
    " b.code AS bin_code, d.code AS depot_code, l.lot_no, l.expiry_date,"                          \
    " i.code AS item_code, i.name_zh AS item_name_zh, i.unit"                                      \
    " FROM bin b JOIN depot d ON d.id = b.depot_id"                                                \
    " JOIN org_unit o ON o.id = d.org_unit_id"                                                     \
    " JOIN lot l ON l.id = ? JOIN item i ON i.id = l.item_id WHERE b.id = ?"

/* One thread's connection and statements. */
struct conn {
    MYSQL *m;
    MYSQL_STMT *idem, *upd, *ins, *sess, *look;
    int id;
    uint64_t n;
};

static void bind_ll(MYSQL_BIND *b, long long *v)
{
    memset(b, 0, sizeof(*b));
    b->buffer_type = MYSQL_TYPE_LONGLONG;
    b->buffer = v;
}

static void bind_str(MYSQL_BIND *b, const char *s, unsigned long *len, enum enum_field_types t)
{
    memset(b, 0, sizeof(*b));
    b->buffer_type = t;
    b->buffer = (void *)s;
    *len = s ? strlen(s) : 0;
    b->buffer_length = *len;
    b->length = len;
    if (!s)
        b->buffer_type = MYSQL_TYPE_NULL;
}

static int run(MYSQL_STMT *st, MYSQL_BIND *b)
{
    if (mysql_stmt_bind_param(st, b) != 0 || mysql_stmt_execute(st) != 0) {
        fprintf(stderr, "execute: %s\n", mysql_stmt_error(st));
        return -1;
    }
    return 0;
}

/* Execute and read every row of the result (as db.c does), expecting one. */
static int run_rows(MYSQL_STMT *st, MYSQL_BIND *b)
{
    int got = 0, f;
    if (run(st, b) != 0 || mysql_stmt_store_result(st) != 0)
        return -1;
    while ((f = mysql_stmt_fetch(st)) == 0 || f == MYSQL_DATA_TRUNCATED)
        got++;
    mysql_stmt_free_result(st);
    return got == 1 ? 0 : -1;
}

/* An answer of the size of reliefd's (a movement as JSON, about 700 bytes). */
static char answer[701];

static void conn_close(void *arg)
{
    struct conn *c = arg;
    if (c->idem)
        mysql_stmt_close(c->idem);
    if (c->upd)
        mysql_stmt_close(c->upd);
    if (c->ins)
        mysql_stmt_close(c->ins);
    if (c->sess)
        mysql_stmt_close(c->sess);
    if (c->look)
        mysql_stmt_close(c->look);
    mysql_close(c->m);
    free(c);
}

static void *conn_open(int id)
{
    struct conn *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    c->id = id;
    if (!(c->m = bench_connect(&cfg))) {
        free(c);
        return NULL;
    }
    c->idem = bench_prepare(c->m, "INSERT INTO idempotency (user_id, idem_key, request_hash,"
                                  " status, response) VALUES (?, ?, ?, 0, ?)");
    c->upd = bench_prepare(c->m, "UPDATE stock SET qty = qty + ?, updated_at = UTC_TIMESTAMP(6)"
                                 " WHERE bin_id = ? AND lot_id = ? AND qty + ? >= 0");
    c->ins =
        bench_prepare(c->m, (as_reliefd & W_RETURNING) ? INSERT_SQL RETURNING_SQL : INSERT_SQL);
    if (as_reliefd & (W_SESSION | W_LOOKUP)) {
        c->sess = bench_prepare(c->m, SESSION_SQL);
        c->look = bench_prepare(c->m, LOOKUP_SQL);
        if (!c->sess || !c->look) {
            conn_close(c);
            return NULL;
        }
    }
    if (!c->idem || !c->upd || !c->ins) {
        conn_close(c);
        return NULL;
    }
    return c;
}

/* One issue of 1 unit, the whole transaction. */
static int one(void *arg, unsigned *seed)
{
    struct conn *c = arg;
    const struct row *r = &rows[hot ? 0 : rand_r(seed) % nrows];
    char key[96], when[24];
    static const char hash[] = "0000000000000000000000000000000000000000000000000000000000000000";
    const char *qty = "-1.000";
    long long bin = r->bin, lot = r->lot, item = r->item, depot = r->depot, uid = user_id;
    unsigned long l[16];
    MYSQL_BIND b[17];
    time_t now = time(NULL);

    snprintf(key, sizeof(key), "ceiling-%d-%d-%llu-%ld", getpid(), c->id,
             (unsigned long long)c->n++, (long)now);
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", gmtime(&now));
    if (as_reliefd & W_SESSION) {
        bind_str(&b[0], session_hash, &l[0], MYSQL_TYPE_STRING);
        if (run_rows(c->sess, b) != 0)
            return -1;
    }
    if (mysql_real_query(c->m, "START TRANSACTION", 17) != 0)
        goto fail;
    if (as_reliefd & W_LOOKUP) {
        bind_ll(&b[0], &lot);
        bind_ll(&b[1], &bin);
        if (run_rows(c->look, b) != 0)
            goto fail;
    }
    /* reliefd writes the key's record last, with the answer; the ceiling
     * first, empty.  The order does not change the work. */
    bind_ll(&b[0], &uid);
    bind_str(&b[1], key, &l[0], MYSQL_TYPE_STRING);
    bind_str(&b[2], hash, &l[1], MYSQL_TYPE_STRING);
    bind_str(&b[3], (as_reliefd & W_ANSWER) ? answer : "", &l[2], MYSQL_TYPE_STRING);
    if (run(c->idem, b) != 0)
        goto fail;
    bind_str(&b[0], qty, &l[0], MYSQL_TYPE_NEWDECIMAL);
    bind_ll(&b[1], &bin);
    bind_ll(&b[2], &lot);
    bind_str(&b[3], qty, &l[1], MYSQL_TYPE_NEWDECIMAL);
    if (run(c->upd, b) != 0 || mysql_stmt_affected_rows(c->upd) != 1)
        goto fail;
    bind_str(&b[0], "issue", &l[0], MYSQL_TYPE_STRING);
    bind_ll(&b[1], &bin);
    bind_ll(&b[2], &lot);
    bind_ll(&b[3], &item);
    bind_ll(&b[4], &depot);
    bind_str(&b[5], qty, &l[1], MYSQL_TYPE_NEWDECIMAL);
    bind_str(&b[6], when, &l[2], MYSQL_TYPE_STRING);
    bind_ll(&b[7], &uid);
    bind_str(&b[8], NULL, &l[3], MYSQL_TYPE_STRING);
    bind_str(&b[9], NULL, &l[4], MYSQL_TYPE_STRING);
    bind_str(&b[10], "bench", &l[5], MYSQL_TYPE_STRING);
    bind_str(&b[11], NULL, &l[6], MYSQL_TYPE_STRING);
    bind_str(&b[12], NULL, &l[7], MYSQL_TYPE_STRING);
    bind_str(&b[13], NULL, &l[8], MYSQL_TYPE_STRING);
    bind_ll(&b[14], &bin);
    bind_ll(&b[15], &lot);
    if ((as_reliefd & W_RETURNING) ? run_rows(c->ins, b) != 0
                                   : run(c->ins, b) != 0 || mysql_stmt_affected_rows(c->ins) != 1)
        goto fail;
    if (mysql_commit(c->m) != 0)
        goto fail;
    return 0;
fail:
    mysql_rollback(c->m);
    return -1;
}

static int load_rows(void)
{
    MYSQL *m = bench_connect(&cfg);
    MYSQL_RES *res;
    MYSQL_ROW r;
    const char *q = "SELECT s.bin_id, s.lot_id, s.item_id, s.depot_id FROM stock s"
                    " JOIN lot l ON l.id = s.lot_id WHERE l.lot_no LIKE 'BENCH-%'"
                    " AND s.qty > 100000 ORDER BY s.lot_id";

    if (!m)
        return -1;
    if (mysql_query(m, q) != 0 || !(res = mysql_store_result(m))) {
        fprintf(stderr, "rows: %s\n", mysql_error(m));
        mysql_close(m);
        return -1;
    }
    nrows = (int)mysql_num_rows(res);
    rows = calloc((size_t)nrows + 1, sizeof(*rows));
    for (int i = 0; rows && (r = mysql_fetch_row(res)); i++)
        rows[i] = (struct row){atoll(r[0]), atoll(r[1]), atoll(r[2]), atoll(r[3])};
    mysql_free_result(res);
    mysql_close(m);
    if (!rows || nrows == 0) {
        fprintf(stderr, "no BENCH- lots with stock; run scripts/bench's set-up first\n");
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const struct bench_job job = {"ceiling_movements", conn_open, one, conn_close};
    int nthreads = 32, rc;
    double seconds = 10;
    char extra[64];

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            nthreads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--user-id") && i + 1 < argc)
            user_id = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--hot"))
            hot = 1;
        else if (!strcmp(argv[i], "--as-reliefd"))
            as_reliefd = W_ALL;
        else if (!strcmp(argv[i], "--with") && i + 1 < argc) {
            const char *w = argv[++i];
            as_reliefd |=
                (strstr(w, "session") ? W_SESSION : 0) | (strstr(w, "lookup") ? W_LOOKUP : 0) |
                (strstr(w, "returning") ? W_RETURNING : 0) | (strstr(w, "answer") ? W_ANSWER : 0);
        } else if (!strcmp(argv[i], "--session-hash") && i + 1 < argc)
            session_hash = argv[++i];
        else {
            fprintf(stderr,
                    "usage: %s [--threads N] [--seconds S] [--hot]"
                    " [--as-reliefd | --with session,lookup,returning,answer]"
                    " [--session-hash HEX] --user-id ID\n",
                    argv[0]);
            return 2;
        }
    }
    if (nthreads < 1 || nthreads > 1024 || seconds <= 0 || user_id <= 0 ||
        ((as_reliefd & W_SESSION) && !session_hash)) {
        fprintf(stderr,
                "%s: --threads 1..1024, --seconds > 0 and --user-id are needed"
                " (--as-reliefd: and --session-hash)\n",
                argv[0]);
        return 2;
    }
    if (mysql_library_init(0, NULL, NULL) != 0 || bench_config(&cfg) != 0 || load_rows() != 0)
        return 1;
    memset(answer, 'x', sizeof(answer) - 1);
    snprintf(extra, sizeof(extra), "lots=%d as_reliefd=%d", hot ? 1 : nrows, as_reliefd);
    rc = bench_run(&job, nthreads, seconds, extra);
    free(rows);
    mysql_library_end();
    return rc;
}
