/*
 * test_config.c -- settings (core/config.c): one key at a time, a settings
 * file with comments, and the environment winning over the file.
 *
 * The test runs under ctest, where scripts/test may have exported
 * RELIEF_CONFIG and other RELIEF_* variables; every test starts by removing
 * them and working in a fresh temporary directory, so only what the test
 * sets is seen.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"

extern char **environ;

struct fixture {
    char dir[64];
    char old_cwd[PATH_MAX];
};

static void clear_relief_env(void)
{
    /* Collect first: unsetenv changes environ under our feet. */
    char names[128][128];
    int n = 0;
    for (char **e = environ; *e && n < 128; e++) {
        if (strncmp(*e, "RELIEF_", 7) != 0)
            continue;
        const char *eq = strchr(*e, '=');
        size_t len = eq ? (size_t)(eq - *e) : strlen(*e);
        if (len >= sizeof(names[0]))
            continue;
        memcpy(names[n], *e, len);
        names[n][len] = '\0';
        n++;
    }
    for (int i = 0; i < n; i++)
        unsetenv(names[i]);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    clear_relief_env();
    strcpy(f->dir, "/tmp/relief-test-config-XXXXXX");
    if (!mkdtemp(f->dir) || !getcwd(f->old_cwd, sizeof(f->old_cwd)) || chdir(f->dir) != 0) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char p[PATH_MAX];
    clear_relief_env();
    if (chdir(f->old_cwd) != 0)
        return -1;
    snprintf(p, sizeof(p), "%s/var/reliefstock.conf", f->dir);
    unlink(p);
    snprintf(p, sizeof(p), "%s/var", f->dir);
    rmdir(p);
    snprintf(p, sizeof(p), "%s/settings.conf", f->dir);
    unlink(p);
    rmdir(f->dir);
    free(f);
    return 0;
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(fputs(text, fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
}

/* A loaded config with defaults, to which single settings are applied. */
static void defaults(struct config *c)
{
    struct app_err err;
    memset(&err, 0, sizeof(err));
    assert_int_equal(config_load(c, NULL, &err), 0);
}

static void set_ok(struct config *c, const char *k, const char *v)
{
    struct app_err err;
    memset(&err, 0, sizeof(err));
    if (config_set(c, k, v, &err) != 0)
        fail_msg("config_set(%s, %s) refused: %s", k, v, err.msg);
}

static void set_refused(struct config *c, const char *k, const char *v)
{
    struct app_err err;
    struct config before;
    memcpy(&before, c, sizeof(before));
    memset(&err, 0, sizeof(err));
    if (config_set(c, k, v, &err) != -1)
        fail_msg("config_set(%s, %s) accepted", k, v);
    assert_int_equal(err.http, 400);
    assert_string_equal(err.code, "bad_setting");
    assert_true(err.msg[0] != '\0');
    /* A refused setting changes nothing. */
    assert_memory_equal(&before, c, sizeof(before));
}

static void test_defaults(void **state)
{
    struct config c;
    (void)state;
    defaults(&c);
    assert_string_equal(c.db_name, "reliefstock");
    assert_int_equal(c.db_port, 3306);
    assert_int_equal(c.http_port, 8080);
    assert_int_equal(c.http_max_body, 1 << 20); /* docs/api.md: 1 MiB */
    assert_int_equal(c.session_ttl_s, 8 * 3600);
    assert_int_equal(c.db_pool_size, c.http_threads * 2);
    assert_string_equal(c.public_base, "http://127.0.0.1:8080");
    assert_string_equal(c.source_path, ""); /* no file read */
}

static void test_set_unknown_key(void **state)
{
    struct config c;
    (void)state;
    defaults(&c);
    set_refused(&c, "RELIEF_NO_SUCH_KEY", "1");
    set_refused(&c, "relief_db_port", "3307"); /* keys are case-sensitive */
    set_refused(&c, "", "x");
    set_refused(&c, "RELIEF_DB_PORT ", "3307");
}

static void test_set_ints(void **state)
{
    struct config c;
    (void)state;
    defaults(&c);
    set_ok(&c, "RELIEF_DB_PORT", "3398");
    assert_int_equal(c.db_port, 3398);
    set_ok(&c, "RELIEF_HTTP_PORT", "0"); /* 0: pick a free port */
    assert_int_equal(c.http_port, 0);
    set_ok(&c, "RELIEF_COUNT_RECOUNT_PCT", "0");
    assert_int_equal(c.count_recount_pct, 0);
    set_ok(&c, "RELIEF_COUNT_RECOUNT_PCT", "100");
    assert_int_equal(c.count_recount_pct, 100);
    set_ok(&c, "RELIEF_SESSION_TTL", "60");
    assert_int_equal(c.session_ttl_s, 60);
}

static void test_set_bad_int(void **state)
{
    struct config c;
    (void)state;
    defaults(&c);
    set_refused(&c, "RELIEF_DB_PORT", "abc");
    set_refused(&c, "RELIEF_DB_PORT", "");
    set_refused(&c, "RELIEF_DB_PORT", "33 06");
    set_refused(&c, "RELIEF_DB_PORT", "3306x");
    set_refused(&c, "RELIEF_DB_PORT", "3306.0");
    set_refused(&c, "RELIEF_DB_PORT", "0x10");
    set_refused(&c, "RELIEF_HTTP_THREADS", "99999999999999999999");
    /* 2^32 + 4 would wrap to 4 if the range were checked after a cast to int. */
    set_refused(&c, "RELIEF_HTTP_THREADS", "4294967300");
}

static void test_set_range(void **state)
{
    struct config c;
    (void)state;
    defaults(&c);
    set_ok(&c, "RELIEF_DB_PORT", "1");
    set_ok(&c, "RELIEF_DB_PORT", "65535");
    set_refused(&c, "RELIEF_DB_PORT", "0");
    set_refused(&c, "RELIEF_DB_PORT", "65536");
    set_refused(&c, "RELIEF_DB_PORT", "-1");
    set_refused(&c, "RELIEF_HTTP_PORT", "-1");
    set_refused(&c, "RELIEF_SESSION_TTL", "59");
    set_refused(&c, "RELIEF_SESSION_TTL", "2592001");
    set_ok(&c, "RELIEF_SESSION_TTL", "2592000");
    set_refused(&c, "RELIEF_COUNT_RECOUNT_PCT", "101");
    set_refused(&c, "RELIEF_HTTP_MAX_BODY", "1023");
    set_refused(&c, "RELIEF_HTTP_THREADS", "0");
    set_refused(&c, "RELIEF_DB_POOL", "513");
}

static void test_set_log_level(void **state)
{
    struct config c;
    (void)state;
    defaults(&c);
    set_ok(&c, "RELIEF_LOG_LEVEL", "debug");
    assert_int_equal(c.log_level, LOG_LVL_DEBUG);
    set_ok(&c, "RELIEF_LOG_LEVEL", "error");
    assert_int_equal(c.log_level, LOG_LVL_ERROR);
    set_ok(&c, "RELIEF_LOG_LEVEL", "2");
    assert_int_equal(c.log_level, LOG_LVL_INFO);
    set_refused(&c, "RELIEF_LOG_LEVEL", "loud");
    set_refused(&c, "RELIEF_LOG_LEVEL", "4");
}

static void test_set_strings(void **state)
{
    struct config c;
    char name[100];
    (void)state;
    defaults(&c);
    set_ok(&c, "RELIEF_DB_SOCKET", "/tmp/apitest-db/s.sock");
    assert_string_equal(c.db_socket, "/tmp/apitest-db/s.sock");
    set_ok(&c, "RELIEF_DB_PASSWORD", "");
    assert_string_equal(c.db_password, "");
    /* db_name holds 64 characters (MariaDB's limit): 64 fit, 65 are refused. */
    memset(name, 'n', 64);
    name[64] = '\0';
    set_ok(&c, "RELIEF_DB_NAME", name);
    assert_string_equal(c.db_name, name);
    name[64] = 'n';
    name[65] = '\0';
    struct app_err err;
    memset(&err, 0, sizeof(err));
    assert_int_equal(config_set(&c, "RELIEF_DB_NAME", name, &err), -1);
    assert_string_equal(err.code, "bad_setting");
}

static void test_load_file_with_comments(void **state)
{
    struct fixture *f = *state;
    struct config c;
    struct app_err err;
    char path[PATH_MAX];

    snprintf(path, sizeof(path), "%s/settings.conf", f->dir);
    write_file(path, "# ReliefStock test settings\n"
                     "\n"
                     "RELIEF_DB_SOCKET=/tmp/apitest-db/s.sock\n"
                     "   # an indented comment\n"
                     "RELIEF_DB_PORT = 3398\n"
                     "\tRELIEF_DB_NAME=reliefstock_t   \r\n"
                     "RELIEF_DB_USER=reliefd\n"
                     "RELIEF_DB_PASSWORD=x=y\n"
                     "RELIEF_HTTP_THREADS=3\n"
                     "RELIEF_HTTP_PORT=9090\n");
    memset(&err, 0, sizeof(err));
    if (config_load(&c, path, &err) != 0)
        fail_msg("config_load: %s", err.msg);
    assert_string_equal(c.db_socket, "/tmp/apitest-db/s.sock");
    assert_int_equal(c.db_port, 3398);
    assert_string_equal(c.db_name, "reliefstock_t");
    assert_string_equal(c.db_user, "reliefd");
    assert_string_equal(c.db_password, "x=y"); /* split at the first '=' only */
    assert_int_equal(c.http_threads, 3);
    assert_int_equal(c.db_pool_size, 6);
    assert_string_equal(c.public_base, "http://127.0.0.1:9090");
    assert_string_equal(c.source_path, path);
    /* untouched keys keep their defaults */
    assert_int_equal(c.session_ttl_s, 8 * 3600);
}

static void test_load_env_overrides_file(void **state)
{
    struct fixture *f = *state;
    struct config c;
    struct app_err err;
    char path[PATH_MAX];

    snprintf(path, sizeof(path), "%s/settings.conf", f->dir);
    write_file(path, "RELIEF_DB_PORT=3398\nRELIEF_DB_NAME=from_file\nRELIEF_HTTP_PORT=9090\n");
    setenv("RELIEF_DB_PORT", "3399", 1);
    setenv("RELIEF_HTTP_PORT", "0", 1);
    memset(&err, 0, sizeof(err));
    assert_int_equal(config_load(&c, path, &err), 0);
    assert_int_equal(c.db_port, 3399);
    assert_int_equal(c.http_port, 0);
    assert_string_equal(c.db_name, "from_file");
}

static void test_load_file_from_env_relief_config(void **state)
{
    struct fixture *f = *state;
    struct config c;
    struct app_err err;
    char path[PATH_MAX];

    snprintf(path, sizeof(path), "%s/settings.conf", f->dir);
    write_file(path, "RELIEF_DB_NAME=named_by_env\n");
    setenv("RELIEF_CONFIG", path, 1);
    memset(&err, 0, sizeof(err));
    assert_int_equal(config_load(&c, NULL, &err), 0);
    assert_string_equal(c.db_name, "named_by_env");
    assert_string_equal(c.source_path, path);
}

static void test_load_default_var_file(void **state)
{
    struct config c;
    struct app_err err;
    (void)state;

    assert_int_equal(mkdir("var", 0700), 0);
    write_file("var/reliefstock.conf", "RELIEF_DB_NAME=from_var\n");
    memset(&err, 0, sizeof(err));
    assert_int_equal(config_load(&c, NULL, &err), 0);
    assert_string_equal(c.db_name, "from_var");
}

static void test_load_bad_env(void **state)
{
    struct config c;
    struct app_err err;
    (void)state;

    setenv("RELIEF_DB_PORT", "not-a-port", 1);
    memset(&err, 0, sizeof(err));
    assert_int_equal(config_load(&c, NULL, &err), -1);
    assert_string_equal(err.code, "bad_setting");
}

static void test_load_bad_file_lines(void **state)
{
    struct fixture *f = *state;
    struct config c;
    struct app_err err;
    char path[PATH_MAX];

    snprintf(path, sizeof(path), "%s/settings.conf", f->dir);

    write_file(path, "# fine\nRELIEF_DB_PORT=3398\nthis line has no equals sign\n");
    memset(&err, 0, sizeof(err));
    assert_int_equal(config_load(&c, path, &err), -1);
    assert_string_equal(err.code, "bad_setting");
    assert_non_null(strstr(err.msg, ":3")); /* names the line */

    write_file(path, "RELIEF_DB_PORT=3398\nRELIEF_DB_PROT=3398\n");
    memset(&err, 0, sizeof(err));
    assert_int_equal(config_load(&c, path, &err), -1);
    assert_non_null(strstr(err.msg, "RELIEF_DB_PROT"));
    assert_non_null(strstr(err.msg, ":2"));

    write_file(path, "RELIEF_SESSION_TTL=5\n");
    memset(&err, 0, sizeof(err));
    assert_int_equal(config_load(&c, path, &err), -1);
    assert_non_null(strstr(err.msg, "RELIEF_SESSION_TTL"));
}

static void test_load_missing_file(void **state)
{
    struct fixture *f = *state;
    struct config c;
    struct app_err err;
    char path[PATH_MAX];
    (void)state;

    snprintf(path, sizeof(path), "%s/no-such-file.conf", f->dir);
    memset(&err, 0, sizeof(err));
    assert_int_equal(config_load(&c, path, &err), -1);
    assert_string_equal(err.code, "bad_setting");
    /* RELIEF_CONFIG naming a missing file is an error too, not a silent default. */
    setenv("RELIEF_CONFIG", path, 1);
    memset(&err, 0, sizeof(err));
    assert_int_equal(config_load(&c, NULL, &err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_unknown_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_ints, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_bad_int, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_range, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_log_level, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_strings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_file_with_comments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_env_overrides_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_file_from_env_relief_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_default_var_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_bad_env, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_bad_file_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_missing_file, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
