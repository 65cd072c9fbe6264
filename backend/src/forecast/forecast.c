/*
 * forecast.c -- see forecast.h and docs/forecasting.md.
 *
 * Every method is a single pass that keeps a few numbers of state, so the
 * grid search (up to 100 parameter pairs for TSB) and the backtest stay in
 * the microseconds per series: the benchmark's 2,000 series of 60 months are
 * fitted, backtested and evaluated in well under a second.
 */
#include "forecast.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[FC_NMETHODS] = {"naive", "ma", "ses", "croston", "sba", "tsb"};

const char *fc_method_name(int m)
{
    return m >= 0 && m < FC_NMETHODS ? names[m] : NULL;
}

int fc_method_parse(const char *s)
{
    if (!s)
        return FC_UNKNOWN;
    if (strcmp(s, "auto") == 0)
        return FC_AUTO;
    for (int m = 0; m < FC_NMETHODS; m++)
        if (strcmp(s, names[m]) == 0)
            return m;
    return FC_UNKNOWN;
}

void fc_params_default(int method, struct fc_params *p)
{
    /* 0.1 is the customary constant for intermittent demand (Croston 1972,
     * Syntetos & Boylan 2005 use 0.05-0.2); SES gets the usual 0.2. */
    p->alpha = method == FC_SES ? 0.2 : 0.1;
    p->beta = 0.1;
    p->window = 3;
}

void fc_options_default(struct fc_options *o)
{
    o->window = 48;
    o->eval_window = 12;
    o->min_train = 6;
    o->min_window = 3;
    o->weights = NULL;
}

/* The first non-zero demand, or -1: Croston, SBA and TSB start there. */
static int first_demand(const double *y, int n)
{
    for (int t = 0; t < n; t++)
        if (y[t] > 0)
            return t;
    return -1;
}

static void run_croston(const double *y, int n, double alpha, double factor, double *fitted)
{
    int i0 = first_demand(y, n), last;
    double z, p;

    for (int t = 0; t <= n; t++)
        fitted[t] = 0;
    if (i0 < 0)
        return;
    z = y[i0];
    p = i0 + 1; /* the first interval counts from the period before the series */
    last = i0;
    fitted[i0 + 1] = factor * z / p;
    for (int t = i0 + 1; t < n; t++) {
        if (y[t] > 0) {
            z += alpha * (y[t] - z);
            p += alpha * ((t - last) - p);
            last = t;
        }
        fitted[t + 1] = factor * z / p;
    }
}

static void run_tsb(const double *y, int n, double alpha, double beta, double *fitted)
{
    int i0 = first_demand(y, n);
    double z, pr;

    for (int t = 0; t <= n; t++)
        fitted[t] = 0;
    if (i0 < 0)
        return;
    z = y[i0];
    pr = 1.0 / (i0 + 1);
    fitted[i0 + 1] = pr * z;
    for (int t = i0 + 1; t < n; t++) {
        /* The probability is updated every period, the size only on a
         * demand: that is what lets TSB decay towards 0 when demand stops,
         * where Croston keeps its last estimate for ever. */
        if (y[t] > 0) {
            z += alpha * (y[t] - z);
            pr += beta * (1 - pr);
        } else {
            pr -= beta * pr;
        }
        fitted[t + 1] = pr * z;
    }
}

void fc_run(int method, const struct fc_params *p, const double *y, int n, double *fitted)
{
    double sum = 0, l;
    int k;

    if (n < 1) {
        fitted[0] = 0;
        return;
    }
    fitted[0] = 0;
    switch (method) {
    case FC_NAIVE:
        for (int t = 1; t <= n; t++)
            fitted[t] = y[t - 1];
        break;
    case FC_MA:
        k = p->window > 0 ? p->window : 1;
        /* Fewer than k periods known: the mean of those there are. */
        for (int t = 1; t <= n; t++) {
            sum += y[t - 1];
            if (t > k)
                sum -= y[t - 1 - k];
            fitted[t] = sum / (t < k ? t : k);
        }
        break;
    case FC_SES:
        l = y[0];
        fitted[1] = l;
        for (int t = 1; t < n; t++) {
            l += p->alpha * (y[t] - l);
            fitted[t + 1] = l;
        }
        break;
    case FC_CROSTON:
        run_croston(y, n, p->alpha, 1.0, fitted);
        break;
    case FC_SBA:
        run_croston(y, n, p->alpha, 1.0 - p->alpha / 2, fitted);
        break;
    case FC_TSB:
        run_tsb(y, n, p->alpha, p->beta, fitted);
        break;
    default:
        for (int t = 1; t <= n; t++)
            fitted[t] = 0;
    }
}

static double sse(int method, const struct fc_params *p, const double *y, int n, double *fitted)
{
    double s = 0;
    fc_run(method, p, y, n, fitted);
    for (int t = 1; t < n; t++) {
        double e = y[t] - fitted[t];
        s += e * e;
    }
    return s;
}

/* Keep `cand` when its error is smaller by more than rounding noise, so that
 * ties stay with the earlier (smaller) parameter. */
static int better(double e, double best)
{
    if (isinf(best))
        return !isinf(e);
    return e < best - 1e-12 * (best > 1 ? best : 1);
}

void fc_optimise(int method, const double *y, int n, struct fc_params *p)
{
    static const int windows[] = {2, 3, 4, 6, 12};
    struct fc_params c;
    double best = INFINITY, e;
    double *fitted;

    fc_params_default(method, p);
    if (n < 3 || method == FC_NAIVE)
        return;
    fitted = malloc((size_t)(n + 1) * sizeof(*fitted));
    if (!fitted)
        return; /* the defaults stay: a worse fit, not a wrong one */
    c = *p;
    switch (method) {
    case FC_MA:
        for (size_t i = 0; i < sizeof(windows) / sizeof(windows[0]); i++) {
            if (windows[i] >= n)
                break;
            c.window = windows[i];
            e = sse(method, &c, y, n, fitted);
            if (better(e, best)) {
                best = e;
                *p = c;
            }
        }
        break;
    case FC_SES:
    case FC_CROSTON:
    case FC_SBA: {
        int top = method == FC_SES ? 19 : 10;
        for (int i = 1; i <= top; i++) {
            c.alpha = 0.05 * i;
            e = sse(method, &c, y, n, fitted);
            if (better(e, best)) {
                best = e;
                *p = c;
            }
        }
        break;
    }
    case FC_TSB:
        for (int i = 1; i <= 10; i++)
            for (int j = 1; j <= 10; j++) {
                c.alpha = 0.05 * i;
                c.beta = 0.05 * j;
                e = sse(method, &c, y, n, fitted);
                if (better(e, best)) {
                    best = e;
                    *p = c;
                }
            }
        break;
    default:
        break;
    }
    free(fitted);
}

double fc_naive_scale(const double *y, int n)
{
    double s = 0;
    if (n < 2)
        return 0;
    for (int t = 1; t < n; t++)
        s += fabs(y[t] - y[t - 1]);
    return s / (n - 1);
}

/* Weighted MAE of fitted against y over [from, n). */
static double backtest_mae(const double *y, const double *fitted, int from, int n, const double *w)
{
    double s = 0, sw = 0;
    for (int t = from; t < n; t++) {
        double wt = w ? w[t] : 1.0;
        s += wt * fabs(y[t] - fitted[t]);
        sw += wt;
    }
    return sw > 0 ? s / sw : 0;
}

static int has_zero(const double *y, int n)
{
    for (int t = 0; t < n; t++)
        if (y[t] <= 0)
            return 1;
    return 0;
}

int fc_select(const double *y, int n, int method, const struct fc_options *o, struct fc_fit *out)
{
    struct fc_options def;
    double *fitted;
    int w;

    if (!o) {
        fc_options_default(&def);
        o = &def;
    }
    memset(out, 0, sizeof(*out));
    for (int m = 0; m < FC_NMETHODS; m++)
        out->mae[m] = out->mase[m] = -1;
    if (n < 1 || (method != FC_AUTO && (method < 0 || method >= FC_NMETHODS)))
        return -1;
    fitted = malloc((size_t)(n + 1) * sizeof(*fitted));
    if (!fitted)
        return -1;
    w = n - o->min_train < o->window ? n - o->min_train : o->window;
    if (w >= o->min_window && w >= 1) {
        int from = n - w, best = -1;
        out->origins = w;
        out->scale = fc_naive_scale(y, from);
        for (int m = 0; m < FC_NMETHODS; m++) {
            struct fc_params p;
            if (method != FC_AUTO && m != method)
                continue;
            /* Parameters from the data before the first origin only; the
             * states then roll forward through the origins, so each
             * backtest forecast uses nothing after its own origin. */
            fc_optimise(m, y, from, &p);
            fc_run(m, &p, y, n, fitted);
            out->mae[m] = backtest_mae(y, fitted, from, n, o->weights);
            out->mase[m] = out->scale > 0 ? out->mae[m] / out->scale : -1;
            if (best < 0 || better(out->mae[m], out->mae[best]))
                best = m;
        }
        out->method = best;
        out->rule = method == FC_AUTO ? FC_RULE_BACKTEST : FC_RULE_FIXED;
        fc_optimise(out->method, y, n, &out->params);
    } else if (method == FC_AUTO) {
        out->method = has_zero(y, n) ? FC_SBA : FC_SES;
        out->rule = FC_RULE_SHORT;
        fc_params_default(out->method, &out->params);
    } else {
        out->method = method;
        out->rule = FC_RULE_FIXED;
        fc_optimise(method, y, n, &out->params);
    }
    fc_run(out->method, &out->params, y, n, fitted);
    out->forecast = fitted[n];
    free(fitted);
    return 0;
}

int fc_evaluate(const double *y, int n, const struct fc_options *o, struct fc_eval *ev)
{
    struct fc_options def;
    struct fc_fit f;
    double *fitted;
    int w, from;

    if (!o) {
        fc_options_default(&def);
        o = &def;
    }
    memset(ev, 0, sizeof(*ev));
    w = n - o->min_train < o->eval_window ? n - o->min_train : o->eval_window;
    if (w < o->min_window || w < 1)
        return -1;
    from = n - w;
    ev->origins = w;
    ev->scale = fc_naive_scale(y, from);
    if (!(ev->scale > 0))
        return -1;
    fitted = malloc((size_t)(n + 1) * sizeof(*fitted));
    if (!fitted)
        return -1;
    for (int m = 0; m < FC_NMETHODS; m++) {
        struct fc_params p;
        fc_optimise(m, y, from, &p);
        fc_run(m, &p, y, n, fitted);
        ev->mase[m] = backtest_mae(y, fitted, from, n, o->weights) / ev->scale;
    }
    /* The automatic choice made on the training part alone (with its own,
     * inner backtest), then scored like the others on the held-out part. */
    if (fc_select(y, from, FC_AUTO, o, &f) != 0) {
        free(fitted);
        return -1;
    }
    ev->auto_method = f.method;
    fc_run(f.method, &f.params, y, n, fitted);
    ev->mase_auto = backtest_mae(y, fitted, from, n, o->weights) / ev->scale;
    free(fitted);
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double fc_norm_quantile(double p)
{
    double lo = -40, hi = 40;
    if (!(p > 0 && p < 1))
        return p <= 0 ? -INFINITY : INFINITY;
    for (int i = 0; i < 200 && hi - lo > 1e-12; i++) {
        double mid = (lo + hi) / 2;
        if (0.5 * erfc(-mid / sqrt(2.0)) < p)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}

int fc_lead_quantile(const struct fc_fit *fit, const double *y, int n, int lead, double p,
                     double *q)
{
    double *fitted, *sum, *err, f, res;
    int ne = 0;

    if (lead < 1 || !(p > 0 && p < 1) || n < 1 || !fit || fit->method < 0 ||
        fit->method >= FC_NMETHODS)
        return -1;
    fitted = malloc((size_t)(n + 1) * sizeof(*fitted));
    sum = malloc((size_t)(n + 1) * sizeof(*sum));
    err = malloc((size_t)n * sizeof(*err));
    if (!fitted || !sum || !err) {
        free(fitted);
        free(sum);
        free(err);
        return -1;
    }
    fc_run(fit->method, &fit->params, y, n, fitted);
    f = fitted[n];
    sum[0] = 0;
    for (int t = 0; t < n; t++)
        sum[t + 1] = sum[t] + y[t];
    /* Period 0 has no forecast worth the name, so errors start at 1.  The
     * windows overlap (they share periods), which is why at least 8 are
     * asked for before their spread is trusted. */
    for (int t = 1; t + lead <= n; t++)
        err[ne++] = (sum[t + lead] - sum[t]) - lead * fitted[t];
    if (ne >= 8) {
        double h, frac;
        int lo;
        qsort(err, (size_t)ne, sizeof(*err), cmp_double);
        h = (ne - 1) * p;
        lo = (int)floor(h);
        frac = h - lo;
        res = lead * f + err[lo] + (lo + 1 < ne ? frac * (err[lo + 1] - err[lo]) : 0);
    } else if (n >= 2) {
        double s = 0;
        for (int t = 1; t < n; t++)
            s += (y[t] - fitted[t]) * (y[t] - fitted[t]);
        res = lead * f + fc_norm_quantile(p) * sqrt(s / (n - 1)) * sqrt((double)lead);
    } else {
        res = lead * f;
    }
    free(fitted);
    free(sum);
    free(err);
    *q = res > 0 ? res : 0;
    return 0;
}
