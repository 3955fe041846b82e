/*
 * sample_convert.h — the one rule for turning float samples into integer
 * codes and back, used by capture (the chunk writer, sources) and output
 * (audio_out) alike, so a stream stored as i16 and a slice written as i16
 * from a float stream give the same codes.
 *
 * The rule (libsndfile's and sox's): integer code = nearest integer to
 * x * 2^(bits-1) (ties to even, the default rounding mode), clipped to
 * [-2^(bits-1), 2^(bits-1) - 1]; NaN is 0. Back: code / 2^(bits-1), exact in
 * float. So every integer code survives code -> float -> code unchanged,
 * and +1.0 clips to the largest code.
 *
 * Realtime: every function here is safe in a realtime callback (inline
 * arithmetic, no calls, no allocation).
 *
 * Owns: that rule. Must never: depend on anything.
 */
#ifndef REEL_SAMPLE_CONVERT_H
#define REEL_SAMPLE_CONVERT_H

#include <math.h>
#include <stdint.h>

#define REEL_I16_LO (-32768)
#define REEL_I16_HI 32767
#define REEL_I24_LO (-8388608)
#define REEL_I24_HI 8388607

/* An already scaled float to an integer code: nearest, clipped, NaN -> 0.
 * The comparisons come first so lrintf never sees a value outside the code
 * range. Realtime-safe. */
static inline int32_t reel_scaled_to_int(float s, int32_t lo, int32_t hi)
{
    if (isnan(s))
        return 0;
    if (s >= (float)hi)
        return hi;
    if (s <= (float)lo)
        return lo;
    return (int32_t)lrintf(s);
}

/* Realtime-safe. */
static inline int32_t reel_f32_to_i16(float x)
{
    return reel_scaled_to_int(x * 32768.0f, REEL_I16_LO, REEL_I16_HI);
}

/* Realtime-safe. */
static inline int32_t reel_f32_to_i24(float x)
{
    return reel_scaled_to_int(x * 8388608.0f, REEL_I24_LO, REEL_I24_HI);
}

/* Realtime-safe. */
static inline float reel_i16_to_f32(int32_t v)
{
    return (float)v * (1.0f / 32768.0f);
}

/* Realtime-safe. */
static inline float reel_i24_to_f32(int32_t v)
{
    return (float)v * (1.0f / 8388608.0f);
}

#endif
