/*
 * forecast.h -- demand forecasting for intermittent, lumpy series.
 *
 * Pure C: no database, no HTTP, no allocation the caller cannot see (the few
 * functions that need scratch space allocate it and free it before they
 * return).  docs/forecasting.md states the formulas, the choices and the
 * sources; the short version:
 *
 *  - six methods, all giving a flat forecast (the same rate for every future
 *    period): naive, moving average, simple exponential smoothing (SES),
 *    Croston, SBA (Croston times 1 - alpha/2) and TSB;
 *  - smoothing parameters (and the moving-average window) chosen per series by
 *    a grid search minimising the in-sample one-step squared error;
 *  - per series, the method chosen by a rolling-origin backtest over the last
 *    48 periods at most (parameters fitted on the data before the first origin,
 *    states rolled forward one period at a time), scored by MAE and reported
 *    as MASE (scaled by the in-sample naive one-step MAE);
 *  - quantiles of the demand over a lead time, for safety stock, from the
 *    empirical distribution of the method's own L-period in-sample errors.
 *
 * A series is an array y[0..n-1] of non-negative demands per period, oldest
 * first.  Index t means "period t"; a one-step forecast of period t uses
 * y[0..t-1] only.
 */
#ifndef RELIEF_FORECAST_H
#define RELIEF_FORECAST_H

enum fc_method { FC_NAIVE = 0, FC_MA, FC_SES, FC_CROSTON, FC_SBA, FC_TSB, FC_NMETHODS };
#define FC_AUTO (-1)
#define FC_UNKNOWN (-2)

/* "naive", "ma", ... (NULL when out of range); fc_method_parse: "auto" gives
 * FC_AUTO, an unknown name FC_UNKNOWN. */
const char *fc_method_name(int m);
int fc_method_parse(const char *s);

struct fc_params {
    double alpha; /* SES level; Croston/SBA size and interval; TSB size */
    double beta;  /* TSB demand probability */
    int window;   /* moving average */
};

/* The parameters used when a series is too short to fit any. */
void fc_params_default(int method, struct fc_params *p);

/*
 * One pass of `method` over y: fitted[t] (t = 0..n) is the forecast of period
 * t made from y[0..t-1]; fitted[n] is the forecast of every future period.
 * fitted[0] is 0 (nothing is known); Croston, SBA and TSB forecast 0 until
 * the first non-zero demand, which initialises them (size = that demand,
 * interval = its 1-based position, TSB probability = 1 / that position).
 */
void fc_run(int method, const struct fc_params *p, const double *y, int n, double *fitted);

/*
 * Grid search: the parameters minimising the mean squared one-step error over
 * periods 1..n-1 (ties: the smaller parameter).  Grids: SES alpha 0.05..0.95,
 * Croston/SBA alpha 0.05..0.50, TSB alpha and beta 0.05..0.50, all by 0.05;
 * moving-average window 2, 3, 4, 6, 12 (those shorter than n).  Series of
 * fewer than 3 periods get fc_params_default.
 */
void fc_optimise(int method, const double *y, int n, struct fc_params *p);

/* The in-sample naive one-step MAE, mean |y[t] - y[t-1]| over t = 1..n-1 (0
 * when n < 2): the MASE denominator. */
double fc_naive_scale(const double *y, int n);

struct fc_options {
    int window;            /* selection backtest origins, at most (default 48) */
    int eval_window;       /* fc_evaluate's held-out periods, at most (default 12) */
    int min_train;         /* periods before the first origin, at least (default 6) */
    int min_window;        /* fewer origins than this: no backtest (default 3) */
    const double *weights; /* per-period weight of a backtest error, or NULL (all 1) */
};
void fc_options_default(struct fc_options *o);

enum fc_rule {
    FC_RULE_BACKTEST = 0, /* chosen by the rolling-origin backtest */
    FC_RULE_SHORT,        /* too short to backtest: fixed rule (see fc_select) */
    FC_RULE_FIXED,        /* the caller named the method */
};

struct fc_fit {
    int method;
    struct fc_params params; /* fitted on the whole series */
    double forecast;         /* per future period */
    enum fc_rule rule;
    int origins;              /* backtest origins used (0: none) */
    double scale;             /* naive MAE before the first origin */
    double mae[FC_NMETHODS];  /* backtest MAE per method (-1: not run) */
    double mase[FC_NMETHODS]; /* mae / scale; -1 when not run or scale == 0 */
};

/*
 * Choose a method for y and forecast.  `method` FC_AUTO selects by backtest;
 * a named method is only fitted (and backtested, so its MASE is known).
 *
 * Selection: the method with the smallest backtest MAE (equivalently MASE:
 * the scale is common to all methods of a series), ties going to the earlier
 * (simpler) method of enum fc_method.  Series too short to backtest (fewer
 * than min_train + min_window periods) use SBA with its default alpha when
 * they contain a zero, else SES with its default alpha.  An all-zero series
 * forecasts 0 whatever the method; a constant series is forecast exactly by
 * every method but SBA and picks naive on the tie.
 * Returns 0, or -1 when n < 1 or method is out of range.
 */
int fc_select(const double *y, int n, int method, const struct fc_options *o, struct fc_fit *out);

/*
 * Out-of-sample evaluation of y for the CLI's --backtest and the benchmark:
 * the last `eval_window` periods are held out; every method is fitted on the rest
 * and scored on them, and so is "auto" (fc_select run on the training part
 * alone, so the choice never sees the held-out periods).  The held-out part
 * is min(eval_window, n - min_train) periods; returns -1 (nothing scored) when
 * that is below min_window or when the naive scale of the training part is 0
 * (MASE undefined: an all-zero or constant history).
 */
struct fc_eval {
    int origins;
    double scale;
    double mase[FC_NMETHODS];
    double mase_auto;
    int auto_method;
};
int fc_evaluate(const double *y, int n, const struct fc_options *o, struct fc_eval *ev);

/*
 * The p-quantile (0 < p < 1) of the total demand over the next `lead`
 * periods, for safety stock: lead * forecast + the empirical p-quantile
 * (linear interpolation, Hyndman-Fan type 7) of the in-sample errors
 * sum(y[t..t+lead-1]) - lead * fitted[t] over t = 1..n-lead.  With fewer than
 * 8 such errors: a normal approximation, lead * forecast + z_p * RMSE1 *
 * sqrt(lead), RMSE1 the one-step in-sample error.  Never below 0.  Returns -1
 * on bad arguments (lead < 1, p outside (0,1), n < 1), else 0.
 */
int fc_lead_quantile(const struct fc_fit *fit, const double *y, int n, int lead, double p,
                     double *q);

/* Standard normal quantile (bisection on erfc; |error| < 1e-9). */
double fc_norm_quantile(double p);

#endif
