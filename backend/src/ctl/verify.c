/*
 * verify.c -- `reliefctl verify-ledger`: the invariants, checked from the
 * rows themselves.
 *
 *  1. every (bin, lot) balance equals the sum of its movements;
 *  2. no balance, and no running balance of any movement, is below zero, and
 *     each movement's balance_after is the running sum in ledger order;
 *  3. per transfer: shipped = what left the source, received = what arrived,
 *     in transit = shipped - received - lost >= 0;
 *  4. a reversal undoes exactly the movement it names;
 *  5. the audit chain's hashes are intact up to audit_head.
 * Exit 0 when all hold, 1 otherwise (with the first differences listed).
 */
#include "ctl.h"

#include "../core/util.h"
#include "../domain/audit.h"
#include "../store/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct check {
    const char *name;
    const char *sql; /* rows returned are violations */
    int ranged;      /* 1: takes a bin id range (?, ?), run once per range */
};

/*
 * The checks that read every movement run over ranges of bin ids, as many
 * statements as it takes: one statement over a province-sized ledger (10
 * million movements) sorts and groups for minutes, beyond the client's read
 * timeout, while a range of a few thousand bins is a short ordered walk of
 * the (bin_id, lot_id, ...) indexes.  Every (bin, lot) lies in exactly one
 * range, so the result is the same as one statement's.
 */
#define BIN_RANGE_MOVEMENTS 500000 /* about this many movements per statement */

static const struct check checks[] = {
    {"balance equals sum of movements",
     "SELECT s.bin_id, s.lot_id, s.qty, IFNULL(m.total, 0) AS ledger FROM stock s"
     " LEFT JOIN (SELECT bin_id, lot_id, SUM(qty) AS total FROM movement"
     " WHERE bin_id BETWEEN ? AND ? GROUP BY bin_id, lot_id)"
     " m ON m.bin_id = s.bin_id AND m.lot_id = s.lot_id WHERE s.bin_id BETWEEN ? AND ?"
     " AND s.qty <> IFNULL(m.total, 0)"
     " UNION ALL"
     " SELECT m.bin_id, m.lot_id, NULL, m.total FROM (SELECT bin_id, lot_id, SUM(qty) AS total"
     " FROM movement WHERE bin_id BETWEEN ? AND ? GROUP BY bin_id, lot_id) m LEFT JOIN stock s"
     " ON s.bin_id = m.bin_id AND s.lot_id = m.lot_id WHERE s.bin_id IS NULL AND m.total <> 0"
     " LIMIT 20",
     1},
    {"no negative balance", "SELECT bin_id, lot_id, qty FROM stock WHERE qty < 0 LIMIT 20", 0},
    {"balance_after is the running sum",
     "SELECT id, bin_id, lot_id, balance_after, running FROM (SELECT id, bin_id, lot_id,"
     " balance_after, SUM(qty) OVER (PARTITION BY bin_id, lot_id ORDER BY id) AS running"
     " FROM movement WHERE bin_id BETWEEN ? AND ?) x WHERE balance_after <> running"
     " OR running < 0 LIMIT 20",
     1},
    {"denormalised item and depot match",
     "SELECT m.id FROM movement m JOIN bin b ON b.id = m.bin_id JOIN lot l ON l.id = m.lot_id"
     " WHERE m.bin_id BETWEEN ? AND ? AND (m.depot_id <> b.depot_id OR m.item_id <> l.item_id)"
     " LIMIT 20",
     1},
    {"transfers match their movements",
     "SELECT t.id, t.qty_shipped, t.qty_received, IFNULL(o.q, 0) AS out_q, IFNULL(i.q, 0) AS in_q"
     " FROM transfer t"
     " LEFT JOIN (SELECT transfer_id, -SUM(qty) AS q FROM movement WHERE kind = 'transfer_out'"
     " GROUP BY transfer_id) o ON o.transfer_id = t.id"
     " LEFT JOIN (SELECT transfer_id, SUM(qty) AS q FROM movement WHERE kind = 'transfer_in'"
     " GROUP BY transfer_id) i ON i.transfer_id = t.id"
     " WHERE t.qty_shipped <> IFNULL(o.q, 0) OR t.qty_received <> IFNULL(i.q, 0)"
     " OR t.qty_shipped - t.qty_received - t.qty_lost < 0 LIMIT 20",
     0},
    {"reversals undo their movement",
     "SELECT r.id, r.reverses_id FROM movement r JOIN movement m ON m.id = r.reverses_id"
     " WHERE r.reverses_id IS NOT NULL AND (r.kind <> 'reversal' OR r.qty <> -m.qty"
     " OR r.bin_id <> m.bin_id OR r.lot_id <> m.lot_id) LIMIT 20",
     0},
};

/* Bin id ranges of about BIN_RANGE_MOVEMENTS movements each, from the
 * number of movements per bin (one pass over an index of bin ids).  The
 * last range ends at the largest bin id there is, so stock rows of bins
 * without movements are checked too. */
static int bin_ranges(struct db_conn *db, int64_t **bounds, int *n, struct app_err *err)
{
    struct db_res *r = NULL;
    int64_t acc = 0, maxbin = 0;
    int cap = 16;

    *n = 0;
    *bounds = malloc(sizeof(**bounds) * (size_t)cap * 2);
    if (!*bounds)
        return err_set(err, 500, "internal", "out of memory");
    if (db_query_int(db, &maxbin, err,
                     "SELECT GREATEST(IFNULL((SELECT MAX(id) FROM bin), 0),"
                     " IFNULL((SELECT MAX(bin_id) FROM stock), 0),"
                     " IFNULL((SELECT MAX(bin_id) FROM movement), 0))",
                     "") != 0 ||
        db_query(db, &r, err, "SELECT bin_id, COUNT(*) FROM movement GROUP BY bin_id ORDER BY bin_id",
                 "") != 0)
        return -1;
    int64_t lo = 0;
    for (int i = 0; i < r->nrows; i++) {
        acc += db_get_int(r, i, 1);
        if (acc >= BIN_RANGE_MOVEMENTS || i == r->nrows - 1) {
            int64_t hi = i == r->nrows - 1 ? maxbin : db_get_int(r, i, 0);
            if (*n == cap) {
                int64_t *nb = realloc(*bounds, sizeof(**bounds) * (size_t)cap * 4);
                if (!nb) {
                    db_res_free(r);
                    return err_set(err, 500, "internal", "out of memory");
                }
                *bounds = nb;
                cap *= 2;
            }
            (*bounds)[2 * *n] = lo;
            (*bounds)[2 * *n + 1] = hi;
            (*n)++;
            lo = hi + 1;
            acc = 0;
        }
    }
    if (*n == 0) { /* no movements: one range over every bin */
        (*bounds)[0] = 0;
        (*bounds)[1] = maxbin;
        *n = 1;
    }
    db_res_free(r);
    return 0;
}

/* Run check c (over every range when it is ranged); print its violations,
 * at most 20.  Returns the number of violations, -1 on a database error. */
static int run_check(struct db_conn *db, const struct check *c, const int64_t *bounds, int nb,
                     struct app_err *err)
{
    int bad = 0;
    for (int k = 0; k < (c->ranged ? nb : 1) && bad < 20; k++) {
        struct db_res *r = NULL;
        struct db_params ps;
        memset(&ps, 0, sizeof(ps));
        if (c->ranged) {
            /* check 1 names its range three times */
            int times = strstr(c->sql, "UNION ALL") ? 3 : 1;
            for (int t = 0; t < times; t++) {
                dbp_int(&ps, (long long)bounds[2 * k]);
                dbp_int(&ps, (long long)bounds[2 * k + 1]);
            }
        }
        if (db_query_p(db, &r, err, c->sql, &ps) != 0)
            return -1;
        for (int row = 0; row < r->nrows && bad < 20; row++, bad++) {
            if (bad == 0)
                printf("FAILED\n");
            printf("  ");
            for (int col = 0; col < r->ncols; col++)
                printf("%s=%s ", r->names[col],
                       db_get(r, row, col) ? db_get(r, row, col) : "NULL");
            printf("\n");
        }
        db_res_free(r);
    }
    return bad;
}

static int verify_audit(struct db_conn *db, long *nevents, struct app_err *err)
{
    struct db_res *r = NULL;
    char prev[65] = "0000000000000000000000000000000000000000000000000000000000000000";
    char h[65], at[40];
    int bad = 0;
    int64_t last = 0;

    *nevents = 0;
    /* Page through the chain so a long history never sits in memory whole. */
    for (;;) {
        if (db_query(db, &r, err,
                     "SELECT id, at, IFNULL(user_id, ''), action, object_type,"
                     " IFNULL(object_id, ''), detail, prev_hash, hash FROM audit_event"
                     " WHERE id > ? ORDER BY id LIMIT 5000",
                     "l", (long long)last) != 0)
            return -1;
        if (r->nrows == 0)
            break;
        for (int i = 0; i < r->nrows && !bad; i++) {
            const char *a = db_get(r, i, 1);
            snprintf(at, sizeof(at), "%s%s", a, strlen(a) == 19 ? ".000000" : "");
            audit_hash(prev, at, db_get(r, i, 2), db_get(r, i, 3), db_get(r, i, 4),
                       db_get(r, i, 5)[0] ? db_get(r, i, 5) : NULL, db_get(r, i, 6), h);
            if (strcmp(db_get(r, i, 7), prev) != 0 || strcmp(db_get(r, i, 8), h) != 0) {
                printf("  audit event %s: hash chain broken\n", db_get(r, i, 0));
                bad = 1;
            }
            str_copy(prev, sizeof(prev), db_get(r, i, 8));
            (*nevents)++;
        }
        last = db_get_int(r, r->nrows - 1, 0);
        db_res_free(r);
        r = NULL;
        if (bad)
            return 1;
    }
    db_res_free(r);
    if (db_query(db, &r, err, "SELECT last_hash FROM audit_head WHERE id = 1", "") != 0)
        return -1;
    if (r->nrows != 1 || strcmp(db_get(r, 0, 0), prev) != 0) {
        printf("  audit head does not match the last event\n");
        bad = 1;
    }
    db_res_free(r);
    return bad;
}

int ctl_verify_ledger(const struct config *cfg, int argc, char **argv)
{
    struct app_err err;
    struct db_conn *db;
    int failed = 0;
    int64_t nmov = 0, nbal = 0, *bounds = NULL;
    int nbounds = 0;
    long nev = 0;

    if (argc > 1) {
        printf("usage: reliefctl verify-ledger\n"
               "Checks the ledger invariants; exit 0 when they hold, 1 when not.\n");
        return strcmp(argv[1], "--help") == 0 ? CTL_OK : CTL_USAGE;
    }
    db = db_connect(cfg, 0, cfg->db_name, &err);
    if (!db) {
        fprintf(stderr, "verify-ledger: %s\n", err.msg);
        return CTL_NO_DB;
    }
    /* One consistent snapshot for every check. */
    if (db_script(db,
                  "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ;"
                  " START TRANSACTION WITH CONSISTENT SNAPSHOT",
                  &err) != 0) {
        fprintf(stderr, "verify-ledger: %s\n", err.msg);
        db_close(db);
        return CTL_NO_DB;
    }
    if (bin_ranges(db, &bounds, &nbounds, &err) != 0) {
        fprintf(stderr, "verify-ledger: %s\n", err.msg);
        free(bounds);
        db_close(db);
        return CTL_NO_DB;
    }
    for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
        /* The name first; "ok", or "FAILED" and the violations below it. */
        int bad;
        printf("%-40s ", checks[i].name);
        fflush(stdout);
        bad = run_check(db, &checks[i], bounds, nbounds, &err);
        if (bad < 0) {
            printf("\n");
            fprintf(stderr, "verify-ledger: %s: %s\n", checks[i].name, err.msg);
            free(bounds);
            db_close(db);
            return CTL_NO_DB;
        }
        if (!bad)
            printf("ok\n");
        failed |= bad > 0;
    }
    free(bounds);
    int a = verify_audit(db, &nev, &err);
    if (a < 0) {
        fprintf(stderr, "verify-ledger: audit: %s\n", err.msg);
        db_close(db);
        return CTL_NO_DB;
    }
    printf("%-40s %s\n", "audit hash chain intact", a ? "FAILED" : "ok");
    failed |= a;
    db_query_int(db, &nmov, &err, "SELECT COUNT(*) FROM movement", "");
    db_query_int(db, &nbal, &err, "SELECT COUNT(*) FROM stock", "");
    db_close(db);
    printf("%s: %lld movements, %lld balances, %ld audit events\n",
           failed ? "LEDGER CHECK FAILED" : "ledger ok", (long long)nmov, (long long)nbal, nev);
    return failed ? CTL_CHECK_FAILED : CTL_OK;
}
