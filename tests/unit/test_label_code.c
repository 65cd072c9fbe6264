/* Label codes: round trips, the check character, and forgiving input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <uuid/uuid.h>

#include "labels/code.h"

static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static void test_round_trip(void **state)
{
    for (int i = 0; i < 2000; i++) {
        char code[LABEL_CODE_LEN + 1], again[LABEL_CODE_LEN + 1], uuid[37],
            back[LABEL_CODE_LEN + 1];
        label_code_new(code);
        assert_int_equal(strlen(code), LABEL_CODE_LEN);
        assert_int_equal(label_code_parse(code, again, uuid), 0);
        assert_string_equal(code, again);
        assert_int_equal(label_code_from_uuid(uuid, back), 0);
        assert_string_equal(code, back);
    }
}

static void test_known_uuid(void **state)
{
    char code[LABEL_CODE_LEN + 1], uuid[37];
    assert_int_equal(label_code_from_uuid("00000000-0000-0000-0000-000000000000", code), 0);
    assert_string_equal(code, "000000000000000000000000000");
    assert_int_equal(label_code_from_uuid("ffffffff-ffff-ffff-ffff-ffffffffffff", code), 0);
    assert_int_equal(strncmp(code, "7ZZZZZZZZZZZZZZZZZZZZZZZZZ", 26), 0);
    assert_int_equal(label_code_parse(code, code, uuid), 0);
    assert_string_equal(uuid, "ffffffff-ffff-ffff-ffff-ffffffffffff");
    assert_int_equal(label_code_from_uuid("not-a-uuid", code), -1);
}

/* Every single-character substitution and every swap of two different
 * neighbours must be refused. */
static void test_errors_detected(void **state)
{
    for (int n = 0; n < 200; n++) {
        char code[LABEL_CODE_LEN + 1], bad[LABEL_CODE_LEN + 1], out[LABEL_CODE_LEN + 1];
        label_code_new(code);
        for (int i = 0; i < LABEL_CODE_LEN; i++) {
            for (int a = 0; a < 32; a++) {
                if (alphabet[a] == code[i])
                    continue;
                memcpy(bad, code, sizeof(bad));
                bad[i] = alphabet[a];
                assert_int_equal(label_code_parse(bad, out, NULL), -1);
            }
        }
        for (int i = 0; i + 1 < LABEL_CODE_LEN; i++) {
            if (code[i] == code[i + 1])
                continue;
            memcpy(bad, code, sizeof(bad));
            bad[i] = code[i + 1];
            bad[i + 1] = code[i];
            /* Luhn mod N misses only the swap of the pair (0, N-1) = "0Z"/"Z0". */
            if ((bad[i] == '0' && bad[i + 1] == 'Z') || (bad[i] == 'Z' && bad[i + 1] == '0'))
                continue;
            assert_int_equal(label_code_parse(bad, out, NULL), -1);
        }
    }
}

static void test_forgiving_input(void **state)
{
    char code[LABEL_CODE_LEN + 1], in[64], out[LABEL_CODE_LEN + 1];
    label_code_new(code);
    /* lower case, with hyphens and spaces */
    size_t j = 0;
    for (int i = 0; i < LABEL_CODE_LEN; i++) {
        char c = code[i];
        in[j++] = (char)((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
        if (i % 5 == 4)
            in[j++] = i % 2 ? '-' : ' ';
    }
    in[j] = '\0';
    assert_int_equal(label_code_parse(in, out, NULL), 0);
    assert_string_equal(out, code);
    /* O for 0, I and L for 1 */
    assert_int_equal(label_code_parse("OOOOOOOOOOOOOOOOOOOOOOOOOO0", out, NULL), 0);
    assert_string_equal(out, "000000000000000000000000000");
    assert_int_equal(label_code_parse("", out, NULL), -1);
    assert_int_equal(label_code_parse("0000000000000000000000000000", out, NULL), -1);
    assert_int_equal(label_code_parse("U00000000000000000000000000", out, NULL), -1);
    assert_int_equal(label_code_parse("800000000000000000000000000", out, NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_known_uuid),
        cmocka_unit_test(test_errors_detected),
        cmocka_unit_test(test_forgiving_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
