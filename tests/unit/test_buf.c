/*
 * test_buf.c -- the bounded byte buffer (core/buf.c) that holds request bodies.
 *
 * The promise under test: content never exceeds `max`, a refused append
 * leaves the buffer exactly as it was, and the content is always
 * NUL-terminated.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

static void test_empty(void **state)
{
    struct buf b;
    size_t len = 99;
    (void)state;

    buf_init(&b, 16);
    assert_int_equal(b.len, 0);
    char *s = buf_steal(&b, &len); /* an empty buffer still hands out "" */
    assert_non_null(s);
    assert_int_equal(len, 0);
    assert_string_equal(s, "");
    free(s);
    buf_free(&b);
}

static void test_append_exactly_max(void **state)
{
    struct buf b;
    (void)state;

    buf_init(&b, 10);
    assert_int_equal(buf_append(&b, "0123456789", 10), 0);
    assert_int_equal(b.len, 10);
    assert_string_equal(b.data, "0123456789");
    /* Zero more bytes is still within the limit. */
    assert_int_equal(buf_append(&b, "", 0), 0);
    assert_int_equal(b.len, 10);
    buf_free(&b);
}

static void test_append_max_plus_one(void **state)
{
    struct buf b;
    (void)state;

    buf_init(&b, 10);
    assert_int_equal(buf_append(&b, "01234567890", 11), -1);
    assert_int_equal(b.len, 0);
    assert_true(b.data == NULL || b.data[0] == '\0');

    assert_int_equal(buf_append(&b, "0123456789", 10), 0);
    assert_int_equal(buf_append(&b, "x", 1), -1); /* one past max: refused ... */
    assert_int_equal(b.len, 10);                  /* ... and nothing appended */
    assert_string_equal(b.data, "0123456789");
    buf_free(&b);
}

static void test_append_in_pieces(void **state)
{
    struct buf b;
    char want[1001];
    (void)state;

    buf_init(&b, 1000);
    for (int i = 0; i < 1000; i++) {
        char c = (char)('a' + i % 26);
        want[i] = c;
        assert_int_equal(buf_append(&b, &c, 1), 0);
        assert_int_equal(b.len, (size_t)i + 1);
        assert_int_equal(b.data[b.len], '\0');
    }
    want[1000] = '\0';
    assert_string_equal(b.data, want);
    assert_int_equal(buf_append(&b, "z", 1), -1);
    assert_int_equal(b.len, 1000);
    assert_string_equal(b.data, want);
    assert_true(b.cap <= 1001); /* never allocates past max + NUL */
    buf_free(&b);
}

static void test_large_chunk_crossing_max(void **state)
{
    struct buf b;
    char *big = malloc(5000);
    (void)state;

    assert_non_null(big);
    memset(big, 'q', 5000);
    buf_init(&b, 4096);
    assert_int_equal(buf_append(&b, big, 4000), 0);
    assert_int_equal(buf_append(&b, big, 97), -1);
    assert_int_equal(b.len, 4000);
    assert_int_equal(buf_append(&b, big, 96), 0);
    assert_int_equal(b.len, 4096);
    assert_int_equal(b.data[4096], '\0');
    free(big);
    buf_free(&b);
}

static void test_zero_max(void **state)
{
    struct buf b;
    (void)state;

    buf_init(&b, 0);
    assert_int_equal(buf_append(&b, "a", 1), -1);
    assert_int_equal(buf_appendf(&b, "%s", "a"), -1);
    assert_int_equal(b.len, 0);
    assert_int_equal(buf_appendf(&b, "%s", ""), 0);
    assert_int_equal(b.len, 0);
    buf_free(&b);
}

static void test_binary_content(void **state)
{
    struct buf b;
    static const char bytes[] = {'a', '\0', 'b', '\0'};
    (void)state;

    buf_init(&b, 8);
    assert_int_equal(buf_append(&b, bytes, sizeof(bytes)), 0);
    assert_int_equal(b.len, 4);
    assert_memory_equal(b.data, bytes, 4);
    buf_free(&b);
}

static void test_appendf(void **state)
{
    struct buf b;
    (void)state;

    buf_init(&b, 12);
    assert_int_equal(buf_appendf(&b, "%d-%s", 42, "ab"), 0);
    assert_string_equal(b.data, "42-ab");
    assert_int_equal(b.len, 5);
    assert_int_equal(buf_appendf(&b, "%s", "1234567"), 0); /* exactly 12 */
    assert_string_equal(b.data, "42-ab1234567");
    assert_int_equal(b.len, 12);
    assert_int_equal(buf_appendf(&b, "%c", 'x'), -1); /* 13: refused, nothing appended */
    assert_int_equal(b.len, 12);
    assert_string_equal(b.data, "42-ab1234567");
    buf_free(&b);
}

static void test_appendf_too_long_first(void **state)
{
    struct buf b;
    (void)state;

    buf_init(&b, 5);
    assert_int_equal(buf_appendf(&b, "%s", "abcdef"), -1);
    assert_int_equal(b.len, 0);
    assert_true(b.data == NULL || b.data[0] == '\0');
    assert_int_equal(buf_appendf(&b, "%s%s", "abc", "de"), 0);
    assert_string_equal(b.data, "abcde");
    buf_free(&b);
}

static void test_appendf_growth(void **state)
{
    struct buf b;
    (void)state;

    buf_init(&b, 1 << 20);
    for (int i = 0; i < 10000; i++)
        assert_int_equal(buf_appendf(&b, "%05d,", i), 0);
    assert_int_equal(b.len, 60000);
    assert_memory_equal(b.data, "00000,00001,", 12);
    assert_memory_equal(b.data + 59994, "09999,", 6);
    assert_int_equal(b.data[60000], '\0');
    buf_free(&b);
}

static void test_reset_and_reuse(void **state)
{
    struct buf b;
    (void)state;

    buf_init(&b, 4);
    buf_reset(&b); /* on a never-used buffer */
    assert_int_equal(buf_append(&b, "abcd", 4), 0);
    buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    /* After a reset the whole max is available again. */
    assert_int_equal(buf_append(&b, "wxyz", 4), 0);
    assert_string_equal(b.data, "wxyz");
    assert_int_equal(buf_append(&b, "!", 1), -1);
    buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    buf_free(&b); /* twice is harmless */
}

static void test_steal(void **state)
{
    struct buf b;
    size_t len = 0;
    (void)state;

    buf_init(&b, 64);
    assert_int_equal(buf_appendf(&b, "hello %s", "world"), 0);
    char *s = buf_steal(&b, &len);
    assert_string_equal(s, "hello world");
    assert_int_equal(len, 11);
    /* The buffer is empty and usable, with the same limit. */
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.max, 64);
    assert_int_equal(buf_append(&b, "again", 5), 0);
    assert_string_equal(b.data, "again");
    free(s);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_append_exactly_max),
        cmocka_unit_test(test_append_max_plus_one),
        cmocka_unit_test(test_append_in_pieces),
        cmocka_unit_test(test_large_chunk_crossing_max),
        cmocka_unit_test(test_zero_max),
        cmocka_unit_test(test_binary_content),
        cmocka_unit_test(test_appendf),
        cmocka_unit_test(test_appendf_too_long_first),
        cmocka_unit_test(test_appendf_growth),
        cmocka_unit_test(test_reset_and_reuse),
        cmocka_unit_test(test_steal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
