/*
 * fsck.h — checking a store: every sealed blob re-hashed against its name,
 * every reference (artifacts, stream definitions, manifests and their
 * pages and chunks) pointing at content that exists.
 *
 * Owns: the checks and their report. Must never: modify the store.
 */
#ifndef REEL_FSCK_H
#define REEL_FSCK_H

#include "store/store.h"

typedef struct reel_fsck_report {
    uint64_t blobs, corrupt, missing, staging_files, streams, artifacts;
} reel_fsck_report;

/* Each problem goes to `problem` (one line, may be NULL). Returns
 * REEL_ECORRUPT if anything is wrong, REEL_OK if the store is clean. */
typedef void (*reel_fsck_problem_fn)(const char *line, void *ud);
int reel_fsck(reel_store *st, reel_fsck_report *rep, reel_fsck_problem_fn problem, void *ud,
              reel_error *err);
/* The same, calling `progress` (may be NULL) after each blob is re-hashed,
 * with the report so far (rep->blobs) and the same `ud`. */
typedef void (*reel_fsck_progress_fn)(const reel_fsck_report *rep, void *ud);
int reel_fsck_progress(reel_store *st, reel_fsck_report *rep, reel_fsck_problem_fn problem,
                       reel_fsck_progress_fn progress, void *ud, reel_error *err);

#endif
