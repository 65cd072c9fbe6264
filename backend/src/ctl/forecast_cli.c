/*
 * forecast_cli.c -- `reliefctl forecast --input FILE.csv --horizon H
 * [--method auto|naive|ma|ses|croston|sba|tsb] --output FILE.csv [--backtest]`.
 *
 * Input: long-form CSV with (at least) the columns series_id, period, value,
 * rows in any order; periods are consecutive integers or YYYY-MM months, one
 * kind per file.  Output: series_id,period,forecast,method for the H periods
 * after each series' last one, series in the order they first appear.
 *
 * The file is streamed through libcsv into a compact array (24 bytes a row),
 * sorted once by (series, period), then each series is forecast in place:
 * a million rows take under two seconds of CPU, nothing is refused for its
 * size (docs/performance.md).
 * Every check runs before the output file is opened, so bad input never
 * leaves a half-written forecast behind: exit 2 and "file:line: reason" on
 * stderr for the first bad line in file order.
 *
 * Needs no database and no settings.
 */
#include "ctl.h"

#include "../forecast/forecast.h"

#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ID 200
#define MAX_CELL 64
#define MAX_HORIZON 1000

struct row {
    int64_t period;
    double value;
    int32_t series; /* index in order of first appearance */
    int32_t line;
};

enum pkind { P_UNKNOWN, P_INT, P_MONTH };

struct reader {
    const char *path;
    /* columns wanted, -1 until the header is read */
    int c_series, c_period, c_value, ncols;
    int header_done;
    /* current record */
    int nf, rec_line, cur_line, in_record;
    char id[MAX_ID + 1], per[MAX_CELL + 1], val[MAX_CELL + 1];
    int id_long, per_long, val_long;
    enum pkind kind;
    /* results */
    struct row *rows;
    size_t nrows, caprows;
    /* series ids: an open-addressing hash over an arena of strings */
    char **ids;
    int32_t nids, capids;
    int32_t *slots;
    size_t nslots;
    /* first error */
    int failed;
    char msg[512];
};

static void failf(struct reader *R, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void failf(struct reader *R, int line, const char *fmt, ...)
{
    char reason[400];
    va_list ap;
    if (R->failed)
        return;
    R->failed = 1;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    snprintf(R->msg, sizeof(R->msg), "%s:%d: %s", R->path, line, reason);
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

static int grow_slots(struct reader *R)
{
    size_t n = R->nslots ? R->nslots * 2 : 1024;
    int32_t *s = malloc(n * sizeof(*s));
    if (!s)
        return -1;
    for (size_t i = 0; i < n; i++)
        s[i] = -1;
    for (int32_t k = 0; k < R->nids; k++) {
        size_t j = hash_str(R->ids[k]) & (n - 1);
        while (s[j] >= 0)
            j = (j + 1) & (n - 1);
        s[j] = k;
    }
    free(R->slots);
    R->slots = s;
    R->nslots = n;
    return 0;
}

/* Index of series `id`, adding it when new; -1 when out of memory. */
static int32_t intern(struct reader *R, const char *id)
{
    size_t j;
    if ((size_t)R->nids * 2 >= R->nslots && grow_slots(R) != 0)
        return -1;
    j = hash_str(id) & (R->nslots - 1);
    while (R->slots[j] >= 0) {
        if (strcmp(R->ids[R->slots[j]], id) == 0)
            return R->slots[j];
        j = (j + 1) & (R->nslots - 1);
    }
    if (R->nids == R->capids) {
        int32_t nc = R->capids ? R->capids * 2 : 256;
        char **n = realloc(R->ids, (size_t)nc * sizeof(*n));
        if (!n)
            return -1;
        R->ids = n;
        R->capids = nc;
    }
    R->ids[R->nids] = strdup(id);
    if (!R->ids[R->nids])
        return -1;
    R->slots[j] = R->nids;
    return R->nids++;
}

static void keep(char *dst, int *toolong, const char *s, size_t len, size_t max)
{
    if (len > max) {
        *toolong = 1;
        len = max;
    }
    memcpy(dst, s, len);
    dst[len] = '\0';
}

static void on_field(void *s, size_t len, void *data)
{
    struct reader *R = data;
    int i = R->nf++;
    const char *p = s;

    if (R->failed)
        return;
    if (len && memchr(p, '\0', len)) {
        failf(R, R->rec_line, "NUL byte in a field");
        return;
    }
    if (!R->header_done) {
        char name[MAX_CELL + 1];
        int dummy = 0;
        keep(name, &dummy, p, len, MAX_CELL);
        if (strcmp(name, "series_id") == 0)
            R->c_series = i;
        else if (strcmp(name, "period") == 0)
            R->c_period = i;
        else if (strcmp(name, "value") == 0)
            R->c_value = i;
        return;
    }
    if (i == R->c_series)
        keep(R->id, &R->id_long, p, len, MAX_ID);
    else if (i == R->c_period)
        keep(R->per, &R->per_long, p, len, MAX_CELL);
    else if (i == R->c_value)
        keep(R->val, &R->val_long, p, len, MAX_CELL);
}

static int all_digits(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* "YYYY-MM" -> year * 12 + month - 1; "[-]digits" -> the integer. */
static int parse_period(struct reader *R, const char *s, int64_t *out)
{
    size_t n = strlen(s);
    enum pkind k;

    if (n == 7 && s[4] == '-' && all_digits(s, 4) && all_digits(s + 5, 2)) {
        int y = atoi(s), m = atoi(s + 5);
        if (m < 1 || m > 12 || y < 1)
            return failf(R, R->rec_line, "period '%s' is not a valid YYYY-MM month", s), -1;
        *out = (int64_t)y * 12 + (m - 1);
        k = P_MONTH;
    } else if (all_digits(s + (s[0] == '-'), n - (s[0] == '-')) && n - (s[0] == '-') <= 15) {
        *out = strtoll(s, NULL, 10);
        k = P_INT;
    } else {
        failf(R, R->rec_line, "period '%s' is neither an integer nor a YYYY-MM month", s);
        return -1;
    }
    if (R->kind == P_UNKNOWN)
        R->kind = k;
    else if (R->kind != k) {
        failf(R, R->rec_line, "period '%s' is %s, but the periods before it are %s", s,
              k == P_MONTH ? "a YYYY-MM month" : "an integer",
              R->kind == P_MONTH ? "YYYY-MM months" : "integers");
        return -1;
    }
    return 0;
}

static void on_record(int c, void *data)
{
    struct reader *R = data;
    struct row *r;
    char *end;
    double v;
    int64_t per;
    int32_t sid;

    (void)c;
    R->in_record = 0;
    if (R->failed)
        goto reset;
    if (!R->header_done) {
        const char *miss = R->c_series < 0   ? "series_id"
                           : R->c_period < 0 ? "period"
                           : R->c_value < 0  ? "value"
                                             : NULL;
        if (miss) {
            failf(R, R->rec_line, "missing column '%s' (the header needs series_id,period,value)",
                  miss);
            goto reset;
        }
        R->ncols = R->nf;
        R->header_done = 1;
        goto reset;
    }
    if (R->nf != R->ncols) {
        failf(R, R->rec_line, "expected %d fields (as in the header), found %d", R->ncols, R->nf);
        goto reset;
    }
    if (R->id_long || R->per_long || R->val_long) {
        failf(R, R->rec_line, "%s is too long",
              R->id_long    ? "series_id"
              : R->per_long ? "period"
                            : "value");
        goto reset;
    }
    if (!R->id[0]) {
        failf(R, R->rec_line, "empty series_id");
        goto reset;
    }
    if (!R->per[0]) {
        failf(R, R->rec_line, "empty period");
        goto reset;
    }
    if (parse_period(R, R->per, &per) != 0)
        goto reset;
    if (!R->val[0]) {
        failf(R, R->rec_line, "empty value");
        goto reset;
    }
    errno = 0;
    v = strtod(R->val, &end);
    /* strtod also takes "nan", "inf" and hex floats: a demand is a plain
     * decimal number, so anything else is refused. */
    if (*end || errno == ERANGE || !isfinite(v) || strpbrk(R->val, "xXnNiI")) {
        failf(R, R->rec_line, "value '%s' is not a number", R->val);
        goto reset;
    }
    if (v > 1e12) {
        /* beyond any stock count; and the output's fixed decimals would not hold it */
        failf(R, R->rec_line, "value %s is too large (at most 1e12)", R->val);
        goto reset;
    }
    if (v < 0) {
        failf(R, R->rec_line, "value %s is negative (a demand cannot be)", R->val);
        goto reset;
    }
    sid = intern(R, R->id);
    if (sid < 0) {
        failf(R, R->rec_line, "out of memory");
        goto reset;
    }
    if (R->nrows == R->caprows) {
        size_t nc = R->caprows ? R->caprows * 2 : 4096;
        struct row *nr = realloc(R->rows, nc * sizeof(*nr));
        if (!nr) {
            failf(R, R->rec_line, "out of memory");
            goto reset;
        }
        R->rows = nr;
        R->caprows = nc;
    }
    r = &R->rows[R->nrows++];
    r->series = sid;
    r->period = per;
    r->value = v;
    r->line = R->rec_line;
reset:
    R->nf = 0;
    R->id[0] = R->per[0] = R->val[0] = '\0';
    R->id_long = R->per_long = R->val_long = 0;
}

static int only_eol(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != '\r' && s[i] != '\n')
            return 0;
    return 1;
}

static int read_input(struct reader *R)
{
    struct csv_parser p;
    FILE *fp;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;

    fp = fopen(R->path, "rb");
    if (!fp) {
        snprintf(R->msg, sizeof(R->msg), "%s: cannot open: %s", R->path, strerror(errno));
        return -1;
    }
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        fclose(fp);
        snprintf(R->msg, sizeof(R->msg), "%s: out of memory", R->path);
        return -1;
    }
    while (!R->failed && (n = getline(&line, &cap, fp)) != -1) {
        const char *s = line;
        size_t len = (size_t)n;
        R->cur_line++;
        if (R->cur_line == 1 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
            s += 3;
            len -= 3;
        }
        if (!R->in_record && !only_eol(s, len)) {
            R->in_record = 1;
            R->rec_line = R->cur_line;
        }
        if (csv_parse(&p, s, len, on_field, on_record, R) != len && !R->failed)
            failf(R, R->in_record ? R->rec_line : R->cur_line, "%s",
                  csv_error(&p) == CSV_EPARSE ? "malformed quoting" : csv_strerror(csv_error(&p)));
    }
    if (!R->failed && ferror(fp))
        failf(R, R->cur_line, "read error: %s", strerror(errno));
    if (!R->failed && csv_fini(&p, on_field, on_record, R) != 0)
        failf(R, R->rec_line ? R->rec_line : R->cur_line,
              "malformed quoting (an unterminated quoted field?)");
    csv_free(&p);
    free(line);
    fclose(fp);
    if (!R->failed && !R->header_done)
        failf(R, 1, "the file is empty (no header line)");
    if (!R->failed && R->nrows == 0)
        failf(R, 2, "no data rows after the header");
    return R->failed ? -1 : 0;
}

static int cmp_row(const void *a, const void *b)
{
    const struct row *x = a, *y = b;
    if (x->series != y->series)
        return x->series < y->series ? -1 : 1;
    if (x->period != y->period)
        return x->period < y->period ? -1 : 1;
    return (x->line > y->line) - (x->line < y->line);
}

static void format_period(enum pkind k, int64_t p, char out[32])
{
    if (k == P_MONTH)
        snprintf(out, 32, "%04lld-%02d", (long long)(p / 12), (int)(p % 12) + 1);
    else
        snprintf(out, 32, "%lld", (long long)p);
}

/* Duplicates and gaps, after sorting: the error with the smallest line
 * number wins, so the message points at the first bad line of the file. */
static int check_series(struct reader *R)
{
    int best = 0;
    char msg[512] = "";
    for (size_t i = 1; i < R->nrows; i++) {
        const struct row *a = &R->rows[i - 1], *b = &R->rows[i];
        char pa[32], pb[32];
        if (a->series != b->series)
            continue;
        if (best && b->line >= best)
            continue;
        format_period(R->kind, a->period, pa);
        format_period(R->kind, b->period, pb);
        if (a->period == b->period) {
            best = b->line;
            snprintf(msg, sizeof(msg),
                     "%s:%d: duplicate period %s for series '%s' (also on line %d)", R->path,
                     b->line, pb, R->ids[b->series], a->line);
        } else if (b->period != a->period + 1) {
            best = b->line;
            snprintf(msg, sizeof(msg),
                     "%s:%d: series '%s' jumps from period %s (line %d) to %s: periods are missing",
                     R->path, b->line, R->ids[b->series], pa, a->line, pb);
        }
    }
    if (best) {
        snprintf(R->msg, sizeof(R->msg), "%s", msg);
        return -1;
    }
    return 0;
}

static void put_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* Up to 4 decimals, trailing zeros dropped: 12.5, 0.3333, 2. */
static void put_number(FILE *f, double v)
{
    char b[64];
    size_t n;
    snprintf(b, sizeof(b), "%.4f", v);
    n = strlen(b);
    while (n > 0 && b[n - 1] == '0')
        b[--n] = '\0';
    if (n > 0 && b[n - 1] == '.')
        b[--n] = '\0';
    if (strcmp(b, "-0") == 0)
        strcpy(b, "0");
    fputs(b, f);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU time too: on a shared machine the wall clock says more about the
 * neighbours than about the forecast. */
static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: reliefctl forecast --input FILE.csv --horizon H --output FILE.csv\n"
               "         [--method auto|naive|ma|ses|croston|sba|tsb] [--backtest]\n"
               "Input columns series_id,period,value (periods: consecutive integers or\n"
               "YYYY-MM); output series_id,period,forecast,method.  --backtest prints the\n"
               "MASE of every method and of the automatic choice over all series\n"
               "(docs/forecasting.md).\n");
}

struct bt {
    double sum[FC_NMETHODS + 1];
    long scored, skipped;
    long chosen[FC_NMETHODS];
};

static void print_backtest(const struct bt *b, double secs, double cpus)
{
    printf("backtest: %ld series scored, %ld not scored (too short, or a constant or all-zero "
           "history: MASE undefined)\n",
           b->scored, b->skipped);
    if (b->scored == 0)
        return;
    printf("%-8s %8s %10s\n", "method", "MASE", "vs naive");
    for (int m = 0; m <= FC_NMETHODS; m++) {
        double mase = b->sum[m] / b->scored;
        printf("%-8s %8.4f %9.1f%%\n", m < FC_NMETHODS ? fc_method_name(m) : "auto", mase,
               100.0 * (mase / (b->sum[FC_NAIVE] / b->scored) - 1));
    }
    printf("auto chose:");
    for (int m = 0; m < FC_NMETHODS; m++)
        printf(" %s %ld", fc_method_name(m), b->chosen[m]);
    printf("\nbacktest time: %.3f s (%.3f s CPU)\n", secs, cpus);
}

int ctl_forecast(const struct config *cfg, int argc, char **argv)
{
    const char *in = NULL, *outp = NULL, *mname = "auto";
    long horizon = -1;
    int method, backtest = 0, rc = CTL_USAGE;
    struct reader R;
    struct fc_options opt;
    struct bt bt;
    double *y = NULL, t0, c0, t_read, c_read, t_fc = 0, c_fc = 0, t_bt = 0, c_bt = 0;
    FILE *out = NULL;
    size_t maxlen = 0;

    (void)cfg;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return CTL_OK;
        } else if (!strcmp(a, "--backtest")) {
            backtest = 1;
        } else if (i + 1 < argc && !strcmp(a, "--input")) {
            in = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "--output")) {
            outp = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "--method")) {
            mname = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "--horizon")) {
            char *e;
            errno = 0;
            horizon = strtol(argv[++i], &e, 10);
            if (*e || errno || horizon < 1 || horizon > MAX_HORIZON) {
                fprintf(stderr,
                        "reliefctl forecast: --horizon must be a whole number from 1 to %d\n",
                        MAX_HORIZON);
                return CTL_USAGE;
            }
        } else {
            fprintf(stderr, "reliefctl forecast: unknown or incomplete option %s\n", a);
            usage(stderr);
            return CTL_USAGE;
        }
    }
    method = fc_method_parse(mname);
    if (!in || !outp || horizon < 0 || method == FC_UNKNOWN) {
        if (method == FC_UNKNOWN)
            fprintf(stderr, "reliefctl forecast: unknown method '%s'\n", mname);
        usage(stderr);
        return CTL_USAGE;
    }

    memset(&R, 0, sizeof(R));
    memset(&bt, 0, sizeof(bt));
    R.path = in;
    R.c_series = R.c_period = R.c_value = -1;
    t0 = now();
    c0 = cpu();
    if (read_input(&R) != 0) {
        fprintf(stderr, "reliefctl forecast: %s\n", R.msg);
        goto done;
    }
    qsort(R.rows, R.nrows, sizeof(*R.rows), cmp_row);
    if (check_series(&R) != 0) {
        fprintf(stderr, "reliefctl forecast: %s\n", R.msg);
        goto done;
    }
    t_read = now() - t0;
    c_read = cpu() - c0;
    for (size_t i = 0, start = 0; i <= R.nrows; i++)
        if (i == R.nrows || R.rows[i].series != R.rows[start].series) {
            if (i - start > maxlen)
                maxlen = i - start;
            start = i;
        }
    y = malloc((maxlen ? maxlen : 1) * sizeof(*y));
    if (!y) {
        fprintf(stderr, "reliefctl forecast: out of memory\n");
        rc = CTL_CHECK_FAILED;
        goto done;
    }
    out = fopen(outp, "w");
    if (!out) {
        fprintf(stderr, "reliefctl forecast: cannot write %s: %s\n", outp, strerror(errno));
        goto done;
    }
    fputs("series_id,period,forecast,method\n", out);
    fc_options_default(&opt);
    for (size_t start = 0; start < R.nrows;) {
        size_t end = start;
        struct fc_fit fit;
        double t1, c1;
        int n;
        while (end < R.nrows && R.rows[end].series == R.rows[start].series) {
            y[end - start] = R.rows[end].value;
            end++;
        }
        n = (int)(end - start);
        t1 = now();
        c1 = cpu();
        if (fc_select(y, n, method, &opt, &fit) != 0) {
            fprintf(stderr, "reliefctl forecast: series '%s' could not be forecast\n",
                    R.ids[R.rows[start].series]);
            rc = CTL_CHECK_FAILED;
            goto done;
        }
        t_fc += now() - t1;
        c_fc += cpu() - c1;
        for (long h = 1; h <= horizon; h++) {
            char per[32];
            format_period(R.kind, R.rows[end - 1].period + h, per);
            put_field(out, R.ids[R.rows[start].series]);
            fprintf(out, ",%s,", per);
            put_number(out, fit.forecast);
            fprintf(out, ",%s\n", fc_method_name(fit.method));
        }
        if (backtest) {
            struct fc_eval ev;
            t1 = now();
            c1 = cpu();
            if (fc_evaluate(y, n, &opt, &ev) == 0) {
                for (int m = 0; m < FC_NMETHODS; m++)
                    bt.sum[m] += ev.mase[m];
                bt.sum[FC_NMETHODS] += ev.mase_auto;
                bt.chosen[ev.auto_method]++;
                bt.scored++;
            } else {
                bt.skipped++;
            }
            t_bt += now() - t1;
            c_bt += cpu() - c1;
        }
        start = end;
    }
    if (fclose(out) != 0) {
        out = NULL;
        fprintf(stderr, "reliefctl forecast: cannot write %s: %s\n", outp, strerror(errno));
        goto done;
    }
    out = NULL;
    fprintf(stderr,
            "forecast: %zu rows, %d series read and checked in %.3f s (%.3f s CPU); "
            "forecast (%s) in %.3f s (%.3f s CPU)\n",
            R.nrows, R.nids, t_read, c_read, mname, t_fc, c_fc);
    if (backtest)
        print_backtest(&bt, t_bt, c_bt);
    rc = CTL_OK;
done:
    if (out)
        fclose(out);
    free(y);
    free(R.rows);
    for (int32_t k = 0; k < R.nids; k++)
        free(R.ids[k]);
    free(R.ids);
    free(R.slots);
    return rc;
}
