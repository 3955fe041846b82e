/*
 * moment_table.h — adding a row to the moments table of reel.db: the one
 * rule every writer of moments follows (the live detector in capture/, the
 * markers of model/moments/).
 *
 * Owns: the checks a stored moment passes (a known kind, a finite level)
 * and its creation time. Must never: decide where a moment is (frames and
 * wall clocks are the caller's).
 */
#ifndef REEL_MOMENT_TABLE_H
#define REEL_MOMENT_TABLE_H

#include "store/artifact_db.h"

/* Called when a moment has been stored (id set). */
typedef void (*reel_moment_fn)(void *ud, const reel_db_moment *m);

/* Store a moment (kind checked, created_ns set, m->id assigned). */
int reel_moment_add(reel_db *db, reel_db_moment *m, reel_error *err);

#endif
