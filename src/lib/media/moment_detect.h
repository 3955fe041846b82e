/*
 * moment_detect.h — activity detection: where does something happen in a
 * stream? A pure detector fed with frames (audio samples or MIDI events) in
 * stream order; it reports "moments" (onsets) through a callback.
 *
 * Audio: a moment starts at the first frame whose peak (over channels)
 * reaches level_db (dBFS). It is reported once its peak is known: after a
 * short peak window (REEL_DETECT_PEAK_MS) or when the event ends, whichever
 * comes first. The event ends when the signal stays below level_db -
 * hysteresis_db for hold_ns; only then can the next moment start, so one
 * loud note (whose waveform crosses zero many times) is one moment.
 *
 * MIDI: a moment is the first event of a burst, an event with no other
 * event in the hold_ns before it. System realtime bytes (clock, active
 * sensing, 0xF8-0xFF) are not activity: they never stop.
 *
 * Owns: the detection state of one stream. Must never: allocate, do I/O or
 * depend on how the frames were split into calls (the same frames give the
 * same moments however they are fed).
 */
#ifndef REEL_MOMENT_DETECT_H
#define REEL_MOMENT_DETECT_H

#include "core/stream_def.h"

#include <stdbool.h>
#include <stdint.h>

#define REEL_DETECT_PEAK_MS 50

typedef enum reel_moment_kind {
    REEL_MOMENT_LEVEL = 0,  /* audio above the threshold */
    REEL_MOMENT_MIDI = 1,   /* a burst of MIDI events */
    REEL_MOMENT_MARKER = 2, /* set by hand (reel marker, OSC) */
} reel_moment_kind;

const char *reel_moment_kind_name(reel_moment_kind k); /* "level" | "midi" | "marker" */
int reel_moment_kind_parse(const char *s, reel_moment_kind *out, reel_error *err);

/* What triggers a moment. */
typedef struct reel_trigger_opts {
    bool level;           /* audio level detection */
    double level_db;      /* threshold in dBFS: -120 < level_db <= 0 */
    double hysteresis_db; /* the event ends below level_db - hysteresis_db (>= 0) */
    int64_t hold_ns;      /* quiet this long ends an event / separates MIDI bursts */
    bool midi;            /* MIDI activity */
} reel_trigger_opts;

/* On, -30 dBFS, 6 dB hysteresis, 250 ms hold, MIDI on. */
void reel_trigger_opts_default(reel_trigger_opts *o);
int reel_trigger_opts_validate(const reel_trigger_opts *o, reel_error *err);

typedef struct reel_detected {
    reel_moment_kind kind;
    uint64_t frame;  /* the onset */
    double level_db; /* audio: the peak in its first REEL_DETECT_PEAK_MS; MIDI: NaN */
} reel_detected;

typedef void (*reel_detect_fn)(void *ud, const reel_detected *d);

typedef struct reel_detector {
    reel_trigger_opts o;
    reel_sample_format fmt;
    uint32_t channels;
    float on, off;         /* linear thresholds */
    uint64_t hold_frames, peak_frames;
    uint64_t pos;          /* the next frame expected */
    bool started;          /* pos is known */
    int state;             /* idle, pending (peak window), active */
    uint64_t onset, quiet;
    float peak;
    bool midi_seen;
    uint64_t midi_last;
    reel_detect_fn fn;
    void *ud;
} reel_detector;

/* fmt and channels matter for audio only; rate converts hold_ns to frames. */
int reel_detector_init(reel_detector *d, const reel_trigger_opts *o, uint32_t rate,
                       reel_sample_format fmt, uint32_t channels, reel_detect_fn fn, void *ud,
                       reel_error *err);

/* `frames` interleaved frames starting at stream frame `first`. A jump
 * forward (a gap) counts as silence; frames before pos are ignored. */
void reel_detector_audio(reel_detector *d, uint64_t first, const uint8_t *data, size_t frames);

/* One MIDI message at `frame`. */
void reel_detector_midi(reel_detector *d, uint64_t frame, const uint8_t *msg, uint32_t len);

/* The stream ends: report a moment still inside its peak window. */
void reel_detector_flush(reel_detector *d);

#endif
