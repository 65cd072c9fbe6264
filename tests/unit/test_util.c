/*
 * test_util.c -- quantities, dates, integers and string copies (core/util.c).
 *
 * These helpers stand between every request body and the ledger, so the
 * edge cases here are the ones a client can send: float noise in 0.1, too
 * many decimals, fractions of a tent, a 30th of February, a time without a
 * zone, an integer one past INT64_MAX.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/util.h"

/* ---- qty_from_double ---- */

static int64_t from_double_ok(double v, int integral)
{
    int64_t out = -777;
    if (qty_from_double(v, integral, &out) != 0)
        fail_msg("qty_from_double(%.17g, integral=%d) refused", v, integral);
    return out;
}

static void from_double_refused(double v, int integral)
{
    int64_t out = -777;
    if (qty_from_double(v, integral, &out) != -1)
        fail_msg("qty_from_double(%.17g, integral=%d) accepted as %lld milli", v, integral,
                 (long long)out);
    assert_int_equal(out, -777); /* untouched on failure */
}

static void test_qty_from_double_plain(void **state)
{
    (void)state;
    assert_int_equal(from_double_ok(0, 0), 0);
    assert_int_equal(from_double_ok(1, 1), 1000);
    assert_int_equal(from_double_ok(12, 1), 12000);
    assert_int_equal(from_double_ok(2.5, 0), 2500);
    assert_int_equal(from_double_ok(0.125, 0), 125);
    assert_int_equal(from_double_ok(0.001, 0), 1);
}

static void test_qty_from_double_float_noise(void **state)
{
    (void)state;
    /* 0.1 is 0.1000000000000000055... as a double; still exactly 100 milli. */
    assert_int_equal(from_double_ok(0.1, 0), 100);
    assert_int_equal(from_double_ok(0.3, 0), 300);
    assert_int_equal(from_double_ok(0.1 + 0.2, 0), 300); /* 0.30000000000000004 */
    assert_int_equal(from_double_ok(1.001, 0), 1001);
    assert_int_equal(from_double_ok(123456.789, 0), 123456789);
}

static void test_qty_from_double_too_fine(void **state)
{
    (void)state;
    from_double_refused(1e-4, 0);
    from_double_refused(0.0005, 0); /* would round to 0 or 1 milli: refuse */
    from_double_refused(0.0015, 0);
    from_double_refused(1.2345, 0);
    from_double_refused(-0.0001, 0);
}

/* util.h: "-1 if ... finer than 0.001" -- also for large quantities, where a
 * tolerance relative to the value would let 0.0004 slip through and round. */
static void test_qty_from_double_too_fine_large(void **state)
{
    (void)state;
    from_double_refused(1000.0004, 0);
    from_double_refused(5000.0004, 0);
    from_double_refused(123456.7894, 0);
    from_double_refused(600.0004, 1); /* 600.0004 tents are not 600 tents */
    from_double_refused(1000000.0002, 1);
    /* ... while float noise on large exact values is still fine */
    assert_int_equal(from_double_ok(5000.001, 0), 5000001);
    assert_int_equal(from_double_ok(987654321.123, 0), (int64_t)987654321123);
}

static void test_qty_from_double_integral(void **state)
{
    (void)state;
    from_double_refused(2.5, 1);
    from_double_refused(0.001, 1);
    from_double_refused(0.999, 1);
    from_double_refused(-1.5, 1);
    assert_int_equal(from_double_ok(3.0, 1), 3000);
    assert_int_equal(from_double_ok(-4, 1), -4000);
}

static void test_qty_from_double_negative(void **state)
{
    (void)state;
    /* The sign is kept (adjust takes signed quantities); callers refuse <= 0 elsewhere. */
    assert_int_equal(from_double_ok(-3.5, 0), -3500);
    assert_int_equal(from_double_ok(-0.001, 0), -1);
    assert_int_equal(from_double_ok(-0.0, 0), 0);
}

static void test_qty_from_double_range(void **state)
{
    (void)state;
    /* DECIMAL(15,3): at most 999,999,999,999.999 */
    assert_int_equal(from_double_ok(999999999999.0, 1), (int64_t)999999999999 * 1000);
    assert_int_equal(from_double_ok(-999999999999.0, 1), -(int64_t)999999999999 * 1000);
    from_double_refused(1e12, 0);
    from_double_refused(1e15, 0);
    from_double_refused(1e300, 0);
    from_double_refused(-1e300, 0);
    from_double_refused(INFINITY, 0);
    from_double_refused(-INFINITY, 0);
    from_double_refused(NAN, 0);
}

/* ---- qty_parse ---- */

static int64_t parse_ok(const char *s)
{
    int64_t out = -777;
    if (qty_parse(s, &out) != 0)
        fail_msg("qty_parse refused \"%s\"", s);
    return out;
}

static void parse_refused(const char *s)
{
    int64_t out = -777;
    if (qty_parse(s, &out) != -1)
        fail_msg("qty_parse accepted \"%s\" as %lld", s, (long long)out);
    assert_int_equal(out, -777);
}

static void test_qty_parse_ok(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("0"), 0);
    assert_int_equal(parse_ok("12"), 12000);
    assert_int_equal(parse_ok("-3.5"), -3500);
    assert_int_equal(parse_ok("0.125"), 125);
    assert_int_equal(parse_ok("0.1"), 100);
    assert_int_equal(parse_ok("0.001"), 1);
    assert_int_equal(parse_ok("-0.001"), -1);
    assert_int_equal(parse_ok("007"), 7000);
    /* Trailing zeros beyond three decimals are the same number. */
    assert_int_equal(parse_ok("1.5000"), 1500);
    assert_int_equal(parse_ok("2.000000"), 2000);
    /* As returned by MariaDB for DECIMAL(15,3). */
    assert_int_equal(parse_ok("12.500"), 12500);
    assert_int_equal(parse_ok("999999999999.999"), (int64_t)999999999999 * 1000 + 999);
}

static void test_qty_parse_refused(void **state)
{
    (void)state;
    parse_refused("");
    parse_refused("-");
    parse_refused("--1");
    parse_refused("+1");
    parse_refused(".5");
    parse_refused("1.");
    parse_refused("1.2.3");
    parse_refused("0.0001");
    parse_refused("0.1255");
    parse_refused("1e3");
    parse_refused("12a");
    parse_refused(" 12");
    parse_refused("12 ");
    parse_refused("abc");
    parse_refused("0x10");
    parse_refused("1,5");
    parse_refused("1000000000000");           /* 13 digits: beyond DECIMAL(15,3) */
    parse_refused("99999999999999999999999"); /* would overflow int64 */
}

/* ---- qty_format ---- */

static void format_is(int64_t milli, const char *want)
{
    char out[40];
    memset(out, 'x', sizeof(out));
    qty_format(milli, out, sizeof(out));
    assert_string_equal(out, want);
}

static void test_qty_format(void **state)
{
    (void)state;
    format_is(0, "0");
    format_is(1000, "1");
    format_is(12500, "12.5");
    format_is(125, "0.125");
    format_is(100, "0.1");
    format_is(10, "0.01");
    format_is(1, "0.001");
    format_is(1010, "1.01");
    format_is(-3500, "-3.5");
    format_is(-1, "-0.001");
    format_is(-2000, "-2");
    format_is(QTY_MAX, "999999999999");
    format_is(QTY_MAX + 999, "999999999999.999");
}

static void test_qty_format_roundtrip(void **state)
{
    (void)state;
    static const int64_t v[] = {0,     1,  9,    10,    99,     100,    999,     1000,    1001,
                                12345, -1, -999, -1000, -12345, 500000, QTY_MAX, -QTY_MAX};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        char s[40];
        int64_t back = 0;
        qty_format(v[i], s, sizeof(s));
        assert_int_equal(qty_parse(s, &back), 0);
        assert_int_equal(back, v[i]);
    }
}

static void test_qty_format_small_buffer(void **state)
{
    char out[4];
    (void)state;
    qty_format(123456, out, sizeof(out)); /* "123.456" cut, but terminated */
    assert_int_equal(strlen(out), 3);
    assert_memory_equal(out, "123", 3);
}

/* ---- date_parse ---- */

static void date_ok(const char *s, int wy, int wm, int wd)
{
    int y = 0, m = 0, d = 0;
    if (date_parse(s, &y, &m, &d) != 0)
        fail_msg("date_parse refused \"%s\"", s);
    assert_int_equal(y, wy);
    assert_int_equal(m, wm);
    assert_int_equal(d, wd);
}

static void date_refused(const char *s)
{
    int y, m, d;
    if (date_parse(s, &y, &m, &d) != -1)
        fail_msg("date_parse accepted \"%s\"", s);
}

static void test_date_parse_ok(void **state)
{
    (void)state;
    date_ok("2026-11-28", 2026, 11, 28);
    date_ok("2026-01-01", 2026, 1, 1);
    date_ok("2026-12-31", 2026, 12, 31);
    date_ok("2026-04-30", 2026, 4, 30);
    date_ok("2026-02-28", 2026, 2, 28);
}

static void test_date_parse_leap_years(void **state)
{
    (void)state;
    date_ok("2024-02-29", 2024, 2, 29); /* divisible by 4 */
    date_ok("2000-02-29", 2000, 2, 29); /* divisible by 400 */
    date_refused("2026-02-29");         /* common year */
    date_refused("2100-02-29");         /* divisible by 100, not 400 */
    date_refused("1900-02-29");
    date_refused("2024-02-30");
}

static void test_date_parse_refused(void **state)
{
    (void)state;
    date_refused("2026-02-30");
    date_refused("2026-04-31");
    date_refused("2026-13-01");
    date_refused("2026-00-10");
    date_refused("2026-01-00");
    date_refused("2026-01-32");
    date_refused("yesterday");
    date_refused("");
    date_refused("2026-1-01");
    date_refused("2026-01-1");
    date_refused("26-01-01");
    date_refused("2026/01/01");
    date_refused("20260101");
    date_refused(" 2026-01-01");
    date_refused("2026-01-01 ");
    date_refused("2026-01-01T00:00:00Z"); /* a date-time is not a date */
    date_refused("2026-01-0a");
    date_refused("-026-01-01");
    date_refused("1899-12-31"); /* outside the supported years */
    date_refused("3000-01-01");
}

/* ---- datetime_parse ---- */

static time_t dt_ok(const char *s)
{
    time_t t = 0;
    if (datetime_parse(s, &t) != 0)
        fail_msg("datetime_parse refused \"%s\"", s);
    return t;
}

static void dt_refused(const char *s)
{
    time_t t = 12345;
    if (datetime_parse(s, &t) != -1)
        fail_msg("datetime_parse accepted \"%s\"", s);
    assert_int_equal(t, 12345);
}

#define T_2026_11_28_10Z ((time_t)1795860000) /* date -u -d 2026-11-28T10:00:00Z +%s */

static void test_datetime_parse_zones(void **state)
{
    (void)state;
    assert_int_equal(dt_ok("2026-11-28T10:00:00Z"), T_2026_11_28_10Z);
    assert_int_equal(dt_ok("2026-11-28t10:00:00z"), T_2026_11_28_10Z);
    assert_int_equal(dt_ok("2026-11-28 10:00:00Z"), T_2026_11_28_10Z);
    assert_int_equal(dt_ok("2026-11-28T18:00:00+08:00"), T_2026_11_28_10Z);
    assert_int_equal(dt_ok("2026-11-28T05:00:00-05:00"), T_2026_11_28_10Z);
    assert_int_equal(dt_ok("2026-11-28T10:00:00+00:00"), T_2026_11_28_10Z);
    assert_int_equal(dt_ok("2026-11-28T10:00:00-00:00"), T_2026_11_28_10Z);
    /* An offset that crosses midnight and a month end. */
    assert_int_equal(dt_ok("2026-12-01T02:00:00+08:00"), dt_ok("2026-11-30T18:00:00Z"));
    assert_int_equal(dt_ok("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(dt_ok("2024-02-29T23:59:59Z"), (time_t)1709164800 + 86399);
}

static void test_datetime_parse_fractions(void **state)
{
    (void)state;
    assert_int_equal(dt_ok("2026-11-28T10:00:00.5Z"), T_2026_11_28_10Z);
    assert_int_equal(dt_ok("2026-11-28T10:00:00.123456Z"), T_2026_11_28_10Z);
    assert_int_equal(dt_ok("2026-11-28T18:00:00.999+08:00"), T_2026_11_28_10Z);
    dt_refused("2026-11-28T10:00:00.Z");
    dt_refused("2026-11-28T10:00:00.");
}

static void test_datetime_parse_bare_date(void **state)
{
    (void)state;
    assert_int_equal(dt_ok("2026-11-28"), T_2026_11_28_10Z - 10 * 3600);
}

static void test_datetime_parse_refused(void **state)
{
    (void)state;
    dt_refused("2026-11-28T10:00:00");     /* no zone: ambiguous */
    dt_refused("2026-11-28T10:00:00.123"); /* no zone after a fraction */
    dt_refused("2026-11-28T10:00Z");       /* no seconds */
    dt_refused("2026-11-28T24:00:00Z");
    dt_refused("2026-11-28T10:60:00Z");
    dt_refused("2026-11-28T10:00:61Z");
    dt_refused("2026-11-28T10:00:00+0800"); /* offset needs a colon */
    dt_refused("2026-11-28T10:00:00+08");
    dt_refused("2026-11-28T10:00:00+24:00");
    dt_refused("2026-11-28T10:00:00+08:60");
    dt_refused("2026-11-28T10:00:00Zjunk");
    dt_refused("2026-11-28T10:00:00+08:00junk");
    dt_refused("2026-11-28X10:00:00Z");
    dt_refused("2026-11-28T");
    dt_refused("2026-02-30T10:00:00Z");
    dt_refused("2026-11-28T1a:00:00Z");
    dt_refused("yesterday");
    dt_refused("");
}

/* ---- days_from_civil / civil_from_days ---- */

static void test_days_from_civil_known(void **state)
{
    (void)state;
    assert_int_equal(days_from_civil(1970, 1, 1), 0);
    assert_int_equal(days_from_civil(1970, 1, 2), 1);
    assert_int_equal(days_from_civil(1969, 12, 31), -1);
    assert_int_equal(days_from_civil(2000, 3, 1), 951868800 / 86400);
    assert_int_equal(days_from_civil(2024, 2, 29), 1709164800 / 86400);
    assert_int_equal(days_from_civil(2024, 3, 1) - days_from_civil(2024, 2, 28), 2);
    assert_int_equal(days_from_civil(2026, 3, 1) - days_from_civil(2026, 2, 28), 1);
    assert_int_equal(days_from_civil(2001, 1, 1) - days_from_civil(2000, 1, 1), 366);
    assert_int_equal(days_from_civil(2101, 1, 1) - days_from_civil(2100, 1, 1), 365);
}

static void test_days_civil_roundtrip(void **state)
{
    (void)state;
    /* Every day from 1600 to 2400, both ways, and consecutive. */
    int64_t first = days_from_civil(1600, 1, 1), last = days_from_civil(2400, 12, 31);
    int py = 1599, pm = 12, pd = 31;
    for (int64_t z = first; z <= last; z++) {
        int y, m, d;
        civil_from_days(z, &y, &m, &d);
        assert_int_equal(days_from_civil(y, m, d), z);
        assert_true(m >= 1 && m <= 12 && d >= 1 && d <= 31);
        /* the next day after (py, pm, pd) */
        if (d == 1) {
            assert_true((m == pm + 1 && y == py) || (m == 1 && pm == 12 && y == py + 1));
        } else {
            assert_int_equal(y, py);
            assert_int_equal(m, pm);
            assert_int_equal(d, pd + 1);
        }
        py = y;
        pm = m;
        pd = d;
    }
}

static void test_days_civil_far(void **state)
{
    (void)state;
    static const int64_t zs[] = {-1000000, -719468, -719469, -1, 0, 1, 2932896, 5000000};
    for (size_t i = 0; i < sizeof(zs) / sizeof(zs[0]); i++) {
        int y, m, d;
        civil_from_days(zs[i], &y, &m, &d);
        assert_int_equal(days_from_civil(y, m, d), zs[i]);
    }
    int y, m, d;
    civil_from_days(-719468, &y, &m, &d); /* 0000-03-01 */
    assert_int_equal(y, 0);
    assert_int_equal(m, 3);
    assert_int_equal(d, 1);
}

/* ---- parse_int64 ---- */

static void int_ok(const char *s, int64_t want)
{
    int64_t v = -777;
    if (parse_int64(s, &v) != 0)
        fail_msg("parse_int64 refused \"%s\"", s);
    assert_true(v == want);
}

static void int_refused(const char *s)
{
    int64_t v = -777;
    if (parse_int64(s, &v) != -1)
        fail_msg("parse_int64 accepted \"%s\"", s ? s : "(null)");
    assert_int_equal(v, -777);
}

static void test_parse_int64(void **state)
{
    (void)state;
    int_ok("0", 0);
    int_ok("42", 42);
    int_ok("-42", -42);
    int_ok("007", 7);
    int_ok("9223372036854775807", INT64_MAX);
    int_ok("-9223372036854775808", INT64_MIN);
    int_refused("9223372036854775808");
    int_refused("-9223372036854775809");
    int_refused("99999999999999999999999");
    int_refused("");
    int_refused(NULL);
    int_refused("-");
    int_refused("+1");
    int_refused(" 1");
    int_refused("1 ");
    int_refused("12a");
    int_refused("1.0");
    int_refused("1e3");
    int_refused("0x10");
    int_refused("abc");
}

/* ---- str_copy ---- */

static void test_str_copy(void **state)
{
    char d[6];
    (void)state;

    memset(d, 'x', sizeof(d));
    assert_int_equal(str_copy(d, sizeof(d), "abc"), 0);
    assert_string_equal(d, "abc");

    memset(d, 'x', sizeof(d));
    assert_int_equal(str_copy(d, sizeof(d), "abcde"), 0); /* exactly fits with its NUL */
    assert_string_equal(d, "abcde");

    memset(d, 'x', sizeof(d));
    assert_int_equal(str_copy(d, sizeof(d), "abcdef"), -1); /* one too long */
    assert_string_equal(d, "abcde");

    memset(d, 'x', sizeof(d));
    assert_int_equal(str_copy(d, sizeof(d), "a much longer string"), -1);
    assert_string_equal(d, "a muc");

    assert_int_equal(str_copy(d, sizeof(d), ""), 0);
    assert_string_equal(d, "");

    assert_int_equal(str_copy(d, 1, "a"), -1);
    assert_string_equal(d, "");
    assert_int_equal(str_copy(d, 1, ""), 0);

    memset(d, 'x', sizeof(d));
    assert_int_equal(str_copy(d, 0, "a"), -1); /* nothing may be written */
    assert_int_equal(d[0], 'x');
}

/* ---- hex / sha256 (used for session tokens and the audit chain) ---- */

static void test_hex_and_sha256(void **state)
{
    char out[65];
    static const unsigned char b[] = {0x00, 0x0f, 0xa5, 0xff};
    (void)state;
    hex_encode(b, sizeof(b), out);
    assert_string_equal(out, "000fa5ff");
    sha256_hex("abc", 3, out);
    assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sha256_hex("", 0, out);
    assert_string_equal(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_random_bytes(void **state)
{
    unsigned char a[32], b[32];
    (void)state;
    assert_int_equal(random_bytes(a, sizeof(a)), 0);
    assert_int_equal(random_bytes(b, sizeof(b)), 0);
    assert_memory_not_equal(a, b, sizeof(a)); /* 2^-256 chance of a false failure */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qty_from_double_plain),
        cmocka_unit_test(test_qty_from_double_float_noise),
        cmocka_unit_test(test_qty_from_double_too_fine),
        cmocka_unit_test(test_qty_from_double_too_fine_large),
        cmocka_unit_test(test_qty_from_double_integral),
        cmocka_unit_test(test_qty_from_double_negative),
        cmocka_unit_test(test_qty_from_double_range),
        cmocka_unit_test(test_qty_parse_ok),
        cmocka_unit_test(test_qty_parse_refused),
        cmocka_unit_test(test_qty_format),
        cmocka_unit_test(test_qty_format_roundtrip),
        cmocka_unit_test(test_qty_format_small_buffer),
        cmocka_unit_test(test_date_parse_ok),
        cmocka_unit_test(test_date_parse_leap_years),
        cmocka_unit_test(test_date_parse_refused),
        cmocka_unit_test(test_datetime_parse_zones),
        cmocka_unit_test(test_datetime_parse_fractions),
        cmocka_unit_test(test_datetime_parse_bare_date),
        cmocka_unit_test(test_datetime_parse_refused),
        cmocka_unit_test(test_days_from_civil_known),
        cmocka_unit_test(test_days_civil_roundtrip),
        cmocka_unit_test(test_days_civil_far),
        cmocka_unit_test(test_parse_int64),
        cmocka_unit_test(test_str_copy),
        cmocka_unit_test(test_hex_and_sha256),
        cmocka_unit_test(test_random_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
