/*
 * test_db_nodes.c -- RELIEF_DB_NODES, the node list of a cluster
 * (core/config.c, store/db.c): what the pool accepts and refuses.  No
 * database: db_pool_new only reads the list; connections open lazily.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "core/config.h"
#include "store/db.h"

static struct config cfg_with(const char *nodes)
{
    struct config c;
    struct app_err err;
    memset(&err, 0, sizeof(err));
    assert_int_equal(config_load(&c, "/dev/null", &err), 0);
    assert_int_equal(config_set(&c, "RELIEF_DB_NODES", nodes, &err), 0);
    return c;
}

static void accepted(const char *nodes)
{
    struct config c = cfg_with(nodes);
    struct app_err err;
    memset(&err, 0, sizeof(err));
    struct db_pool *p = db_pool_new(&c, &err);
    if (!p)
        fail_msg("RELIEF_DB_NODES=%s refused: %s", nodes, err.msg);
    db_pool_free(p);
}

static void refused(const char *nodes)
{
    struct config c = cfg_with(nodes);
    struct app_err err;
    memset(&err, 0, sizeof(err));
    struct db_pool *p = db_pool_new(&c, &err);
    if (p) {
        db_pool_free(p);
        fail_msg("RELIEF_DB_NODES=%s accepted", nodes);
    }
    assert_int_equal(err.http, 400);
    assert_non_null(strstr(err.msg, "RELIEF_DB_NODES"));
}

static void test_good_lists(void **state)
{
    (void)state;
    accepted("127.0.0.1:3421");
    accepted("127.0.0.1:3421,127.0.0.1:3422,127.0.0.1:3423");
    accepted("db-a.example.org:3306,db-b.example.org:3306");
    accepted("::1:3306"); /* the last colon separates the port */
}

static void test_bad_lists(void **state)
{
    (void)state;
    refused("127.0.0.1");        /* no port */
    refused("127.0.0.1:");       /* empty port */
    refused(":3306");            /* no host */
    refused("127.0.0.1:0");      /* port out of range */
    refused("127.0.0.1:65536");
    refused("127.0.0.1:33x6");
    refused("a:1,,b:2");         /* an empty entry */
    refused("a:1,");             /* a trailing comma */
    refused("a:1,b:2,c:3,d:4,e:5,f:6,g:7,h:8,i:9,j:10,k:11,l:12,m:13,n:14,o:15,p:16,q:17");
}

static void test_empty_is_single_server(void **state)
{
    (void)state;
    accepted(""); /* no list: the single server of socket/host/port */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_lists),
        cmocka_unit_test(test_bad_lists),
        cmocka_unit_test(test_empty_is_single_server),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
