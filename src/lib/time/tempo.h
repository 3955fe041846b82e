/*
 * tempo.h — the tempo map: segments of bpm and time signature, and the one
 * mapping between beats, seconds and frames that everything uses.
 *
 * Owns: the map's record, its JSON form (the project document's "tempo"
 * array) and its checks, the conversions beats <-> seconds <-> frames and
 * bars|beats <-> beats, and THE rounding rule from seconds to frames. Must
 * never: round seconds to frames anywhere but reel_tempo_seconds_to_frames,
 * keep state outside the map, or accept a map it cannot convert exactly at
 * its segment boundaries.
 *
 * Units (stated once, here):
 *   - A POSITION in beats ("beats", seg.beat) is counted in QUARTER NOTES
 *     from the timeline's start, whatever the time signature.
 *   - bpm is quarter notes per minute, whatever the time signature: a
 *     segment's den changes only how bars are counted, never the speed.
 *   - A bar of num/den lasts num * 4/den quarter notes. Every segment starts
 *     on a bar line of the segment before it (checked by from_json), so bars
 *     always restart at a segment boundary.
 *   - Bars|beats (BBT) count from 1: bar 1 beat 1 is position 0. The beat
 *     of a BBT is counted in the segment's den-notes (in 7/8, beats 1..7 are
 *     eighths, 0.5 quarter notes apart) and may be fractional, in [1, num+1).
 *   - Before position 0 (negative beats or seconds) the first segment's
 *     tempo extends backwards, so pre-roll converts; BBT has no bar before
 *     bar 1 and refuses negative positions.
 *
 * THE ROUNDING RULE (reel_tempo_seconds_to_frames; beats_to_frames is
 * seconds_to_frames(beats_to_seconds(b)), so there is one rule):
 *   frames = floor(x + 1/2 + eps), x = seconds * rate, eps = |x|*2^-46 + 2^-32:
 *   the nearest frame, a half rounded toward +infinity. eps is far above
 *   the error of the double arithmetic (about |x|*2^-52) and far below a
 *   frame, so a position whose exact rational value is k + 1/2 frames lands
 *   on k + 1 even when its double is a hair below the half; segment starts
 *   are summed in long double, so every boundary lands on the frame its
 *   exact value rounds to. NaN gives 0; results saturate at INT64_MIN/MAX.
 */
#ifndef REEL_TEMPO_H
#define REEL_TEMPO_H

#include "core/error.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define REEL_TEMPO_SEGMENTS_MAX 1024
/* A segment starts at most 2^40 quarter notes and 2^40 s (34 000 years)
 * into the timeline: frames then stay far below 2^63 at any rate. */
#define REEL_TEMPO_BEATS_MAX 1099511627776.0
#define REEL_TEMPO_SECONDS_MAX 1099511627776.0

typedef struct reel_tempo_segment {
    double beat;  /* where it starts, in quarter notes from the timeline's start */
    double bpm;   /* quarter notes per minute, (0, 1000] */
    int num, den; /* time signature: num 1..64, den a power of two 1..64 */
} reel_tempo_segment;

typedef struct reel_tempo_map {
    size_t n; /* >= 1 */
    reel_tempo_segment seg[REEL_TEMPO_SEGMENTS_MAX];
    double start_s[REEL_TEMPO_SEGMENTS_MAX]; /* seconds at each segment's start (derived) */
} reel_tempo_map;

/* One constant segment: 120 bpm 4/4 from beat 0. */
void reel_tempo_map_default(reel_tempo_map *m);

/* Parse / check the project document's "tempo" array:
 *   [{"beat": 0, "bpm": 120, "num": 4, "den": 4}, {"beat": 16, "bpm": 90, "num": 3, "den": 4}]
 * 1..REEL_TEMPO_SEGMENTS_MAX segments; the first at beat 0, beats strictly
 * increasing, each on a bar line of the one before, finite numbers, the
 * bounds above (num, den JSON integers); unknown keys refused. REEL_EINVAL
 * with one line naming the segment index and field ("tempo[2].den: ...");
 * REEL_ENOMEM. *m is written only on success (with start_s derived). */
int reel_tempo_map_from_json(json_t *arr, reel_tempo_map *m, reel_error *err);

/* The "tempo" array of m (new reference; NULL when out of memory). Integral
 * values are written as JSON integers, others as reals, so from_json of the
 * result gives m back and to_json(from_json(x)) equals x for x in that form. */
json_t *reel_tempo_map_to_json(const reel_tempo_map *m);

double reel_tempo_beats_to_seconds(const reel_tempo_map *m, double beats);
double reel_tempo_seconds_to_beats(const reel_tempo_map *m, double seconds);
/* = reel_tempo_seconds_to_frames(reel_tempo_beats_to_seconds(m, beats), rate). */
int64_t reel_tempo_beats_to_frames(const reel_tempo_map *m, double beats, uint32_t rate);
/* THE rounding rule, see the top of this file. */
int64_t reel_tempo_seconds_to_frames(double seconds, uint32_t rate);
/* The exact position of the frame's start (no rounding: frames / rate). */
double reel_tempo_frames_to_beats(const reel_tempo_map *m, int64_t frames, uint32_t rate);

/* Bars and beats: bar >= 1, beat in [1, num+1) of the bar's time signature
 * (den-notes, see above). REEL_EINVAL naming what was out of range (also a
 * position past REEL_TEMPO_BEATS_MAX). */
int reel_tempo_bbt_to_beats(const reel_tempo_map *m, int64_t bar, double beat, double *beats,
                            reel_error *err);
/* The bar and beat of a position >= 0; REEL_EINVAL for a negative, non-finite
 * or too large position (nothing written then). */
int reel_tempo_beats_to_bbt(const reel_tempo_map *m, double beats, int64_t *bar, double *beat);

/* The next beat ("beat") or bar ("bar") line at or after frame `pos`, or
 * pos itself ("none" or NULL): where a quantized command lands. REEL_EINVAL
 * if the map has no such line (a position past REEL_TEMPO_BEATS_MAX). */
int reel_tempo_next_grid(const reel_tempo_map *m, const char *q, int64_t pos, uint32_t rate,
                         int64_t *at, reel_error *err);

#endif /* REEL_TEMPO_H */
