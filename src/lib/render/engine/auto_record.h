/*
 * auto_record.h — the automation recorder (DESIGN.md section 10, seed 003's
 * timeline recorder): live commands on armed lanes written into the
 * project as lane chunks, pass by pass, with Ardour's record modes.
 *
 * A pass runs from where the transport starts playing to where it stops,
 * seeks, starts again, or wraps a loop (time went backwards, Ardour's
 * rule: seen at the next command or state after the wrap); each pass commits one
 * lane_write per lane that recorded (one undo step each). Modes:
 *   overdub  every command is added, nothing is removed;
 *   write    the whole interval played is overwritten with what came in
 *            (nothing: it is cleared); the lane becomes touch after it;
 *   touch    writes while the control is held: from a command with touch
 *            (or any command, for controllers that send no touch) to its
 *            release (touch false), or `touch_timeout` after its last
 *            command; only those intervals are overwritten;
 *   latch    from the first command until the pass ends.
 * Punch: only [punch_from, punch_to) is written (commands outside it are
 * applied but not recorded). Quantize: recorded frames are rounded to the
 * nearest multiple of `quantize` frames.
 *
 * Crash safety: with a journal folder, every command a pass records is
 * also appended (write(2), one record each, before the op answers) to
 * `<folder>/<lane>.journal`: a JSON line {project, lane, mode, pass_from}
 * and then lane_format.h records. A SIGKILL keeps what write(2) handed to
 * the kernel; the next process's reel_auto_rec_recover commits each
 * journal it finds as the pass it was (write: over [pass_from, last
 * command]; touch and latch: from the first command to the last; overdub:
 * added) and removes it. A committed pass removes its journal.
 *
 * Owns: the armed lanes, what each pass gathered, their journals. Must
 * never: lose a recorded command (a commit that fails keeps the pass and
 * its journal, and reports it), or commit a pass twice.
 */
#ifndef REEL_RENDER_AUTO_RECORD_H
#define REEL_RENDER_AUTO_RECORD_H

#include "rt/auto_cmd.h"
#include "core/error.h"

#include <jansson.h>
#include <stdbool.h>

typedef struct reel_auto_rec reel_auto_rec;

/* Runs lane_write with `args` (the caller's op runner). */
typedef int (*reel_auto_rec_commit_fn)(void *ud, json_t *args, json_t **out, reel_error *err);

typedef struct reel_auto_arm {
    const char *project, *lane;
    json_t *doc; /* the version playing: the lane's target and mode */
    int64_t punch_from, punch_to; /* -1: none */
    int64_t touch_timeout;        /* frames */
    int64_t quantize;             /* frames; 0: none */
    int64_t at;                   /* where the playhead is when armed while playing, else -1:
                                     a write pass writes from there, not from the pass's start */
} reel_auto_arm;

int reel_auto_rec_new(reel_auto_rec **out, reel_error *err);
/* Where journals go (made at the first one); NULL: none. */
int reel_auto_rec_journal_dir(reel_auto_rec *r, const char *dir, reel_error *err);
/* Commit every journal left in the folder by a process that died
 * (*report: one entry per lane recovered). A journal whose commit is
 * refused (its lane is gone) is kept as <lane>.journal.failed, reported
 * with the error, and the rest go on. */
int reel_auto_rec_recover(reel_auto_rec *r, reel_auto_rec_commit_fn fn, void *ud,
                          json_t **report, reel_error *err);
void reel_auto_rec_free(reel_auto_rec *r);

int reel_auto_rec_arm(reel_auto_rec *r, const reel_auto_arm *a, reel_error *err);
int reel_auto_rec_disarm(reel_auto_rec *r, const char *lane, reel_error *err);
bool reel_auto_rec_any(const reel_auto_rec *r);

/* The transport plays from `frame`: a pass begins. */
void reel_auto_rec_pass_start(reel_auto_rec *r, int64_t frame);
/* `wraps` is the player's loop-wrap count: more than at the pass's start
 * means the playhead went back to the loop's start (Ardour: time went
 * backwards), and the caller ends the pass at the loop's end and starts
 * the next one at its start. */
bool reel_auto_rec_wrapped(const reel_auto_rec *r, uint64_t wraps);
void reel_auto_rec_pass_wraps(reel_auto_rec *r, uint64_t wraps);
/* A command the transport took for `target`; touch 1 held, 0 released,
 * -1 not said. */
int reel_auto_rec_command(reel_auto_rec *r, const char *target, const reel_cmd *c, int touch,
                          reel_error *err);
/* End the pass at `frame` and commit what it recorded. *report: one entry
 * per lane written {lane, mode, events, version}. */
int reel_auto_rec_pass_end(reel_auto_rec *r, int64_t frame, reel_auto_rec_commit_fn fn,
                           void *ud, json_t **report, reel_error *err);

json_t *reel_auto_rec_state(const reel_auto_rec *r);

#endif
