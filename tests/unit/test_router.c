/* Route matching: exact paths, {params}, 404 vs 405, and odd paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "http/handlers.h"

static const struct route *match(const char *method, const char *path, const char **params, int *n,
                                 int *status)
{
    static char scratch[512];
    return router_match(method, path, scratch, params, n, status);
}

static void test_exact_and_params(void **state)
{
    const char *p[REQ_MAX_PARAMS];
    int n = -1, st = 0;
    const struct route *r = match("GET", "/api/v1/items", p, &n, &st);
    assert_non_null(r);
    assert_ptr_equal(r->fn, h_items_list);
    assert_int_equal(n, 0);

    r = match("POST", "/api/v1/depots/D-441900003/bins", p, &n, &st);
    assert_non_null(r);
    assert_ptr_equal(r->fn, h_bin_create);
    assert_int_equal(n, 1);
    assert_string_equal(p[0], "D-441900003");

    r = match("POST", "/api/v1/stocktakes/17/recount", p, &n, &st);
    assert_non_null(r);
    assert_ptr_equal(r->fn, h_stocktake_recount);
    assert_string_equal(p[0], "17");
}

static void test_not_found_vs_method(void **state)
{
    const char *p[REQ_MAX_PARAMS];
    int n, st = 0;
    assert_null(match("GET", "/api/v1/nothing", p, &n, &st));
    assert_int_equal(st, 404);
    assert_null(match("DELETE", "/api/v1/items", p, &n, &st));
    assert_int_equal(st, 405);
    assert_null(match("PUT", "/api/v1/movements/5", p, &n, &st));
    assert_int_equal(st, 405);
    /* HEAD is answered wherever GET is. */
    assert_non_null(match("HEAD", "/api/v1/items", p, &n, &st));
}

static void test_odd_paths(void **state)
{
    const char *p[REQ_MAX_PARAMS];
    int n, st = 0;
    assert_null(match("GET", "/api/v1/items/", p, &n, &st)); /* empty {id} */
    assert_null(match("GET", "/api/v1//items", p, &n, &st));
    assert_null(match("GET", "/api/v1/items/1/2", p, &n, &st));
    assert_null(match("GET", "", p, &n, &st));
    assert_null(match("GET", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r", p, &n, &st));
}

static void test_table_sane(void **state)
{
    /* Every mutating route needs a session except log-in and log-out; every route has roles. */
    for (size_t i = 0; i < nroutes; i++) {
        assert_true(routes[i].roles != 0);
        assert_true(routes[i].pattern[0] == '/');
        if (strcmp(routes[i].method, "GET") != 0 && (routes[i].flags & R_PUBLIC))
            assert_true(routes[i].fn == h_login || routes[i].fn == h_logout);
        for (size_t j = 0; j < i; j++)
            assert_false(strcmp(routes[i].method, routes[j].method) == 0 &&
                         strcmp(routes[i].pattern, routes[j].pattern) == 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_and_params),
        cmocka_unit_test(test_not_found_vs_method),
        cmocka_unit_test(test_odd_paths),
        cmocka_unit_test(test_table_sane),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
