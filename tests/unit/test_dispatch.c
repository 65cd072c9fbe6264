/*
 * test_dispatch.c -- the pure parts of dispatching (domain/dispatch.c):
 * the distance the allocation sorts by, the surplus a source may give
 * without an override, and the state a dispatch shows from its picks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "domain/dispatch.h"

static void haversine_known_distances(void **state)
{
    (void)state;
    assert_true(dsp_haversine_km(23.1, 113.8, 23.1, 113.8) < 1e-9);
    /* One degree of latitude is about 111.2 km anywhere. */
    assert_true(fabs(dsp_haversine_km(22.0, 113.0, 23.0, 113.0) - 111.195) < 0.01);
    /* Symmetric. */
    assert_true(fabs(dsp_haversine_km(23.102549, 113.811971, 22.993618, 113.729167) -
                     dsp_haversine_km(22.993618, 113.729167, 23.102549, 113.811971)) < 1e-9);
    /* 石碣 depot to 石龙 depot (demo coordinates): about 5.7 km. */
    assert_true(fabs(dsp_haversine_km(23.102549, 113.811971, 23.112440, 113.866574) - 5.68) < 0.05);
    /* Antipodes: half the circumference, no NaN from rounding past 1. */
    assert_true(fabs(dsp_haversine_km(0, 0, 0, 180) - M_PI * 6371.0088) < 1e-6);
}

static void surplus_rules(void **state)
{
    (void)state;
    /* City depot: everything free. */
    assert_int_equal(dsp_surplus(0, 50000, 0, 0, 0), 50000);
    /* Town holding 120, required 100, nothing reserved: 20 spare. */
    assert_int_equal(dsp_surplus(1, 120000, 120000, 100000, 0), 20000);
    /* Reservations of open dispatches count against it. */
    assert_int_equal(dsp_surplus(1, 120000, 120000, 100000, 15000), 5000);
    /* Below standard already: nothing, never negative. */
    assert_int_equal(dsp_surplus(1, 80000, 80000, 100000, 0), 0);
    /* Capped by what the depot itself holds free (the town's other depots hold the rest). */
    assert_int_equal(dsp_surplus(1, 3000, 200000, 100000, 0), 3000);
    /* Nothing free: nothing, standard or not. */
    assert_int_equal(dsp_surplus(0, 0, 0, 0, 0), 0);
    assert_int_equal(dsp_surplus(1, -5, 10, 0, 0), 0);
}

static const char *st(int64_t npicks, int64_t ever, int64_t to_pick, int64_t picked,
                      int64_t shipped, int64_t received, int64_t shorted)
{
    struct dsp_totals t = {npicks, ever, to_pick, picked, shipped, received, shorted};
    return dsp_status_of(&t);
}

static void states_from_picks(void **state)
{
    (void)state;
    assert_string_equal(st(2, 0, 10, 0, 0, 0, 0), "allocated");
    assert_string_equal(st(2, 0, 10, 4, 0, 0, 0), "picking");
    assert_string_equal(st(2, 0, 10, 10, 0, 0, 0), "picked");
    assert_string_equal(st(2, 1, 10, 10, 4, 0, 0), "in_transit");
    assert_string_equal(st(3, 2, 10, 10, 10, 0, 0), "in_transit");
    assert_string_equal(st(3, 2, 10, 10, 10, 3, 0), "partially_received");
    /* A shortage written off counts as accounted for. */
    assert_string_equal(st(3, 2, 10, 10, 10, 9, 1), "closed");
    assert_string_equal(st(3, 2, 10, 10, 10, 10, 0), "closed");
    /* Everything that shipped arrived, but a pick is still open: not closed. */
    assert_string_equal(st(3, 2, 12, 10, 10, 10, 0), "partially_received");
    /* Cancelled before anything shipped; released after a shipment closes. */
    assert_string_equal(st(0, 0, 0, 0, 0, 0, 0), "cancelled");
    assert_string_equal(st(0, 1, 0, 0, 0, 0, 0), "closed");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(haversine_known_distances),
        cmocka_unit_test(surplus_rules),
        cmocka_unit_test(states_from_picks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
