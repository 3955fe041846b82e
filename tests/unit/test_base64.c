/*
 * test_base64.c — RFC 4648 test vectors both ways, a round trip over every
 * length up to 300 bytes, and the decoder refusing what is not canonical.
 */
#include "core/base64.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void rfc4648_vectors(void **state)
{
    (void)state;
    static const char *const v[][2] = {
        {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char *e = reel_base64_encode(v[i][0], strlen(v[i][0]));
        assert_string_equal(e, v[i][1]);
        assert_int_equal(strlen(e), reel_base64_len(strlen(v[i][0])));
        free(e);
        unsigned char *d;
        size_t n;
        assert_int_equal(reel_base64_decode(v[i][1], strlen(v[i][1]), &d, &n, NULL), 0);
        assert_int_equal(n, strlen(v[i][0]));
        assert_memory_equal(d, v[i][0], n);
        free(d);
    }
    char *e = reel_base64_encode("\xff\xfe\xfd", 3);
    assert_string_equal(e, "//79");
    free(e);
}

static void round_trip(void **state)
{
    (void)state;
    unsigned char buf[300];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (unsigned char)(i * 131 + 17);
    for (size_t n = 0; n <= sizeof buf; n++) {
        char *e = reel_base64_encode(buf, n);
        assert_non_null(e);
        unsigned char *d;
        size_t m;
        assert_int_equal(reel_base64_decode(e, strlen(e), &d, &m, NULL), 0);
        assert_int_equal(m, n);
        assert_memory_equal(d, buf, n);
        free(d);
        free(e);
    }
}

static void refusals(void **state)
{
    (void)state;
    const char *bad[] = {"Zg=", "Zg", "Z===", "Zh==", "Zm9=", "Zm 9v", "Zm9v\n", "=Zm9", "Zg==Zg==",
                         "Zm-v", "===="};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        unsigned char *d = (unsigned char *)1;
        size_t n = 7;
        reel_error e;
        assert_int_equal(reel_base64_decode(bad[i], strlen(bad[i]), &d, &n, &e), REEL_EINVAL);
        assert_null(d);
        assert_int_equal(n, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc4648_vectors),
        cmocka_unit_test(round_trip),
        cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
