/*
 * store_lock.h — who is recording: advisory locks (flock) under <root>/locks.
 *
 * Two kinds, both held by the recording process for as long as it records
 * and dropped by the kernel the moment it dies (so a SIGKILLed recorder
 * never leaves a stale lock, and a recycled pid never looks alive):
 *
 *   locks/stream-<blake3 of the URI>  exclusive: one recorder per stream.
 *       Recovery takes it too, so it never seals a stream a live process
 *       is still writing. The holder's pid is written into the file, for
 *       the error message only.
 *   locks/recorders                   shared by every recorder (taken before
 *       it creates any staging file); the staging sweep takes it exclusive,
 *       so it removes unknown staging files only when no process can be
 *       preparing chunks that no manifest lists yet.
 *
 * Locks belong to an open file description: two recorders of one stream in
 * one process conflict exactly like two processes. Owns: the lock files and
 * their descriptors. Must never: block on a stream lock, or delete a lock
 * file (an unlinked file could be locked twice).
 */
#ifndef REEL_STORE_LOCK_H
#define REEL_STORE_LOCK_H

#include "store/store.h"

#include <stdbool.h>

/* Try to take the stream's lock: *fd on success; REEL_ESTATE (naming the
 * holder's pid) if another recorder holds it. */
int reel_lock_acquire_stream(reel_store *st, const char *uri, int *fd, reel_error *err);

/* The recorders lock. Shared: waits (a sweep is short). Exclusive: does not
 * wait; REEL_ESTATE if any recorder holds it. */
int reel_lock_acquire_recorders(reel_store *st, bool exclusive, int *fd, reel_error *err);

/* Drop a lock (fd < 0: nothing). */
void reel_lock_release(int fd);

#endif
