/* Strict body reading: unknown, missing, wrong-typed fields and quantities. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "http/jsonin.h"

struct body {
    int64_t id;
    char name[8];
    double qty;
    char date[11];
    int flag;
    int has_name;
};

static int read_text(const char *txt, struct body *b, struct app_err *err)
{
    const struct jfield spec[] = {
        {"id", JF_ID, 1, &b->id, 0, NULL},
        {"name", JF_STR, 0, b->name, sizeof(b->name), &b->has_name},
        {"qty", JF_NUM, 0, &b->qty, 0, NULL},
        {"date", JF_DATE, 0, b->date, 0, NULL},
        {"flag", JF_BOOL, 0, &b->flag, 0, NULL},
    };
    json_t *j = json_loads(txt, 0, NULL);
    assert_non_null(j);
    memset(b, 0, sizeof(*b));
    err_clear(err);
    int rc = json_read(j, spec, 5, err);
    json_decref(j);
    return rc;
}

static void expect(const char *txt, const char *code, const char *field)
{
    struct body b;
    struct app_err err;
    assert_int_equal(read_text(txt, &b, &err), -1);
    assert_int_equal(err.http, 400);
    assert_string_equal(err.code, code);
    assert_string_equal(err.field, field);
}

static void test_ok(void **state)
{
    struct body b;
    struct app_err err;
    assert_int_equal(
        read_text("{\"id\":3,\"name\":\"abc\",\"qty\":2.5,\"date\":\"2024-02-29\",\"flag\":true}",
                  &b, &err),
        0);
    assert_int_equal(b.id, 3);
    assert_string_equal(b.name, "abc");
    assert_true(b.has_name);
    assert_true(b.qty == 2.5);
    assert_string_equal(b.date, "2024-02-29");
    assert_int_equal(b.flag, 1);
    /* null counts as absent */
    assert_int_equal(read_text("{\"id\":1,\"name\":null}", &b, &err), 0);
    assert_false(b.has_name);
}

static void test_refusals(void **state)
{
    expect("{\"name\":\"x\"}", "missing_field", "id");
    expect("{\"id\":1,\"extra\":1}", "unknown_field", "extra");
    expect("{\"id\":\"1\"}", "bad_type", "id");
    expect("{\"id\":0}", "bad_value", "id");
    expect("{\"id\":-4}", "bad_value", "id");
    expect("{\"id\":1.5}", "bad_type", "id");
    expect("{\"id\":1,\"name\":\"far too long\"}", "bad_value", "name");
    expect("{\"id\":1,\"qty\":\"3\"}", "bad_type", "qty");
    expect("{\"id\":1,\"date\":\"2026-02-29\"}", "bad_date", "date");
    expect("{\"id\":1,\"date\":\"2026-13-01\"}", "bad_date", "date");
    expect("{\"id\":1,\"date\":\"yesterday\"}", "bad_date", "date");
    expect("{\"id\":1,\"flag\":1}", "bad_type", "flag");
}

static void test_quantities(void **state)
{
    struct app_err err;
    int64_t m;
    assert_int_equal(json_qty_check(3, 1, 0, "qty", &m, &err), 0);
    assert_int_equal(m, 3000);
    assert_int_equal(json_qty_check(2.5, 0, 0, "qty", &m, &err), 0);
    assert_int_equal(m, 2500);
    assert_int_equal(json_qty_check(2.5, 1, 0, "qty", &m, &err), -1);
    assert_string_equal(err.code, "bad_quantity");
    assert_int_equal(json_qty_check(0, 0, 0, "qty", &m, &err), -1);
    assert_int_equal(json_qty_check(-1, 0, 0, "qty", &m, &err), -1);
    assert_int_equal(json_qty_check(-1, 1, 1, "qty", &m, &err), 0);
    assert_int_equal(m, -1000);
    assert_int_equal(json_qty_check(0.0001, 0, 0, "qty", &m, &err), -1);
    assert_int_equal(json_qty_check(1e300, 0, 0, "qty", &m, &err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ok),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_quantities),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
