/*
 * test_forecast.c -- backend/src/forecast against figures worked out by hand
 * (the working is in the comments) and one published value.
 *
 * Published value: the test suite of Durbyn.jl (a Julia port of R's
 * forecast::croston, same initialisation: size = first demand, interval =
 * its 1-based position) gives 1.5915857605177997 for Croston with alpha 0.1
 * on 0 0 5 0 0 3 0 0 0 7 0 0 4 0 0, and 1/11 for ten zeros then a 1.
 * Our own hand working of the first: demands 5 (at period 3), 3 (gap 3),
 * 7 (gap 4), 4 (gap 3): z = 5, 4.8, 5.02, 4.918; p = 3, 3, 3.1, 3.09;
 * 4.918 / 3.09 = 1.591585760...
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "forecast/forecast.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define EPS 1e-9

static void run(int m, double alpha, double beta, int window, const double *y, int n,
                double *fitted)
{
    struct fc_params p = {alpha, beta, window};
    fc_run(m, &p, y, n, fitted);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(fc_method_name(FC_SBA), "sba");
    assert_null(fc_method_name(FC_NMETHODS));
    assert_int_equal(fc_method_parse("auto"), FC_AUTO);
    assert_int_equal(fc_method_parse("tsb"), FC_TSB);
    assert_int_equal(fc_method_parse("holt"), FC_UNKNOWN);
}

static void test_naive_ma(void **state)
{
    double y[] = {1, 2, 3, 4, 5}, f[6];
    (void)state;
    run(FC_NAIVE, 0, 0, 0, y, N(y), f);
    assert_float_equal(f[0], 0, EPS);
    assert_float_equal(f[3], 3, EPS);
    assert_float_equal(f[5], 5, EPS);
    /* MA(3): expanding mean until 3 periods are known, then the last 3. */
    run(FC_MA, 0, 0, 3, y, N(y), f);
    assert_float_equal(f[1], 1, EPS);
    assert_float_equal(f[2], 1.5, EPS);
    assert_float_equal(f[3], 2, EPS);
    assert_float_equal(f[4], 3, EPS);
    assert_float_equal(f[5], 4, EPS);
}

static void test_ses(void **state)
{
    /* l0 = 2; alpha .5: 2 -> 3 -> 4.5 -> 4.25 */
    double y[] = {2, 4, 6, 4}, f[5];
    (void)state;
    run(FC_SES, 0.5, 0, 0, y, N(y), f);
    assert_float_equal(f[1], 2, EPS);
    assert_float_equal(f[2], 3, EPS);
    assert_float_equal(f[3], 4.5, EPS);
    assert_float_equal(f[4], 4.25, EPS);
}

static void test_croston_sba_hand(void **state)
{
    /* alpha .5.  First demand 3 at position 2: z 3, p 2 -> 1.5.  Demand 6
     * three periods later: z = 3 + .5*3 = 4.5, p = 2 + .5*(3-2) = 2.5 ->
     * 1.8.  SBA multiplies by 1 - .5/2 = .75: 1.125 then 1.35. */
    double y[] = {0, 3, 0, 0, 6, 0}, f[7];
    (void)state;
    run(FC_CROSTON, 0.5, 0, 0, y, N(y), f);
    assert_float_equal(f[0], 0, EPS);
    assert_float_equal(f[1], 0, EPS);
    assert_float_equal(f[2], 1.5, EPS);
    assert_float_equal(f[4], 1.5, EPS);
    assert_float_equal(f[5], 1.8, EPS);
    assert_float_equal(f[6], 1.8, EPS);
    run(FC_SBA, 0.5, 0, 0, y, N(y), f);
    assert_float_equal(f[2], 1.125, EPS);
    assert_float_equal(f[6], 1.35, EPS);
}

static void test_croston_published(void **state)
{
    double y[] = {0, 0, 5, 0, 0, 3, 0, 0, 0, 7, 0, 0, 4, 0, 0}, f[16];
    double one[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, g[12];
    (void)state;
    run(FC_CROSTON, 0.1, 0, 0, y, N(y), f);
    assert_float_equal(f[15], 1.5915857605177997, 1e-12);
    /* SBA: the same times 1 - 0.1/2. */
    run(FC_SBA, 0.1, 0, 0, y, N(y), f);
    assert_float_equal(f[15], 1.5915857605177997 * 0.95, 1e-12);
    run(FC_CROSTON, 0.1, 0, 0, one, N(one), g);
    assert_float_equal(g[11], 1.0 / 11, 1e-12);
}

static void test_tsb_hand(void **state)
{
    /* alpha .5, beta .2.  First demand 3 at position 2: z 3, prob 1/2 ->
     * 1.5.  Zero: prob .4 -> 1.2; zero: .32 -> .96; demand 6: z 4.5,
     * prob .32 + .2*.68 = .456 -> 2.052; zero: prob .3648 -> 1.6416. */
    double y[] = {0, 3, 0, 0, 6, 0}, f[7];
    (void)state;
    run(FC_TSB, 0.5, 0.2, 0, y, N(y), f);
    assert_float_equal(f[2], 1.5, EPS);
    assert_float_equal(f[3], 1.2, EPS);
    assert_float_equal(f[4], 0.96, EPS);
    assert_float_equal(f[5], 2.052, EPS);
    assert_float_equal(f[6], 1.6416, EPS);
}

static void test_optimise(void **state)
{
    /* A step from 0 to 10 that stays: SES's one-step error is smallest
     * with the largest alpha of the grid (.95), the moving average with the
     * shortest window (2). */
    double y[] = {0, 0, 0, 0, 10, 10, 10, 10, 10, 10};
    struct fc_params p;
    (void)state;
    fc_optimise(FC_SES, y, N(y), &p);
    assert_float_equal(p.alpha, 0.95, EPS);
    fc_optimise(FC_MA, y, N(y), &p);
    assert_int_equal(p.window, 2);
    /* Too short to fit anything: the defaults. */
    fc_optimise(FC_TSB, y, 2, &p);
    assert_float_equal(p.alpha, 0.1, EPS);
    assert_float_equal(p.beta, 0.1, EPS);
}

static void test_scale(void **state)
{
    double y[] = {1, 3, 2, 2};
    (void)state;
    assert_float_equal(fc_naive_scale(y, 4), 1.0, EPS); /* (2 + 1 + 0) / 3 */
    assert_float_equal(fc_naive_scale(y, 1), 0.0, EPS);
}

static void test_all_zero(void **state)
{
    double y[24] = {0};
    struct fc_fit fit;
    struct fc_eval ev;
    double q;
    (void)state;
    assert_int_equal(fc_select(y, N(y), FC_AUTO, NULL, &fit), 0);
    assert_int_equal(fit.rule, FC_RULE_BACKTEST);
    assert_int_equal(fit.origins, 18); /* n - 6: 6 kept for training (48 at most) */
    assert_float_equal(fit.forecast, 0, EPS);
    /* Every method scores 0; the tie goes to the simplest. */
    assert_int_equal(fit.method, FC_NAIVE);
    assert_float_equal(fit.scale, 0, EPS);
    assert_float_equal(fit.mase[FC_TSB], -1, EPS); /* undefined, not 0 or inf */
    assert_float_equal(fit.mae[FC_TSB], 0, EPS);
    assert_int_equal(fc_lead_quantile(&fit, y, N(y), 3, 0.95, &q), 0);
    assert_float_equal(q, 0, EPS);
    /* The out-of-sample evaluation refuses a series without a scale. */
    assert_int_equal(fc_evaluate(y, N(y), NULL, &ev), -1);
    for (int m = 0; m < FC_NMETHODS; m++) {
        assert_int_equal(fc_select(y, N(y), m, NULL, &fit), 0);
        assert_float_equal(fit.forecast, 0, EPS);
    }
}

static void test_constant(void **state)
{
    double y[20];
    struct fc_fit fit;
    double q;
    (void)state;
    for (int i = 0; i < N(y); i++)
        y[i] = 4;
    assert_int_equal(fc_select(y, N(y), FC_AUTO, NULL, &fit), 0);
    assert_int_equal(fit.method, FC_NAIVE);
    assert_float_equal(fit.forecast, 4, EPS);
    assert_float_equal(fit.mae[FC_SES], 0, EPS);
    assert_float_equal(fit.mae[FC_CROSTON], 0, EPS);
    assert_float_equal(fit.mae[FC_TSB], 0, EPS);
    assert_true(fit.mae[FC_SBA] > 0); /* SBA's deflation is a bias on a constant */
    assert_int_equal(fc_lead_quantile(&fit, y, N(y), 3, 0.95, &q), 0);
    assert_float_equal(q, 12, EPS); /* no error at all: exactly 3 x 4 */
}

static void test_single_spike(void **state)
{
    /* One spike of 12 at period 4, zeros since: the backtest window (the
     * last 12) is all zeros, so the methods that return to 0 win and the
     * tie goes to naive; the spike still shows in the lead-time quantile. */
    double y[24] = {0};
    struct fc_fit fit;
    struct fc_options o;
    double q;
    (void)state;
    fc_options_default(&o);
    o.window = 12;
    y[4] = 12;
    assert_int_equal(fc_select(y, N(y), FC_AUTO, &o, &fit), 0);
    assert_int_equal(fit.method, FC_NAIVE);
    assert_float_equal(fit.forecast, 0, EPS);
    assert_float_equal(fit.scale, 24.0 / 11, EPS); /* |12| twice over 11 steps */
    assert_float_equal(fit.mase[FC_NAIVE], 0, EPS);
    /* Croston never forgets the spike; TSB decays but is not 0. */
    assert_true(fit.mae[FC_CROSTON] > fit.mae[FC_TSB]);
    assert_true(fit.mae[FC_TSB] > 0);
    /* Lead 1, p .95, naive: the errors are y[t] - y[t-1] for t = 1..23:
     * one +12, one -12, 21 zeros; sorted, the type-7 position is 22 * .95 =
     * 20.9, between the 21st (0) and 22nd (0) -> 0.  At p .99: 21.78,
     * between 0 and 12 -> .78 * 12 = 9.36. */
    assert_int_equal(fc_lead_quantile(&fit, y, N(y), 1, 0.95, &q), 0);
    assert_float_equal(q, 0, EPS);
    assert_int_equal(fc_lead_quantile(&fit, y, N(y), 1, 0.99, &q), 0);
    assert_float_equal(q, 9.36, 1e-9);
    /* A spike inside the window makes naive lose to a smoother method. */
    memset(y, 0, sizeof(y));
    y[3] = 5;
    y[8] = 4;
    y[18] = 6;
    y[19] = 0;
    assert_int_equal(fc_select(y, N(y), FC_AUTO, &o, &fit), 0);
    assert_int_equal(fit.rule, FC_RULE_BACKTEST);
    assert_true(fit.mae[fit.method] <= fit.mae[FC_NAIVE]);
}

static void test_short(void **state)
{
    /* 8 periods: 8 - 6 = 2 origins < 3, so no backtest.  With a zero:
     * SBA with alpha .1 (first demand 2 at position 1, then 4 two periods
     * later: z 2.2, p 1.1 -> 2 * .95 = 1.9).  Without: SES .2. */
    double y[] = {2, 0, 4, 0, 0, 0, 0, 0};
    double s[] = {5, 5, 10};
    struct fc_fit fit;
    (void)state;
    assert_int_equal(fc_select(y, N(y), FC_AUTO, NULL, &fit), 0);
    assert_int_equal(fit.rule, FC_RULE_SHORT);
    assert_int_equal(fit.origins, 0);
    assert_int_equal(fit.method, FC_SBA);
    assert_float_equal(fit.forecast, 0.95 * 2.2 / 1.1, EPS);
    assert_float_equal(fit.mase[FC_SBA], -1, EPS);
    assert_int_equal(fc_select(s, N(s), FC_AUTO, NULL, &fit), 0);
    assert_int_equal(fit.method, FC_SES);
    assert_float_equal(fit.forecast, 6, EPS); /* 5, 5, then 5 + .2 * 5 */
    /* One period, and none. */
    assert_int_equal(fc_select(s, 1, FC_AUTO, NULL, &fit), 0);
    assert_float_equal(fit.forecast, 5, EPS);
    assert_int_equal(fc_select(s, 0, FC_AUTO, NULL, &fit), -1);
    assert_int_equal(fc_select(s, 3, 99, NULL, &fit), -1);
}

static void test_backtest_selects(void **state)
{
    /* A regular demand of 6 every third period: Croston/TSB track the
     * rate 2 exactly once the states settle, naive is wrong at every
     * demand and the period after it. */
    double y[36];
    struct fc_fit fit;
    struct fc_eval ev;
    struct fc_options o;
    (void)state;
    fc_options_default(&o);
    o.window = 12; /* the same 12 origins as fc_evaluate's held-out part */
    for (int i = 0; i < N(y); i++)
        y[i] = i % 3 == 2 ? 6 : 0;
    assert_int_equal(fc_select(y, N(y), FC_AUTO, &o, &fit), 0);
    assert_int_equal(fit.rule, FC_RULE_BACKTEST);
    assert_true(fit.mase[fit.method] < fit.mase[FC_NAIVE]);
    /* naive backtest MAE: errors 6 at each of the 4 demands and 6 after
     * each (and at period 24, after the demand of 23): 8 * 6 / 12 = 4;
     * scale over the 24 training periods: 8 rises and 7 falls of 6 over 23
     * steps. */
    assert_float_equal(fit.mae[FC_NAIVE], 4, EPS);
    assert_float_equal(fit.scale, 15 * 6.0 / 23, EPS);
    assert_int_equal(fc_evaluate(y, N(y), &o, &ev), 0);
    assert_int_equal(ev.origins, 12);
    assert_float_equal(ev.mase[FC_NAIVE], fit.mase[FC_NAIVE], EPS);
    assert_true(ev.mase_auto < ev.mase[FC_NAIVE]);
}

static void test_quantile_normal_fallback(void **state)
{
    /* 5 periods, lead 3: only 2 error windows, so the normal approximation:
     * naive forecast 3; one-step errors 1, -1, 1, 0 -> RMSE sqrt(3/4);
     * p .5 -> z 0: exactly 3 * 3 = 9; p .975 -> 9 + 1.959964 * RMSE *
     * sqrt(3). */
    double y[] = {2, 3, 2, 3, 3};
    struct fc_fit fit = {0};
    double q;
    (void)state;
    fit.method = FC_NAIVE;
    assert_int_equal(fc_lead_quantile(&fit, y, N(y), 3, 0.5, &q), 0);
    assert_float_equal(q, 9, 1e-9);
    assert_int_equal(fc_lead_quantile(&fit, y, N(y), 3, 0.975, &q), 0);
    assert_float_equal(q, 9 + 1.959963985 * sqrt(0.75) * sqrt(3), 1e-6);
    assert_int_equal(fc_lead_quantile(&fit, y, N(y), 0, 0.5, &q), -1);
    assert_int_equal(fc_lead_quantile(&fit, y, N(y), 1, 1.0, &q), -1);
    assert_float_equal(fc_norm_quantile(0.5), 0, 1e-9);
    assert_float_equal(fc_norm_quantile(0.95), 1.644853627, 1e-7);
}

static void test_weights(void **state)
{
    /* Weighting the last period 0 removes its error from the backtest. */
    double y[20], w[20];
    struct fc_options o;
    struct fc_fit a, b;
    (void)state;
    for (int i = 0; i < 20; i++) {
        y[i] = i % 2 ? 4 : 2;
        w[i] = 1;
    }
    y[19] = 40;
    w[19] = 0;
    fc_options_default(&o);
    o.window = 12;
    assert_int_equal(fc_select(y, 20, FC_NAIVE, &o, &a), 0);
    o.weights = w;
    assert_int_equal(fc_select(y, 20, FC_NAIVE, &o, &b), 0);
    assert_float_equal(b.mae[FC_NAIVE], 2, EPS); /* 11 steps of 2 */
    assert_float_equal(a.mae[FC_NAIVE], (11 * 2 + 38) / 12.0, EPS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_naive_ma),
        cmocka_unit_test(test_ses),
        cmocka_unit_test(test_croston_sba_hand),
        cmocka_unit_test(test_croston_published),
        cmocka_unit_test(test_tsb_hand),
        cmocka_unit_test(test_optimise),
        cmocka_unit_test(test_scale),
        cmocka_unit_test(test_all_zero),
        cmocka_unit_test(test_constant),
        cmocka_unit_test(test_single_spike),
        cmocka_unit_test(test_short),
        cmocka_unit_test(test_backtest_selects),
        cmocka_unit_test(test_quantile_normal_fallback),
        cmocka_unit_test(test_weights),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
