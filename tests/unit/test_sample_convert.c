/*
 * test_sample_convert.c — the one float <-> integer rule (core/sample_convert.h)
 * and the capture side that uses it (reel_samples_from_f32), against values
 * computed by hand.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/sample_convert.h"
#include "io/source.h"

#include <math.h>
#include <string.h>

static void every_i16_code_round_trips(void **state)
{
    (void)state;
    for (int32_t v = REEL_I16_LO; v <= REEL_I16_HI; v++)
        assert_int_equal(reel_f32_to_i16(reel_i16_to_f32(v)), v);
}

static void i24_codes_round_trip(void **state)
{
    (void)state;
    for (int32_t v = REEL_I24_LO; v <= REEL_I24_HI; v += 997)
        assert_int_equal(reel_f32_to_i24(reel_i24_to_f32(v)), v);
    assert_int_equal(reel_f32_to_i24(reel_i24_to_f32(REEL_I24_HI)), REEL_I24_HI);
}

static void edges_by_hand(void **state)
{
    (void)state;
    assert_int_equal(reel_f32_to_i16(1.0f), 32767);  /* clipped: 32768 has no code */
    assert_int_equal(reel_f32_to_i16(-1.0f), -32768);
    assert_int_equal(reel_f32_to_i16(0.5f), 16384);
    assert_int_equal(reel_f32_to_i16(-0.5f), -16384);
    assert_int_equal(reel_f32_to_i16(2.0f), 32767);
    assert_int_equal(reel_f32_to_i16(-7.0f), -32768);
    assert_int_equal(reel_f32_to_i16(NAN), 0);
    assert_int_equal(reel_f32_to_i16(INFINITY), 32767);
    assert_int_equal(reel_f32_to_i16(1.5f / 32768.0f), 2); /* ties to even */
    assert_int_equal(reel_f32_to_i16(2.5f / 32768.0f), 2);
    assert_int_equal(reel_f32_to_i24(1.0f), 8388607);
    assert_int_equal(reel_f32_to_i24(-1.0f), -8388608);
    assert_int_equal(reel_f32_to_i24(0.25f), 2097152);
    assert_true(reel_i16_to_f32(-32768) == -1.0f);
    assert_true(reel_i24_to_f32(4194304) == 0.5f);
}

/* The capture side writes the codes the rule gives (little-endian). */
static void capture_uses_the_rule(void **state)
{
    (void)state;
    const float x[] = {1.0f, -1.0f, 0.5f, NAN, 0.25f};
    uint8_t b16[10], b24[15];
    reel_samples_from_f32(b16, REEL_SAMPLE_I16, x, 5);
    reel_samples_from_f32(b24, REEL_SAMPLE_I24, x, 5);
    for (int i = 0; i < 5; i++) {
        int16_t v16 = (int16_t)(b16[2 * i] | b16[2 * i + 1] << 8);
        int32_t v24 = (int32_t)((uint32_t)b24[3 * i] << 8 | (uint32_t)b24[3 * i + 1] << 16 |
                                (uint32_t)b24[3 * i + 2] << 24) >> 8;
        assert_int_equal(v16, reel_f32_to_i16(x[i]));
        assert_int_equal(v24, reel_f32_to_i24(x[i]));
    }
    assert_int_equal((int16_t)(b16[0] | b16[1] << 8), 32767);
    assert_int_equal((int16_t)(b16[4] | b16[5] << 8), 16384);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_i16_code_round_trips),
        cmocka_unit_test(i24_codes_round_trip),
        cmocka_unit_test(edges_by_hand),
        cmocka_unit_test(capture_uses_the_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
