/*
 * test_plan.c -- the pure arithmetic of domain/plan.c (plan.h states the
 * formulas) on small fixtures worked out by hand.  Quantities in milli.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "core/util.h"
#include "domain/plan.h"

#define U QTY_SCALE

static struct pl_line line(int town, int64_t item, int64_t required, int64_t on_hand)
{
    struct pl_line l;
    memset(&l, 0, sizeof(l));
    l.town = town;
    l.item_id = item;
    l.integral = 1;
    l.required = required * U;
    l.on_hand = on_hand * U;
    return l;
}

static void test_projection(void **state)
{
    /* 100 on hand - 12.5 forecast use - 20 expiring + 10 on order + 5
     * inbound = 82.5; target 100 + 4 safety = 104: short 21.5 -> 22 whole
     * units, of which 20 replace the expiring stock. */
    struct pl_line l = line(0, 1, 100, 100);
    (void)state;
    l.forecast_use = 12500;
    l.expiring = 20 * U;
    l.on_order = 10 * U;
    l.inbound = 5 * U;
    l.safety = 4 * U;
    pl_line_compute(&l);
    assert_int_equal(l.projected, 82500);
    assert_int_equal(l.shortfall, 22 * U);
    assert_int_equal(l.surplus, 0);
    assert_int_equal(l.replace_part, 20 * U);
    assert_int_equal(l.forecast_part, 2 * U);
    /* Not integral (litres): no rounding. */
    l.integral = 0;
    pl_line_compute(&l);
    assert_int_equal(l.shortfall, 21500);
}

static void test_expiring_replaced_without_forecast(void **state)
{
    /* Exactly at the standard, no demand ever, but 30 expire before the
     * season ends: 30 to replace, all of it "certain". */
    struct pl_line l = line(0, 1, 100, 100);
    (void)state;
    l.expiring = 30 * U;
    pl_line_compute(&l);
    assert_int_equal(l.forecast_use, 0);
    assert_int_equal(l.shortfall, 30 * U);
    assert_int_equal(l.replace_part, 30 * U);
    assert_int_equal(l.forecast_part, 0);
}

static void test_transfer_never_below_standard(void **state)
{
    /* Town 0 is short 20.  Town 1 (nearest) holds exactly its standard:
     * nothing may leave it.  Town 2 holds 110 against 100 + 5 safety: 5
     * may leave.  Town 3 (farthest) has 50 spare: gives the other 15. */
    struct pl_town towns[4] = {
        {22.80, 113.75, 1}, {22.81, 113.76, 1}, {22.90, 113.80, 1}, {23.10, 114.00, 1}};
    struct pl_line l[4] = {line(0, 7, 100, 80), line(1, 7, 100, 100), line(2, 7, 100, 110),
                           line(3, 7, 100, 150)};
    struct pl_transfer t[16];
    int n;
    (void)state;
    l[2].safety = 5 * U;
    for (int i = 0; i < 4; i++)
        pl_line_compute(&l[i]);
    assert_int_equal(l[0].shortfall, 20 * U);
    assert_int_equal(l[1].surplus, 0);
    assert_int_equal(l[2].surplus, 5 * U);
    n = pl_transfers(l, 4, towns, 4, t, 16);
    assert_int_equal(n, 2);
    assert_int_equal(t[0].from_line, 2);
    assert_int_equal(t[0].to_line, 0);
    assert_int_equal(t[0].qty, 5 * U);
    assert_int_equal(t[1].from_line, 3);
    assert_int_equal(t[1].qty, 15 * U);
    assert_true(t[0].km < t[1].km);
    for (int i = 0; i < n; i++)
        assert_int_not_equal(t[i].from_line, 1);
    assert_int_equal(l[0].transfer_in, 20 * U);
    assert_int_equal(l[2].transfer_out, 5 * U);
    /* Nothing left to buy for town 0. */
    {
        struct pl_purchase p;
        pl_purchase(&l[0], 0, 30, 20000, 19000, &p);
        assert_int_equal(p.qty, 0);
        assert_false(p.urgent);
    }
    /* Too little room for the transfers: -1, not a silent truncation. */
    for (int i = 0; i < 4; i++)
        pl_line_compute(&l[i]);
    assert_int_equal(pl_transfers(l, 4, towns, 4, t, 1), -1);
}

static void test_transfer_other_item_and_nearest(void **state)
{
    /* A surplus of another item is no help; of two sources the nearer
     * gives first even when the farther has more. */
    struct pl_town towns[3] = {{22.0, 113.0, 1}, {22.5, 113.0, 1}, {22.1, 113.0, 1}};
    struct pl_line l[4] = {line(0, 1, 10, 0), line(1, 1, 10, 100), line(2, 1, 10, 14),
                           line(2, 2, 0, 500)};
    struct pl_transfer t[8];
    int n;
    (void)state;
    for (int i = 0; i < 4; i++)
        pl_line_compute(&l[i]);
    n = pl_transfers(l, 4, towns, 3, t, 8);
    assert_int_equal(n, 2);
    assert_int_equal(t[0].from_line, 2); /* 11 km away */
    assert_int_equal(t[0].qty, 4 * U);
    assert_int_equal(t[1].from_line, 1); /* 56 km away */
    assert_int_equal(t[1].qty, 6 * U);
    assert_int_equal(l[3].transfer_out, 0);
}

static void test_purchase_urgent(void **state)
{
    /* Season starts on day 20000; today is 19990; the supplier needs 30
     * days: order by 19970, already past -> urgent.  With 7 days: 19993,
     * still ahead -> not urgent. */
    struct pl_line l = line(0, 1, 50, 10);
    struct pl_purchase p;
    (void)state;
    pl_line_compute(&l);
    l.transfer_in = 15 * U;
    pl_purchase(&l, 3, 30, 20000, 19990, &p);
    assert_int_equal(p.line, 3);
    assert_int_equal(p.qty, 25 * U);
    assert_int_equal(l.purchase, 25 * U);
    assert_int_equal(p.order_by, 19970);
    assert_true(p.urgent);
    pl_purchase(&l, 3, 7, 20000, 19990, &p);
    assert_int_equal(p.order_by, 19993);
    assert_false(p.urgent);
}

static void test_haversine(void **state)
{
    (void)state;
    /* One degree of latitude: 6371 * pi / 180 = 111.19 km. */
    assert_float_equal(pl_haversine_km(22, 113, 23, 113), 111.19492664, 1e-6);
    assert_float_equal(pl_haversine_km(22, 113, 22, 113), 0, 1e-12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_projection),
        cmocka_unit_test(test_expiring_replaced_without_forecast),
        cmocka_unit_test(test_transfer_never_below_standard),
        cmocka_unit_test(test_transfer_other_item_and_nearest),
        cmocka_unit_test(test_purchase_urgent),
        cmocka_unit_test(test_haversine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
