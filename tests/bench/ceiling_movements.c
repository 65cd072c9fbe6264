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
 * usage: ceiling_movements [--threads N] [--seconds S] [--hot] --user-id ID
 *        (database settings from RELIEF_CONFIG, as reliefd)
 */
#include "common.h"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

struct row {
    long long bin, lot, item, depot;
};

static struct config cfg;
static struct row *rows;
static int nrows, hot;
static long long user_id;
static double t_end;

struct worker {
    pthread_t th;
    int id;
    uint64_t done, failed;
    struct lat lat;
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

static void *work(void *arg)
{
    struct worker *w = arg;
    MYSQL *m = bench_connect(&cfg);
    MYSQL_STMT *idem, *upd, *ins;
    unsigned seed = (unsigned)(w->id * 7919 + getpid());
    uint64_t n = 0;

    if (!m)
        return NULL;
    idem = bench_prepare(m, "INSERT INTO idempotency (user_id, idem_key, request_hash, status, "
                            "response) VALUES (?, ?, ?, 0, '')");
    upd = bench_prepare(m, "UPDATE stock SET qty = qty + ?, updated_at = UTC_TIMESTAMP(6)"
                           " WHERE bin_id = ? AND lot_id = ? AND qty + ? >= 0");
    ins = bench_prepare(m, "INSERT INTO movement (kind, bin_id, lot_id, item_id, depot_id, qty,"
                           " balance_after, occurred_at, user_id, reason, reference, recipient,"
                           " transfer_id, stocktake_id, reverses_id)"
                           " SELECT ?, ?, ?, ?, ?, ?, qty, ?, ?, ?, ?, ?, ?, ?, ? FROM stock"
                           " WHERE bin_id = ? AND lot_id = ?");
    if (!idem || !upd || !ins)
        return NULL;
    while (bench_now() < t_end) {
        const struct row *r = &rows[hot ? 0 : rand_r(&seed) % nrows];
        char key[96], when[24];
        static const char hash[] =
            "0000000000000000000000000000000000000000000000000000000000000000";
        const char *qty = "-1.000";
        long long bin = r->bin, lot = r->lot, item = r->item, depot = r->depot, uid = user_id;
        unsigned long l[16];
        MYSQL_BIND b[17];
        time_t now = time(NULL);
        double t0 = bench_now();

        snprintf(key, sizeof(key), "ceiling-%d-%d-%llu-%ld", getpid(), w->id,
                 (unsigned long long)n++, (long)now);
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", gmtime(&now));
        if (mysql_real_query(m, "START TRANSACTION", 17) != 0)
            goto fail;
        bind_ll(&b[0], &uid);
        bind_str(&b[1], key, &l[0], MYSQL_TYPE_STRING);
        bind_str(&b[2], hash, &l[1], MYSQL_TYPE_STRING);
        if (run(idem, b) != 0)
            goto fail;
        bind_str(&b[0], qty, &l[0], MYSQL_TYPE_NEWDECIMAL);
        bind_ll(&b[1], &bin);
        bind_ll(&b[2], &lot);
        bind_str(&b[3], qty, &l[1], MYSQL_TYPE_NEWDECIMAL);
        if (run(upd, b) != 0 || mysql_stmt_affected_rows(upd) != 1)
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
        if (run(ins, b) != 0 || mysql_stmt_affected_rows(ins) != 1)
            goto fail;
        if (mysql_commit(m) != 0)
            goto fail;
        w->done++;
        lat_add(&w->lat, bench_now() - t0);
        continue;
    fail:
        mysql_rollback(m);
        w->failed++;
    }
    mysql_stmt_close(idem);
    mysql_stmt_close(upd);
    mysql_stmt_close(ins);
    mysql_close(m);
    return NULL;
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
    int nthreads = 32;
    double seconds = 10;
    struct lat all = {0};
    uint64_t done = 0, failed = 0;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            nthreads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--user-id") && i + 1 < argc)
            user_id = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--hot"))
            hot = 1;
        else {
            fprintf(stderr, "usage: %s [--threads N] [--seconds S] [--hot] --user-id ID\n",
                    argv[0]);
            return 2;
        }
    }
    if (nthreads < 1 || nthreads > 1024 || seconds <= 0 || user_id <= 0) {
        fprintf(stderr, "%s: --threads 1..1024, --seconds > 0 and --user-id are needed\n",
                argv[0]);
        return 2;
    }
    if (mysql_library_init(0, NULL, NULL) != 0 || bench_config(&cfg) != 0 || load_rows() != 0)
        return 1;

    struct worker *ws = calloc((size_t)nthreads, sizeof(*ws));
    all.b = calloc(LAT_BUCKETS, sizeof(uint32_t));
    if (!ws || !all.b)
        return 1;
    double t0 = bench_now();
    t_end = t0 + seconds;
    for (int i = 0; i < nthreads; i++) {
        ws[i].id = i;
        ws[i].lat.b = calloc(LAT_BUCKETS, sizeof(uint32_t));
        if (!ws[i].lat.b || pthread_create(&ws[i].th, NULL, work, &ws[i]) != 0)
            return 1;
    }
    for (int i = 0; i < nthreads; i++) {
        pthread_join(ws[i].th, NULL);
        done += ws[i].done;
        failed += ws[i].failed;
        for (long j = 0; j < LAT_BUCKETS; j++)
            all.b[j] += ws[i].lat.b[j];
        all.n += ws[i].lat.n;
        free(ws[i].lat.b);
    }
    double el = bench_now() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    printf("ceiling_movements threads=%d lots=%d seconds=%.2f done=%llu failed=%llu rate=%.1f"
           " p50_ms=%.2f p99_ms=%.2f cpu_s=%.2f\n",
           nthreads, hot ? 1 : nrows, el, (unsigned long long)done, (unsigned long long)failed,
           (double)done / el, lat_pct(&all, 0.50), lat_pct(&all, 0.99), cpu);
    free(all.b);
    free(ws);
    free(rows);
    mysql_library_end();
    return failed && !done ? 1 : 0;
}
