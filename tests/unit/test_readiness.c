/*
 * test_readiness.c -- the pure part of domain/readiness.c, against figures
 * worked out by hand (docs/readiness.md states the rules).
 *
 * No database: a standard, a season and a unit's stock are built here as
 * plain structs and rd_evaluate is run on them.  The cases are the ones a
 * town official would argue about: a lot that expires the day before the
 * season ends (not usable) or on that day (usable), a quarantined lot, a
 * substitute at its ratio, a substitute that may only count once, a town
 * with 800 reserve persons, a team member without a helmet.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "core/util.h"
#include "domain/readiness.h"

#define U QTY_SCALE

static int32_t day(const char *s)
{
    int32_t d;
    if (rd_day_parse(s, &d) != 0)
        fail_msg("bad date %s", s);
    return d;
}

static void check_day(int32_t d, const char *want)
{
    char got[11];
    rd_day_format(d, got);
    assert_string_equal(got, want);
}

static struct rd_settings defaults(void)
{
    struct rd_settings s;
    rd_settings_default(&s);
    return s;
}

/* ---------------------------------------------------------------- dates and seasons */

static void test_add_months(void **state)
{
    (void)state;
    check_day(rd_add_months(day("2027-01-31"), 1), "2027-02-28");
    check_day(rd_add_months(day("2028-01-31"), 1), "2028-02-29");
    check_day(rd_add_months(day("2027-04-01"), 12), "2028-04-01");
    check_day(rd_add_months(day("2027-04-01"), 0), "2027-04-01");
    check_day(rd_add_months(day("2027-03-31"), -1), "2027-02-28");
    check_day(rd_add_months(day("2027-01-15"), -13), "2025-12-15");
    check_day(rd_add_months(day("2027-08-31"), 6), "2028-02-29");
}

static void test_season_fill(void **state)
{
    struct rd_settings set = defaults();
    struct rd_season s;
    (void)state;

    rd_season_fill(2024, day("2024-04-04"), day("2024-10-15"), &set, &s);
    check_day(s.start, "2024-04-04");
    check_day(s.end, "2024-10-15");
    assert_string_equal(s.basis, "declared");

    /* 2022: only the start was declared; the end is the default 15 October. */
    rd_season_fill(2022, day("2022-03-24"), RD_NO_DAY, &set, &s);
    check_day(s.start, "2022-03-24");
    check_day(s.end, "2022-10-15");
    assert_string_equal(s.basis, "partly_declared");

    /* 2025: only the end. */
    rd_season_fill(2025, RD_NO_DAY, day("2025-10-27"), &set, &s);
    check_day(s.start, "2025-04-01");
    check_day(s.end, "2025-10-27");

    rd_season_fill(2027, RD_NO_DAY, RD_NO_DAY, &set, &s);
    check_day(s.start, "2027-04-01");
    check_day(s.end, "2027-10-15");
    assert_string_equal(s.basis, "default");
    assert_int_equal(s.year, 2027);

    /* A default of 29 February in a common year is the 28th. */
    assert_int_equal(rd_settings_apply(&set, "season_default_start", "02-29"), 0);
    rd_season_fill(2027, RD_NO_DAY, RD_NO_DAY, &set, &s);
    check_day(s.start, "2027-02-28");
}

static void test_settings(void **state)
{
    struct rd_settings set = defaults();
    (void)state;
    assert_int_equal(set.green_pct, 100);
    assert_int_equal(set.amber_pct, 80);
    assert_int_equal(set.stale_days, 180);
    assert_int_equal(rd_settings_apply(&set, "readiness_green_pct", "95"), 0);
    assert_int_equal(rd_settings_apply(&set, "readiness_amber_pct", "70"), 0);
    assert_int_equal(rd_settings_apply(&set, "stocktake_max_age_days", "90"), 0);
    assert_int_equal(set.green_pct, 95);
    assert_int_equal(set.amber_pct, 70);
    assert_int_equal(set.stale_days, 90);
    assert_int_equal(rd_settings_apply(&set, "season_default_end", "13-01"), -1);
    assert_int_equal(rd_settings_apply(&set, "season_default_end", "4-1"), -1);
    assert_int_equal(rd_settings_apply(&set, "readiness_green_pct", "x"), -1);
    assert_int_equal(set.end_m, 10); /* unchanged by the bad values */
    assert_int_equal(set.green_pct, 95);
    assert_int_equal(rd_settings_apply(&set, "somebody_elses", "whatever"), 0);
}

static void test_cutoff(void **state)
{
    struct rd_settings set = defaults();
    struct rd_season s;
    (void)state;
    rd_season_fill(2027, RD_NO_DAY, RD_NO_DAY, &set, &s);
    check_day(rd_cutoff(&s, -1), "2027-10-15");
    check_day(rd_cutoff(&s, 6), "2027-10-15"); /* 1 Oct is before the end: the end */
    check_day(rd_cutoff(&s, 7), "2027-11-01");
    check_day(rd_cutoff(&s, 12), "2028-04-01");
    check_day(rd_cutoff(&s, 0), "2027-10-15");
}

/* ---------------------------------------------------------------- arithmetic */

static void test_required(void **state)
{
    (void)state;
    /* 500-person standard, a town of 800: x 1.6, rounded up. */
    assert_int_equal(rd_required('5', 50 * U, 800, 1), 80 * U);
    assert_int_equal(rd_required('5', 2 * U, 800, 1), 4 * U);       /* 3.2 generators -> 4 */
    assert_int_equal(rd_required('5', 4500 * U, 801, 0), 7209 * U); /* litres, exact */
    assert_int_equal(rd_required('5', 1001, 333, 0), 667);          /* 0.666666 L -> 0.667 */
    assert_int_equal(rd_required('5', 1001, 333, 1), 1 * U);
    assert_int_equal(rd_required('5', 10 * U, 500, 1), 10 * U);
    assert_int_equal(rd_required('5', 0, 800, 1), 0);
    /* teams */
    assert_int_equal(rd_required('p', 2 * U, 30, 1), 60 * U);
    assert_int_equal(rd_required('p', 500, 31, 1), 16 * U); /* 15.5 -> 16 */
    assert_int_equal(rd_required('t', 12 * U, 30, 1), 12 * U);
    assert_int_equal(rd_required('f', 3 * U, 999, 1), 3 * U);
    /* absurd inputs do not wrap around */
    assert_int_equal(rd_required('p', QTY_MAX, 1000000, 1), -1);
}

static void test_status_and_coverage(void **state)
{
    (void)state;
    assert_int_equal(rd_status_of(100 * U, 100 * U, 100, 80), RD_GREEN);
    assert_int_equal(rd_status_of(100 * U - 1, 100 * U, 100, 80), RD_AMBER);
    assert_int_equal(rd_status_of(80 * U, 100 * U, 100, 80), RD_AMBER);
    assert_int_equal(rd_status_of(80 * U - 1, 100 * U, 100, 80), RD_RED);
    assert_int_equal(rd_status_of(0, 0, 100, 80), RD_GREEN);
    assert_int_equal(rd_status_of(0, 1, 100, 80), RD_RED);
    assert_int_equal(rd_coverage_x10(7 * U, 10 * U), 700);
    assert_int_equal(rd_coverage_x10(1 * U, 3 * U), 333);
    assert_int_equal(rd_coverage_x10(2 * U, 3 * U), 666); /* rounded down: never looks better */
    assert_int_equal(rd_coverage_x10(1000 * U, 1 * U), RD_COVERAGE_CAP_X10);
    assert_int_equal(rd_coverage_x10(5, 0), -1);
    assert_string_equal(rd_status_name(RD_AMBER), "amber");
    assert_null(rd_status_name(RD_NONE));
}

/* ---------------------------------------------------------------- rd_evaluate */

struct fixture {
    struct rd_standard std;
    struct rd_line lines[4];
    struct rd_sub subs[4];
    struct rd_kits kits;
    struct rd_kit kit;
    struct rd_kit_line kit_lines[3];
    struct rd_line_out out[4];
    struct rd_sub_out sub_out[4];
    int64_t kit_cap[1], kit_usable[3];
    struct rd_unit u;
    struct rd_settings set;
    struct rd_season season;
    int64_t work[32];
};

static void fx_init(struct fixture *f, int64_t persons)
{
    memset(f, 0, sizeof(*f));
    f->std.lines = f->lines;
    f->std.subs = f->subs;
    f->u.lines = f->out;
    f->u.subs = f->sub_out;
    f->u.kit_cap = f->kit_cap;
    f->u.kit_usable = f->kit_usable;
    f->u.persons = persons;
    f->set = defaults();
    /* The season of the tests: 25 March .. 10 October 2030. */
    rd_season_fill(2030, day("2030-03-25"), day("2030-10-10"), &f->set, &f->season);
}

static struct rd_line *add_line(struct fixture *f, int64_t item, char basis, int64_t qty,
                                int integral)
{
    struct rd_line *L = &f->lines[f->std.nlines++];
    L->id = f->std.nlines;
    L->item_id = item;
    L->basis = basis;
    L->qty = qty;
    L->integral = integral;
    L->min_shelf_months = -1;
    L->sub0 = f->std.nsubs;
    return L;
}

static void add_sub(struct fixture *f, struct rd_line *L, int64_t item, int64_t ratio, int integral)
{
    struct rd_sub *S = &f->subs[f->std.nsubs++];
    S->item_id = item;
    S->ratio = ratio;
    S->integral = integral;
    L->nsub++;
}

static void eval(struct fixture *f, const char *as_of, const struct rd_stock *st, int n)
{
    rd_evaluate(&f->std, f->kits.nkits ? &f->kits : NULL, &f->set, &f->season, day(as_of), st, n,
                f->work, &f->u);
}

#define X 101 /* the line's item */
#define Y 102 /* a substitute */
#define Z 103

/* Lots expiring the day before the season ends, on that day and the day
 * after; a quarantined lot; all against a 10-per-500 line. */
static void test_expiry_boundaries(void **state)
{
    struct fixture f;
    (void)state;
    fx_init(&f, 500);
    add_line(&f, X, '5', 10 * U, 1);
    struct rd_stock st[] = {
        {X, day("2030-10-09"), 0, 3 * U, 1, 0}, /* season end - 1: not usable */
        {X, day("2030-10-10"), 0, 1 * U, 1, 0}, /* the last day: usable */
        {X, day("2030-10-11"), 0, 4 * U, 1, 1}, /* + 1: usable, its count is stale */
        {X, day("2030-10-11"), 1, 5 * U, 1, 0}, /* quarantined */
    };
    eval(&f, "2030-01-15", st, 4);
    assert_int_equal(f.out[0].required, 10 * U);
    assert_int_equal(f.out[0].own, 5 * U);
    assert_int_equal(f.out[0].not_in_date, 3 * U);
    assert_int_equal(f.out[0].quarantined, 5 * U);
    assert_int_equal(f.out[0].from_subs, 0);
    assert_int_equal(f.out[0].coverage_x10, 500);
    assert_int_equal(f.out[0].status, RD_RED);
    check_day(f.out[0].cutoff, "2030-10-10");
    assert_int_equal(f.u.status, RD_RED);
    assert_int_equal(f.u.n_red, 1);
    assert_int_equal(f.u.n_short, 1);
    assert_int_equal(f.u.min_cov_x10, 500);
    assert_int_equal(f.u.worst_line, 0);
    /* Findings: the lot expiring inside the season is to be rotated, the
     * quarantined one is listed as such, one count is stale. */
    assert_int_equal(f.u.rotate_rows, 1);
    assert_int_equal(f.u.quarantined_rows, 1);
    assert_int_equal(f.u.stale_rows, 1);
    assert_int_equal(f.u.stock_rows, 4);
}

/* The same lots for a town of 800: 16 required. */
static void test_reserve_800(void **state)
{
    struct fixture f;
    (void)state;
    fx_init(&f, 800);
    add_line(&f, X, '5', 10 * U, 1);
    add_line(&f, Z, '5', 2 * U, 1); /* 3.2 -> 4 */
    struct rd_stock st[] = {
        {X, day("2031-01-01"), 0, 13 * U, 2, 0},
        {Z, RD_NEVER, 0, 4 * U, 1, 0},
    };
    eval(&f, "2030-01-15", st, 2);
    assert_int_equal(f.out[0].required, 16 * U);
    assert_int_equal(f.out[0].status, RD_AMBER); /* 13/16 = 81.25 % */
    assert_int_equal(f.out[0].coverage_x10, 812);
    assert_int_equal(f.out[1].required, 4 * U);
    assert_int_equal(f.out[1].status, RD_GREEN);
    assert_int_equal(f.u.status, RD_AMBER);
    assert_int_equal(f.u.n_green, 1);
    assert_int_equal(f.u.n_amber, 1);
}

/* A substitute at ratio 0.5: 5 of Y count as 2 of X (X in whole pieces),
 * using 4 of Y; one Y is left. */
static void test_substitute_ratio(void **state)
{
    struct fixture f;
    (void)state;
    fx_init(&f, 500);
    struct rd_line *L = add_line(&f, X, '5', 10 * U, 1);
    add_sub(&f, L, Y, 500, 1);
    struct rd_stock st[] = {
        {X, RD_NEVER, 0, 4 * U, 1, 0},
        {Y, RD_NEVER, 0, 5 * U, 1, 0},
    };
    eval(&f, "2030-01-15", st, 2);
    assert_int_equal(f.out[0].own, 4 * U);
    assert_int_equal(f.out[0].from_subs, 2 * U);
    assert_int_equal(f.sub_out[0].counted, 2 * U);
    assert_int_equal(f.sub_out[0].used, 4 * U);
    assert_int_equal(f.out[0].coverage_x10, 600);

    /* A sixth Y makes it 3: 7 of 10 (red); an eighth and ninth 8 of 10... */
    fx_init(&f, 500);
    L = add_line(&f, X, '5', 10 * U, 1);
    add_sub(&f, L, Y, 500, 1);
    st[1].qty = 8 * U;
    eval(&f, "2030-01-15", st, 2);
    assert_int_equal(f.out[0].from_subs, 4 * U);
    assert_int_equal(f.out[0].status, RD_AMBER); /* 8 of 10 */

    /* ... and never more than the gap: 100 Y fill exactly 6. */
    fx_init(&f, 500);
    L = add_line(&f, X, '5', 10 * U, 1);
    add_sub(&f, L, Y, 500, 1);
    st[1].qty = 100 * U;
    eval(&f, "2030-01-15", st, 2);
    assert_int_equal(f.out[0].from_subs, 6 * U);
    assert_int_equal(f.sub_out[0].used, 12 * U);
    assert_int_equal(f.out[0].status, RD_GREEN);
    assert_int_equal(f.out[0].coverage_x10, 1000);
}

/* A substitute with its own line counts only beyond that line's need. */
static void test_substitute_surplus_only(void **state)
{
    struct fixture f;
    (void)state;
    fx_init(&f, 500);
    struct rd_line *quilt = add_line(&f, X, '5', 10 * U, 1); /* quilts */
    add_sub(&f, quilt, Y, 1000, 1);                          /* sleeping bags count 1:1 */
    add_line(&f, Y, '5', 5 * U, 1);                          /* the bags' own line, later */
    struct rd_stock st[] = {
        {X, RD_NEVER, 0, 6 * U, 1, 0},
        {Y, RD_NEVER, 0, 7 * U, 1, 0},
    };
    eval(&f, "2030-01-15", st, 2);
    /* The bags' own line takes 5 first, although it comes later; 2 are left. */
    assert_int_equal(f.out[1].own, 7 * U);
    assert_int_equal(f.out[1].status, RD_GREEN);
    assert_int_equal(f.out[0].from_subs, 2 * U);
    assert_int_equal(f.out[0].own + f.out[0].from_subs, 8 * U);
    assert_int_equal(f.out[0].status, RD_AMBER);
}

/* One substitute for two short lines: each unit counts once, in line order. */
static void test_substitute_counted_once(void **state)
{
    struct fixture f;
    (void)state;
    fx_init(&f, 500);
    struct rd_line *a = add_line(&f, X, '5', 4 * U, 1);
    add_sub(&f, a, Y, 1000, 1);
    struct rd_line *b = add_line(&f, Z, '5', 4 * U, 1);
    add_sub(&f, b, Y, 1000, 1);
    struct rd_stock st[] = {
        {X, RD_NEVER, 0, 2 * U, 1, 0},
        {Y, RD_NEVER, 0, 3 * U, 1, 0},
        {Z, RD_NEVER, 0, 2 * U, 1, 0},
    };
    eval(&f, "2030-01-15", st, 3);
    assert_int_equal(f.out[0].from_subs, 2 * U); /* fills the first line's gap */
    assert_int_equal(f.out[1].from_subs, 1 * U); /* the one that is left */
    assert_int_equal(f.sub_out[0].used + f.sub_out[1].used, 3 * U);
}

/* A substitute lot must also last to the line's cut-off. */
static void test_substitute_cutoff(void **state)
{
    struct fixture f;
    (void)state;
    fx_init(&f, 500);
    struct rd_line *L = add_line(&f, X, '5', 4 * U, 0);
    add_sub(&f, L, Y, 2000, 0); /* 1 Y counts as 2 X */
    struct rd_stock st[] = {
        {Y, day("2030-10-09"), 0, 5 * U, 1, 0}, /* ends before the season does */
        {Y, day("2030-12-31"), 0, 1500, 1, 0},  /* 1.5 Y = 3 X */
    };
    eval(&f, "2030-01-15", st, 2);
    assert_int_equal(f.out[0].from_subs, 3 * U);
    assert_int_equal(f.sub_out[0].used, 1500);
    /* Y has no line of its own: its short-lived lot is still to be rotated. */
    assert_int_equal(f.u.rotate_rows, 1);
}

/* The line's minimum shelf life moves its cut-off past the season end. */
static void test_min_shelf(void **state)
{
    struct fixture f;
    (void)state;
    fx_init(&f, 500);
    struct rd_line *L = add_line(&f, X, '5', 4 * U, 1);
    L->min_shelf_months = 12; /* 2030-03-25 + 12 months = 2031-03-25 */
    struct rd_stock st[] = {
        {X, day("2031-03-24"), 0, 4 * U, 1, 0},
        {X, day("2031-03-25"), 0, 3 * U, 1, 0},
    };
    eval(&f, "2030-01-15", st, 2);
    check_day(f.out[0].cutoff, "2031-03-25");
    assert_int_equal(f.out[0].own, 3 * U);
    assert_int_equal(f.out[0].not_in_date, 4 * U);
    assert_int_equal(f.u.rotate_rows, 1); /* expires after the season, too soon for the line */
}

/* Team members without their kit: the gap divided by the quantity per person. */
static void test_team_members(void **state)
{
    struct fixture f;
    (void)state;
    fx_init(&f, 30);
    add_line(&f, X, 'p', 1 * U, 1);  /* helmets, 1 each: 30 */
    add_line(&f, Y, 'p', 2 * U, 1);  /* gloves, 2 pairs each: 60 */
    add_line(&f, Z, 't', 12 * U, 1); /* blowers, per team */
    struct rd_stock st[] = {
        {X, RD_NEVER, 0, 25 * U, 1, 0},
        {Y, RD_NEVER, 0, 51 * U, 1, 0},
        {Z, RD_NEVER, 0, 12 * U, 1, 0},
    };
    eval(&f, "2030-01-15", st, 3);
    assert_int_equal(f.out[0].required, 30 * U);
    assert_int_equal(f.out[0].missing_persons, 5);
    assert_int_equal(f.out[1].required, 60 * U);
    assert_int_equal(f.out[1].missing_persons, 5); /* 9 pairs short: 5 people */
    assert_int_equal(f.out[2].required, 12 * U);
    assert_int_equal(f.out[2].missing_persons, 0);
    assert_int_equal(f.u.missing_persons, 5);
}

/* Complete kits from in-date stock (expiry >= D), not quarantined. */
static void test_kit_capacity(void **state)
{
    struct fixture f;
    (void)state;
    fx_init(&f, 500);
    add_line(&f, X, '5', 10 * U, 1);
    f.kits.kits = &f.kit;
    f.kits.nkits = 1;
    f.kits.lines = f.kit_lines;
    f.kits.nlines = 2;
    f.kit.nlines = 2;
    f.kit_lines[0] = (struct rd_kit_line){X, 3 * U, "X", NULL, NULL, NULL};
    f.kit_lines[1] = (struct rd_kit_line){Y, 27 * U, "Y", NULL, NULL, NULL};
    struct rd_stock st[] = {
        {X, day("2030-01-14"), 0, 50 * U, 1, 0}, /* expired the day before D */
        {X, day("2030-01-15"), 0, 10 * U, 1, 0}, /* still good on D */
        {X, RD_NEVER, 1, 30 * U, 1, 0},          /* quarantined */
        {Y, day("2030-06-01"), 0, 80 * U, 1, 0}, /* 2 kits' worth (27 L each) */
    };
    eval(&f, "2030-01-15", st, 4);
    assert_int_equal(f.kit_usable[0], 10 * U);
    assert_int_equal(f.kit_usable[1], 80 * U);
    assert_int_equal(f.kit_cap[0], 2); /* min(10/3, 80/27) = min(3, 2) */
    /* Both X lots are to be rotated: one has expired, one expires before
     * the season starts; the quarantined one is listed apart. */
    assert_int_equal(f.u.rotate_rows, 2);
    assert_int_equal(f.u.quarantined_rows, 1);
}

static void test_risk_order(void **state)
{
    struct rd_unit a = {0}, b = {0}, c = {0}, d = {0};
    (void)state;
    a.code = "A";
    a.status = RD_AMBER;
    a.min_cov_x10 = 850;
    b.code = "B";
    b.status = RD_RED;
    b.min_cov_x10 = 900;
    c.code = "C";
    c.status = RD_RED;
    c.min_cov_x10 = 100;
    d.code = "D";
    d.status = RD_NONE;
    d.min_cov_x10 = -1;
    assert_true(rd_unit_risk_cmp(&c, &b) < 0); /* both red: lower coverage first */
    assert_true(rd_unit_risk_cmp(&b, &a) < 0); /* red before amber */
    assert_true(rd_unit_risk_cmp(&a, &d) < 0); /* no status last */
    assert_true(rd_unit_risk_cmp(&a, &a) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_months),
        cmocka_unit_test(test_season_fill),
        cmocka_unit_test(test_settings),
        cmocka_unit_test(test_cutoff),
        cmocka_unit_test(test_required),
        cmocka_unit_test(test_status_and_coverage),
        cmocka_unit_test(test_expiry_boundaries),
        cmocka_unit_test(test_reserve_800),
        cmocka_unit_test(test_substitute_ratio),
        cmocka_unit_test(test_substitute_surplus_only),
        cmocka_unit_test(test_substitute_counted_once),
        cmocka_unit_test(test_substitute_cutoff),
        cmocka_unit_test(test_min_shelf),
        cmocka_unit_test(test_team_members),
        cmocka_unit_test(test_kit_capacity),
        cmocka_unit_test(test_risk_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
