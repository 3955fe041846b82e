/*
 * recovery.h — the start-up scan of a store after a crash.
 *
 * 1. Every stream left "recording" whose stream lock nobody holds (its
 *    recorder died) is recovered: the staging chunks its live manifest
 *    lists are sealed at the last head position reported, the manifest is
 *    sealed and the stream marked stopped (reel_recorder_recover). Streams
 *    a live process records are left alone.
 * 2. Staging files no live manifest references (chunks prepared but never
 *    started, manifests of a recorder that died while opening) and stray
 *    temporaries in cas/tmp are removed once older than the grace period,
 *    and only while no recorder holds the shared recorders lock (any live
 *    recorder may have prepared chunks that no manifest lists yet). Younger
 *    ones are left for a later scan.
 *
 * Owns: the scan and its report. Must never: remove a file a manifest
 * references, touch a stream a live process holds, or remove anything in a
 * dry run.
 */
#ifndef REEL_RECOVERY_H
#define REEL_RECOVERY_H

#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REEL_RECOVERY_GRACE_DEFAULT_NS (600LL * 1000000000LL) /* 10 min */

typedef struct reel_recovery_opts {
    int64_t grace_ns; /* unknown files younger than this stay (0: remove all) */
    bool dry_run;     /* count what would be done, change nothing */
} reel_recovery_opts;

typedef struct reel_recovery_report {
    uint64_t streams_recovered; /* left recording by a dead process: sealed */
    uint64_t streams_live;      /* recorded by a live process: left alone */
    uint64_t streams_failed;    /* could not be recovered (see `failure`) */
    uint64_t chunks_sealed;     /* staging chunks sealed (or finished) by recovery */
    uint64_t frames_sealed;     /* frames in those chunks */
    uint64_t unknown_removed;   /* unreferenced staging files removed */
    uint64_t unknown_young;     /* ... kept: younger than the grace period */
    uint64_t unknown_busy;      /* ... kept: a live recorder may own them */
    uint64_t bytes_removed;
    uint64_t tmp_removed;       /* stray temporaries in cas/tmp removed */
    char failure[REEL_ERROR_MSG_MAX]; /* the first stream failure */
} reel_recovery_report;

/* Run the scan. A stream that cannot be recovered (unreadable manifest)
 * is counted and named in rep->failure, and then nothing unknown is removed
 * (its references are not known); other streams are still recovered. */
int reel_recovery_scan(reel_store *st, const reel_recovery_opts *o, reel_recovery_report *rep,
                       reel_error *err);

/* One human line describing the report. */
void reel_recovery_summary(const reel_recovery_report *rep, const reel_recovery_opts *o,
                           char *out, size_t len);

#endif
