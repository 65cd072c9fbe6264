/*
 * test_maintenance.c -- the pure rules of purchasing and equipment service
 * (domain/procure.c): next-due dates across month ends and leap days,
 * over-delivery tolerance in milli units, and the state an order reaches
 * from its lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "domain/procure.h"

static void next_is(const char *done, int days, const char *want)
{
    char out[11] = "";
    if (maint_next_due(done, days, out) != 0)
        fail_msg("maint_next_due(%s, %d) refused", done, days);
    if (strcmp(out, want) != 0)
        fail_msg("maint_next_due(%s, %d) = %s, want %s", done, days, out, want);
}

static void test_next_due(void **state)
{
    (void)state;
    next_is("2026-01-31", 30, "2026-03-02"); /* a monthly test run over February */
    next_is("2028-02-28", 1, "2028-02-29");  /* leap year */
    next_is("2027-02-28", 1, "2027-03-01");
    next_is("2028-02-29", 365, "2029-02-28"); /* a yearly inspection from a leap day */
    next_is("2026-12-31", 1, "2027-01-01");
    next_is("2026-06-15", 3650, "2036-06-12");
}

static void test_next_due_refused(void **state)
{
    char out[11];
    (void)state;
    assert_int_equal(maint_next_due("2026-02-30", 30, out), -1);
    assert_int_equal(maint_next_due("2026-1-5", 30, out), -1);
    assert_int_equal(maint_next_due(NULL, 30, out), -1);
    assert_int_equal(maint_next_due("2026-01-01", 0, out), -1);
    assert_int_equal(maint_next_due("2026-01-01", 3651, out), -1);
    assert_int_equal(procure_add_days("9999-12-31", 1, out), -1);
    assert_int_equal(procure_add_days("2026-03-01", -1, out), 0);
    assert_string_equal(out, "2026-02-28");
}

static void test_over_delivery(void **state)
{
    int over = -1;
    (void)state;
    /* 20 tents ordered (milli units), 12 in, 8 more: exactly complete. */
    assert_int_equal(po_over_beyond(20000, 12000, 8000, 0, &over), 0);
    assert_int_equal(over, 0);
    /* One more with no tolerance: over and beyond. */
    assert_int_equal(po_over_beyond(20000, 20000, 1000, 0, &over), 1);
    assert_int_equal(over, 1);
    /* 5 % of 20 is 1: 21 is over but within, 22 is beyond. */
    assert_int_equal(po_over_beyond(20000, 12000, 9000, 50, &over), 0);
    assert_int_equal(over, 1);
    assert_int_equal(po_over_beyond(20000, 12000, 10000, 50, &over), 1);
    /* 2.5 % of 500.5 L is 12.5125 L, rounded down to 12.512: 513.012 is
     * within, 513.013 beyond (the tolerance never grows by rounding). */
    assert_int_equal(po_over_beyond(500500, 0, 513012, 25, &over), 0);
    assert_int_equal(po_over_beyond(500500, 0, 513013, 25, &over), 1);
}

static void test_status_from_lines(void **state)
{
    (void)state;
    assert_string_equal(po_status_from_lines(2, 0, 0), "ordered");
    assert_string_equal(po_status_from_lines(2, 0, 1), "partially_received");
    assert_string_equal(po_status_from_lines(2, 1, 5000), "partially_received");
    assert_string_equal(po_status_from_lines(2, 2, 5000), "received");
    assert_string_equal(po_status_from_lines(0, 0, 0), "ordered");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_next_due),
        cmocka_unit_test(test_next_due_refused),
        cmocka_unit_test(test_over_delivery),
        cmocka_unit_test(test_status_from_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
