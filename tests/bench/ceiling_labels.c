/*
 * ceiling_labels.c -- the database ceiling for GET /api/v1/labels/{code} in
 * scripts/bench, and the set-up of the bench's labels.
 *
 * Run mode: N threads, each with its own connection, for S seconds send the
 * statements reliefd sends for one scan of a lot label, with the same texts
 * (http/views.h, h_labels.c, domain/label.c, domain/auth.c) prepared once
 * per connection, reading every row: the session, the label by code, the
 * depot's org path (scope), the last_scanned_at update (autocommit, as the
 * handler does it), the label's kind, the label as JSON shows it, the lot
 * with its item, the (bin, lot) stock row.  Random codes out of the bench's
 * labels.  No HTTP, no JSON: what is left is the database's own work.
 *
 * Set-up mode (--setup): one active lot label for every BENCH- lot that has
 * none, codes made by the labels library as reliefd makes them, inserted in
 * transactions of 2,000 rows -- 100,000 labels take seconds, not the
 * minutes of 100 POST /labels calls.
 *
 * usage: ceiling_labels --setup --user-id ID
 *        ceiling_labels [--threads N] [--seconds S] --session-hash HEX
 */
#include "bench_harness.h"
#include "common.h"

#include "http/views.h"
#include "labels/code.h"

#include <unistd.h>

static struct config cfg;
static char **codes;
static int ncodes;
static const char *session_hash;

#define LABEL_COLS                                                                                 \
    "SELECT l.id, l.code, l.kind, l.status, l.depot_id, d.code AS depot_code, l.bin_id,"           \
    " b.code AS bin_code, l.lot_id, lt.lot_no, l.asset_id, a.serial_no, i.id AS item_id,"          \
    " i.code AS item_code, i.name_zh AS item_name_zh, i.name_en AS item_name_en,"                  \
    " lt.expiry_date, r.code AS replaced_by, l.void_reason, l.print_count, l.last_printed_at,"     \
    " l.last_scanned_at, l.created_at FROM label l JOIN depot d ON d.id = l.depot_id"              \
    " JOIN org_unit o ON o.id = d.org_unit_id LEFT JOIN bin b ON b.id = l.bin_id"                  \
    " LEFT JOIN lot lt ON lt.id = l.lot_id LEFT JOIN asset a ON a.id = l.asset_id"                 \
    " LEFT JOIN item i ON i.id = COALESCE(lt.item_id, a.item_id)"                                  \
    " LEFT JOIN label r ON r.id = l.replaced_by_id"

enum { Q_SESSION, Q_FIND, Q_SCOPE, Q_TOUCH, Q_KIND, Q_LABEL, Q_LOT, Q_STOCK, NQ };
static const char *const sql[NQ] = {
    "SELECT u.id, u.username, u.display_name, u.role, u.org_unit_id, o.path"
    " FROM app_session s JOIN app_user u ON u.id = s.user_id"
    " JOIN org_unit o ON o.id = u.org_unit_id"
    " WHERE s.token_hash = ? AND s.revoked = 0 AND s.expires_at > UTC_TIMESTAMP(6)"
    " AND u.active = 1",
    "SELECT l.id, l.depot_id, l.status, r.code FROM label l"
    " LEFT JOIN label r ON r.id = l.replaced_by_id WHERE l.code = ?",
    "SELECT o.path FROM depot d JOIN org_unit o ON o.id = d.org_unit_id WHERE d.id = ?",
    "UPDATE label SET last_scanned_at = UTC_TIMESTAMP(6) WHERE id = ?",
    "SELECT kind, depot_id, IFNULL(bin_id, 0), IFNULL(lot_id, 0), IFNULL(asset_id, 0)"
    " FROM label WHERE id = ?",
    LABEL_COLS " WHERE l.id = ?",
    "SELECT l.id, l.item_id, i.code AS item_code, i.name_zh AS item_name_zh,"
    " i.name_en AS item_name_en, i.unit, i.integral, i.tracking, l.lot_no,"
    " l.production_date, l.expiry_date, l.supplier, l.quarantined,"
    " l.created_at FROM lot l JOIN item i ON i.id = l.item_id WHERE l.id = ?",
    STOCK_COLS " WHERE s.bin_id = ? AND s.lot_id = ?",
};

/* One thread's connection and statements. */
struct conn {
    MYSQL *m;
    MYSQL_STMT *st[NQ];
};

/* Execute with up to two integer parameters or one string; read every row
 * into text buffers as db.c does, and return the first row's first five
 * columns as integers in out[] (0 for text and NULL). */
static int exec_read(MYSQL_STMT *st, const char *s, long long a, long long b, int nint,
                     long long out[5])
{
    MYSQL_BIND pb[2], rb[32];
    unsigned long slen = s ? strlen(s) : 0, rlen[32];
    char buf[32][256];
    my_bool isnull[32], trunc[32];
    long long pa = a, pbv = b;
    MYSQL_RES *meta;
    unsigned nf;
    int first = 1;

    memset(pb, 0, sizeof(pb));
    if (s) {
        pb[0].buffer_type = MYSQL_TYPE_STRING;
        pb[0].buffer = (void *)s;
        pb[0].buffer_length = slen;
        pb[0].length = &slen;
    } else {
        pb[0].buffer_type = MYSQL_TYPE_LONGLONG;
        pb[0].buffer = &pa;
        pb[1].buffer_type = MYSQL_TYPE_LONGLONG;
        pb[1].buffer = &pbv;
    }
    (void)nint;
    if (mysql_stmt_bind_param(st, pb) != 0 || mysql_stmt_execute(st) != 0) {
        fprintf(stderr, "execute: %s\n", mysql_stmt_error(st));
        return -1;
    }
    meta = mysql_stmt_result_metadata(st);
    if (!meta)
        return 0;
    nf = mysql_num_fields(meta);
    mysql_free_result(meta);
    if (nf > 32 || mysql_stmt_store_result(st) != 0)
        return -1;
    memset(rb, 0, sizeof(rb));
    for (unsigned i = 0; i < nf; i++) {
        rb[i].buffer_type = MYSQL_TYPE_STRING;
        rb[i].buffer = buf[i];
        rb[i].buffer_length = sizeof(buf[i]) - 1;
        rb[i].length = &rlen[i];
        rb[i].is_null = &isnull[i];
        rb[i].error = &trunc[i];
    }
    if (mysql_stmt_bind_result(st, rb) != 0)
        return -1;
    while (mysql_stmt_fetch(st) != MYSQL_NO_DATA) {
        if (first && out)
            for (unsigned i = 0; i < 5 && i < nf; i++) {
                buf[i][rlen[i] < sizeof(buf[i]) ? rlen[i] : sizeof(buf[i]) - 1] = '\0';
                out[i] = isnull[i] ? 0 : atoll(buf[i]);
            }
        first = 0;
    }
    mysql_stmt_free_result(st);
    return first ? 1 : 0; /* 1: no row */
}

static void conn_close(void *arg)
{
    struct conn *c = arg;
    for (int i = 0; i < NQ; i++)
        if (c->st[i])
            mysql_stmt_close(c->st[i]);
    mysql_close(c->m);
    free(c);
}

static void *conn_open(int id)
{
    struct conn *c = calloc(1, sizeof(*c));

    (void)id;
    if (!c)
        return NULL;
    if (!(c->m = bench_connect(&cfg))) {
        free(c);
        return NULL;
    }
    for (int i = 0; i < NQ; i++)
        if (!(c->st[i] = bench_prepare(c->m, sql[i]))) {
            conn_close(c);
            return NULL;
        }
    return c;
}

/* One scan of a random label, every statement of it. */
static int one(void *arg, unsigned *seed)
{
    MYSQL_STMT **st = ((struct conn *)arg)->st;
    const char *code = codes[rand_r(seed) % ncodes];
    long long lab[5] = {0}, kind[5] = {0}, sink[5];

    /* kind[] is (kind, depot, bin, lot, asset): the lot's record and
     * stock row follow from it, as in h_label_get. */
    if (exec_read(st[Q_SESSION], session_hash, 0, 0, 0, sink) != 0 ||
        exec_read(st[Q_FIND], code, 0, 0, 0, lab) != 0 ||
        exec_read(st[Q_SCOPE], NULL, lab[1], 0, 1, sink) != 0 ||
        exec_read(st[Q_TOUCH], NULL, lab[0], 0, 1, NULL) != 0 ||
        exec_read(st[Q_KIND], NULL, lab[0], 0, 1, kind) != 0 ||
        exec_read(st[Q_LABEL], NULL, lab[0], 0, 1, sink) != 0 ||
        exec_read(st[Q_LOT], NULL, kind[3], 0, 1, sink) != 0 ||
        exec_read(st[Q_STOCK], NULL, kind[2], kind[3], 2, sink) != 0)
        return -1;
    return 0;
}

static int load_codes(MYSQL *m)
{
    MYSQL_RES *res;
    MYSQL_ROW r;
    if (mysql_query(m, "SELECT l.code FROM label l JOIN lot t ON t.id = l.lot_id"
                       " WHERE t.lot_no LIKE 'BENCH-%' AND l.status = 'active'") != 0 ||
        !(res = mysql_store_result(m))) {
        fprintf(stderr, "codes: %s\n", mysql_error(m));
        return -1;
    }
    ncodes = (int)mysql_num_rows(res);
    codes = calloc((size_t)ncodes + 1, sizeof(char *));
    for (int i = 0; codes && (r = mysql_fetch_row(res)); i++)
        codes[i] = strdup(r[0]);
    mysql_free_result(res);
    if (!codes || ncodes == 0) {
        fprintf(stderr, "no labels on BENCH- lots; run ceiling_labels --setup first\n");
        return -1;
    }
    return 0;
}

/* One active label per BENCH- lot that has none. */
static int setup(MYSQL *m, long long user_id)
{
    const char *ins_sql =
        "INSERT INTO label (code, uuid, kind, depot_id, bin_id, lot_id, created_by)"
        " VALUES (?, ?, 'lot', ?, ?, ?, ?)";
    MYSQL_STMT *ins = bench_prepare(m, ins_sql);
    MYSQL_RES *res;
    MYSQL_ROW r;
    long made = 0;

    if (!ins)
        return -1;
    if (mysql_query(m, "SELECT s.depot_id, s.bin_id, s.lot_id FROM stock s"
                       " JOIN lot t ON t.id = s.lot_id WHERE t.lot_no LIKE 'BENCH-%'"
                       " AND NOT EXISTS (SELECT 1 FROM label l WHERE l.lot_id = s.lot_id"
                       " AND l.bin_id = s.bin_id AND l.status = 'active')") != 0 ||
        !(res = mysql_store_result(m))) {
        fprintf(stderr, "setup: %s\n", mysql_error(m));
        return -1;
    }
    mysql_query(m, "START TRANSACTION");
    while ((r = mysql_fetch_row(res))) {
        char fresh[LABEL_CODE_LEN + 1], code[LABEL_CODE_LEN + 1], uuid[37];
        long long depot = atoll(r[0]), bin = atoll(r[1]), lot = atoll(r[2]), uid = user_id;
        unsigned long lc, lu;
        MYSQL_BIND b[6];

        label_code_new(fresh);
        if (label_code_parse(fresh, code, uuid) != 0)
            return -1;
        memset(b, 0, sizeof(b));
        lc = strlen(code);
        lu = strlen(uuid);
        b[0] = (MYSQL_BIND){
            .buffer_type = MYSQL_TYPE_STRING, .buffer = code, .buffer_length = lc, .length = &lc};
        b[1] = (MYSQL_BIND){
            .buffer_type = MYSQL_TYPE_STRING, .buffer = uuid, .buffer_length = lu, .length = &lu};
        b[2] = (MYSQL_BIND){.buffer_type = MYSQL_TYPE_LONGLONG, .buffer = &depot};
        b[3] = (MYSQL_BIND){.buffer_type = MYSQL_TYPE_LONGLONG, .buffer = &bin};
        b[4] = (MYSQL_BIND){.buffer_type = MYSQL_TYPE_LONGLONG, .buffer = &lot};
        b[5] = (MYSQL_BIND){.buffer_type = MYSQL_TYPE_LONGLONG, .buffer = &uid};
        if (mysql_stmt_bind_param(ins, b) != 0 || mysql_stmt_execute(ins) != 0) {
            fprintf(stderr, "setup insert: %s\n", mysql_stmt_error(ins));
            return -1;
        }
        if (++made % 2000 == 0 && (mysql_commit(m) != 0 || mysql_query(m, "START TRANSACTION")))
            return -1;
    }
    mysql_free_result(res);
    mysql_stmt_close(ins);
    if (mysql_commit(m) != 0)
        return -1;
    printf("ceiling_labels setup labels=%ld\n", made);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct bench_job job = {"ceiling_labels", conn_open, one, conn_close};
    int nthreads = 32, do_setup = 0, rc;
    double seconds = 10;
    long long user_id = 0;
    char extra[64];
    MYSQL *m;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            nthreads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--session-hash") && i + 1 < argc)
            session_hash = argv[++i];
        else if (!strcmp(argv[i], "--user-id") && i + 1 < argc)
            user_id = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--setup"))
            do_setup = 1;
        else {
            fprintf(stderr,
                    "usage: %s --setup --user-id ID\n"
                    "       %s [--threads N] [--seconds S] --session-hash HEX\n",
                    argv[0], argv[0]);
            return 2;
        }
    }
    if (mysql_library_init(0, NULL, NULL) != 0 || bench_config(&cfg) != 0)
        return 1;
    if (!(m = bench_connect(&cfg)))
        return 1;
    if (do_setup) {
        rc = user_id > 0 ? setup(m, user_id) : -1;
        mysql_close(m);
        mysql_library_end();
        return rc ? 1 : 0;
    }
    if (nthreads < 1 || nthreads > 1024 || seconds <= 0 || !session_hash) {
        fprintf(stderr, "%s: --threads 1..1024, --seconds > 0 and --session-hash are needed\n",
                argv[0]);
        return 2;
    }
    if (load_codes(m) != 0)
        return 1;
    mysql_close(m);

    snprintf(extra, sizeof(extra), "codes=%d statements=%d", ncodes, NQ);
    rc = bench_run(&job, nthreads, seconds, extra);
    for (int i = 0; i < ncodes; i++)
        free(codes[i]);
    free(codes);
    mysql_library_end();
    return rc;
}
