/*
 * auto_cmd.h — one automation command, as the realtime merge applies it
 * (DESIGN.md section 10): at timeline frame `frame`, on control slot
 * `slot` (a parameter the plan resolved from a target path), a set (the
 * value from that frame on), a ramp (from the value the slot holds at
 * `frame` to `value` over `ramp_frames`, along `curve`), or a trigger (an
 * action: it runs after every set and ramp of the same frame).
 *
 * Curves, x = (t - frame) / ramp_frames in [0, 1], from a to b:
 *   linear       a + (b - a) x
 *   exponential  a (b / a)^x            (a and b of one sign, neither 0;
 *                                        otherwise linear: the refusal is
 *                                        the op's, lane_doc.c)
 *   logarithmic  a + (b - a) log10(1 + 9x)   (fast start, Ardour's fader "fast")
 *   s_curve      a + (b - a) (1 - cos(pi x)) / 2  (raised cosine)
 *   discrete     a until the ramp ends, then b
 *
 * Owns: the command's layout and the curve formulas. Must never: allocate
 * (reel_curve_eval runs in the callback).
 */
#ifndef REEL_RT_AUTO_CMD_H
#define REEL_RT_AUTO_CMD_H

#include <math.h>
#include <stdint.h>

typedef enum reel_cmd_type {
    REEL_CMD_SET = 0,
    REEL_CMD_RAMP = 1,
    REEL_CMD_TRIGGER = 2,
} reel_cmd_type;

typedef enum reel_curve {
    REEL_CURVE_LINEAR = 0,
    REEL_CURVE_EXPONENTIAL = 1,
    REEL_CURVE_LOGARITHMIC = 2,
    REEL_CURVE_S = 3,
    REEL_CURVE_DISCRETE = 4,
    REEL_CURVE_N = 5,
} reel_curve;

typedef struct reel_cmd {
    int64_t frame;
    int64_t ramp_frames; /* ramps: > 0 */
    float value;
    uint32_t slot;
    uint8_t type;  /* reel_cmd_type */
    uint8_t curve; /* reel_curve */
    uint16_t source; /* who sent it: 0 lane, 1 op, 2 OSC, 3 MIDI, 4 web (for counters) */
} reel_cmd;

/* Same-frame order: set and ramp before trigger. */
static inline int reel_cmd_rank(const reel_cmd *c)
{
    return c->type == REEL_CMD_TRIGGER;
}

/* Realtime: the curve at x in [0, 1] from a to b. */
static inline float reel_curve_eval(int curve, float a, float b, double x)
{
    if (x <= 0.0)
        return a;
    if (x >= 1.0)
        return b;
    switch (curve) {
    case REEL_CURVE_EXPONENTIAL:
        if ((a > 0 && b > 0) || (a < 0 && b < 0))
            return (float)((double)a * pow((double)b / (double)a, x));
        break;
    case REEL_CURVE_LOGARITHMIC:
        return (float)(a + (double)(b - a) * log10(1.0 + 9.0 * x));
    case REEL_CURVE_S:
        return (float)(a + (double)(b - a) * (1.0 - cos(M_PI * x)) / 2.0);
    case REEL_CURVE_DISCRETE:
        return a;
    default:
        break;
    }
    return (float)(a + (double)(b - a) * x);
}

#endif
