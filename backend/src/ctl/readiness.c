/*
 * readiness.c -- `reliefctl readiness --town CODE | --all [--as-of DATE]
 * [--season YEAR] [--format json|csv] [--ledger] [--ledger-by sum|delta] [--bench N]`.
 *
 * It runs the API's own handlers (http/h_readiness.c) on a direct database
 * connection, as a caller whose scope is the whole city, so the command line
 * prints exactly what GET /api/v1/readiness/... answers: the same JSON, the
 * same city CSV.  --town with --format csv prints the town's lines as CSV.
 *
 * --bench N (with --all) times the city computation N times against one
 * plain SQL aggregate over the same rows (the floor): from `stock` (today),
 * and from the ledger for yesterday both ways (docs/readiness.md): DELTA
 * (today's balances less what was recorded since) and SUM (every movement
 * up to yesterday), each beside its own floor; it prints the figures;
 * scripts/bench-readiness runs it on the demo city.
 */
#include "ctl.h"

#include "../core/buf.h"
#include "../core/util.h"
#include "../domain/readiness.h"
#include "../http/handlers.h"
#include "../store/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(void)
{
    fputs("usage: reliefctl readiness (--town CODE | --all) [--as-of YYYY-MM-DD] [--season YEAR]\n"
          "                           [--format json|csv] [--ledger] [--ledger-by sum|delta]\n"
          "                           [--bench N]\n"
          "  Readiness against the town 500-person standard (docs/readiness.md), as\n"
          "  GET /api/v1/readiness/towns/CODE and /readiness/city answer it.  --as-of: as the\n"
          "  ledger stood at the end of that day (default today); --season: that year's flood\n"
          "  season instead of the coming one; --ledger: sum the ledger even for today (a\n"
          "  check against the stock table); --ledger-by: read a past day by summing the\n"
          "  ledger up to it (sum) or from today's balances less later movements (delta),\n"
          "  instead of the cheaper way; --bench N (with --all): time the city check N\n"
          "  times against one plain SQL aggregate over the same rows and print the figures\n"
          "  (today, and yesterday both ways, or only the way --ledger-by names).\n",
          stderr);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static int dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), dbl_cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The town's lines as CSV (the API has JSON only for one town). */
static int town_csv(json_t *o)
{
    static const char *const cols[] = {"item_code",
                                       "item_name_zh",
                                       "item_name_en",
                                       "unit",
                                       "basis",
                                       "qty",
                                       "cutoff",
                                       "required",
                                       "usable",
                                       "usable_own",
                                       "usable_substitutes",
                                       "shortfall",
                                       "not_in_date",
                                       "quarantined",
                                       "coverage_pct",
                                       "status",
                                       NULL};
    json_t *lines = json_object_get(o, "lines"), *line;
    const char *code = json_string_value(json_object_get(json_object_get(o, "org_unit"), "code"));
    const char *as_of = json_string_value(json_object_get(o, "as_of"));
    size_t i;

    printf("as_of,code");
    for (int c = 0; cols[c]; c++)
        printf(",%s", cols[c]);
    printf("\r\n");
    json_array_foreach(lines, i, line)
    {
        printf("%s,%s", as_of ? as_of : "", code ? code : "");
        for (int c = 0; cols[c]; c++) {
            json_t *v = json_object_get(line, cols[c]);
            char num[48];
            const char *s = "";
            if (json_is_string(v)) {
                s = json_string_value(v);
            } else if (json_is_integer(v)) {
                snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
                s = num;
            } else if (json_is_real(v)) {
                /* quantities have at most 3 decimals, percentages 1: the
                 * shortest text, as the API's own CSV writes them */
                char *e;
                snprintf(num, sizeof(num), "%.3f", json_real_value(v));
                e = num + strlen(num) - 1;
                while (e > num && *e == '0')
                    *e-- = '\0';
                if (*e == '.')
                    *e = '\0';
                s = num;
            }
            if (strpbrk(s, ",\"\r\n")) {
                putchar(',');
                putchar('"');
                for (const char *p = s; *p; p++) {
                    if (*p == '"')
                        putchar('"');
                    putchar(*p);
                }
                putchar('"');
            } else {
                printf(",%s", s);
            }
        }
        printf("\r\n");
    }
    return 0;
}

/* One plain aggregate over the rows the city check reads: the floor.
 * way: RD_SRC_STOCK (0), RD_LEDGER_SUM or RD_LEDGER_DELTA.  The delta's is
 * today's floor with the later movements taken off each balance. */
static int floor_query(struct db_conn *c, int way, const char *end_ts, struct app_err *err)
{
    struct db_res *r = NULL;
    int rc;
    if (way == RD_LEDGER_SUM)
        rc = db_query(c, &r, err,
                      "SELECT m.bin_id, m.lot_id, SUM(m.qty) FROM movement m"
                      " WHERE m.recorded_at < ? GROUP BY m.bin_id, m.lot_id",
                      "s", end_ts);
    else if (way == RD_LEDGER_DELTA)
        rc = db_query(c, &r, err,
                      "SELECT s.depot_id, s.item_id, SUM(s.qty - IFNULL(a.later, 0)) FROM stock s"
                      " JOIN lot l ON l.id = s.lot_id"
                      " LEFT JOIN (SELECT m.bin_id, m.lot_id, SUM(m.qty) AS later FROM movement m"
                      " WHERE m.recorded_at >= ? GROUP BY m.bin_id, m.lot_id) a"
                      " ON a.bin_id = s.bin_id AND a.lot_id = s.lot_id"
                      " WHERE s.qty - IFNULL(a.later, 0) > 0 GROUP BY s.depot_id, s.item_id",
                      "s", end_ts);
    else
        rc = db_query(c, &r, err,
                      "SELECT s.depot_id, s.item_id, SUM(s.qty) FROM stock s"
                      " JOIN lot l ON l.id = s.lot_id WHERE s.qty > 0"
                      " GROUP BY s.depot_id, s.item_id",
                      "");
    db_res_free(r);
    return rc;
}

/* way: 0 times all three; RD_LEDGER_SUM or _DELTA (--ledger-by) only stock
 * and that one (the whole-ledger sum of a province outlasts the client's
 * read timeout). */
static int bench(struct req *rq, struct ctl_query *qa, int n, int only, struct app_err *err)
{
    static const char *const label[] = {"stock", "sum", "delta"};
    static const int order[] = {0, RD_LEDGER_DELTA, RD_LEDGER_SUM};
    double *a = calloc((size_t)n, sizeof(double)), *b = calloc((size_t)n, sizeof(double));
    char yesterday[11], today[11], end_ts[20];
    int rc = -1;

    if (!a || !b) {
        free(a);
        free(b);
        return err_set(err, 500, "internal", "out of memory");
    }
    /* The past day is yesterday: its ledger ends where today begins. */
    rd_day_format((int32_t)(time(NULL) / 86400) - 1, yesterday);
    rd_day_format((int32_t)(time(NULL) / 86400), today);
    snprintf(end_ts, sizeof(end_ts), "%s 00:00:00", today);
    for (int k = 0; k < 3; k++) {
        int way = order[k], units = 0;
        if (way && only && way != only)
            continue;
        if (way) {
            ctl_query_set(qa, "as_of", yesterday);
            ctl_query_set(qa, "ledger", label[way]);
        }
        for (int i = 0; i < n + 1; i++) { /* one warm-up run of each */
            struct resp rs;
            double t0 = now_ms();
            memset(&rs, 0, sizeof(rs));
            if (h_readiness_city(rq, &rs, err) != 0)
                goto done;
            if (i > 0)
                a[i - 1] = now_ms() - t0;
            units = (int)json_array_size(json_object_get(rs.json, "items"));
            json_decref(rs.json);
            t0 = now_ms();
            if (floor_query(rq->db, way, end_ts, err) != 0)
                goto done;
            if (i > 0)
                b[i - 1] = now_ms() - t0;
        }
        {
            double ma = median(a, n), mb = median(b, n);
            printf("%-7s city readiness (%d towns): median %8.2f ms, min %8.2f ms  |  floor: "
                   "median %7.2f ms, min %7.2f ms  |  ratio %.1f\n",
                   label[way], units, ma, a[0], mb, b[0], mb > 0 ? ma / mb : 0);
        }
    }
    rc = 0;
done:
    free(a);
    free(b);
    return rc;
}

int ctl_readiness(const struct config *cfg, int argc, char **argv)
{
    const char *town = NULL, *format = "json";
    int all = 0, nbench = 0, ledger_by = 0, rc = CTL_OK;
    struct ctl_query qa = {{0}, {0}, 0};
    struct app_err err;
    struct db_conn *c;
    struct app app;
    struct req rq;
    struct resp rs;

    err_clear(&err);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--all")) {
            all = 1;
        } else if (!strcmp(a, "--ledger")) {
            ctl_query_set(&qa, "source", "ledger");
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage();
            return CTL_OK;
        } else if (v && !strcmp(a, "--ledger-by")) {
            if (strcmp(v, "sum") && strcmp(v, "delta")) {
                fprintf(stderr, "readiness: --ledger-by takes sum or delta\n");
                return CTL_USAGE;
            }
            ctl_query_set(&qa, "ledger", v);
            ledger_by = !strcmp(v, "sum") ? RD_LEDGER_SUM : RD_LEDGER_DELTA;
            i++;
        } else if (v && !strcmp(a, "--town")) {
            town = v;
            i++;
        } else if (v && !strcmp(a, "--as-of")) {
            ctl_query_set(&qa, "as_of", v);
            i++;
        } else if (v && !strcmp(a, "--season")) {
            ctl_query_set(&qa, "season", v);
            i++;
        } else if (v && !strcmp(a, "--format")) {
            format = v;
            i++;
        } else if (v && !strcmp(a, "--bench")) {
            int64_t n;
            if (parse_int64(v, &n) != 0 || n < 1 || n > 10000) {
                fprintf(stderr, "readiness: --bench takes a number of runs 1..10000\n");
                return CTL_USAGE;
            }
            nbench = (int)n;
            i++;
        } else {
            fprintf(stderr, "readiness: unknown or incomplete argument '%s'\n", a);
            usage();
            return CTL_USAGE;
        }
    }
    if (!!town == all || (strcmp(format, "json") && strcmp(format, "csv")) || (nbench && !all)) {
        usage();
        return CTL_USAGE;
    }
    if (!strcmp(format, "csv") && all)
        ctl_query_set(&qa, "format", "csv");

    c = db_connect(cfg, 0, cfg->db_name, &err);
    if (!c) {
        fprintf(stderr, "readiness: %s\n", err.msg);
        return CTL_NO_DB;
    }
    memset(&app, 0, sizeof(app));
    app.cfg = cfg;
    memset(&rq, 0, sizeof(rq));
    memset(&rs, 0, sizeof(rs));
    rq.app = &app;
    rq.method = "GET";
    rq.path = all ? "/api/v1/readiness/city" : "/api/v1/readiness/towns/{code}";
    rq.params[0] = town;
    rq.nparams = town ? 1 : 0;
    rq.db = c;
    rq.lookup = ctl_query_lookup;
    rq.ctx = &qa;
    /* The whole city in scope, like the admin ("/" is the start of every path). */
    rq.authed = 1;
    rq.who.role = ROLE_ADMIN;
    str_copy(rq.who.username, sizeof(rq.who.username), "reliefctl");
    str_copy(rq.who.org_path, sizeof(rq.who.org_path), "/");

    if (nbench) {
        if (bench(&rq, &qa, nbench, ledger_by, &err) != 0)
            goto fail;
        db_close(c);
        return CTL_OK;
    }
    if ((all ? h_readiness_city(&rq, &rs, &err) : h_readiness_town(&rq, &rs, &err)) != 0)
        goto fail;
    if (rs.body) {
        fwrite(rs.body, 1, rs.body_len, stdout);
    } else if (!all && !strcmp(format, "csv")) {
        town_csv(rs.json);
    } else {
        /* the precision the server answers with (server.c) */
        char *s = json_dumps(rs.json, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
        if (s)
            puts(s);
        free(s);
    }
    goto out;
fail:
    fprintf(stderr, "readiness: %s%s%s\n", err.msg, err.field[0] ? " -- " : "", err.field);
    rc = err.http == 503 ? CTL_NO_DB : err.http >= 500 ? CTL_CHECK_FAILED : CTL_USAGE;
out:
    json_decref(rs.json);
    free(rs.body);
    free(rs.content_disposition);
    free(rs.set_cookie);
    db_close(c);
    return rc;
}
