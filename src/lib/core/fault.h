/*
 * fault.h — the file-I/O seam: the system calls that put bytes on disk
 * (write, pwrite, copy_file_range; fsync, fdatasync; rename;
 * posix_fallocate) called through a context a test can arm to fail the Nth
 * call with an errno, or to write short.
 *
 * Why a context, not a global table or LD_PRELOAD: reel opens several
 * stores in one process (the daemon's control plane and its service each
 * open their own handle; unit tests open many), and a fault armed for one
 * must not leak into another or into the next test. So the state lives in
 * a `reel_fault` that belongs to the store: reel_cas holds one
 * (reel_cas_fault), armed from $REEL_FAULT when the store is opened (how
 * an integration test arms the real `reel` binary) or with reel_fault_arm
 * (unit tests). Code that writes into the store passes it down: the *_f
 * functions of fsutil.h take it, and NULL means "no faults". There is no
 * mutable global anywhere; the only state is the context's counters,
 * which are atomic because a store is written from several threads (the
 * recorder's preparer, put_file's copy thread).
 *
 * Cost when not armed: each wrapper is an inline test of one flag before
 * the real system call; nothing is allocated, counted or locked.
 *
 * Where it reaches: every write into the CAS (put, ingest, seal, staging
 * allocation, get's copy), manifest saves, and slice output (the float
 * WAV/RF64 and raw files reel writes itself, the copy to --out). Not
 * reached: reel.db (SQLite does its own I/O), what libsndfile writes for
 * PCM WAV, W64 and FLAC, the SMF and tar writers, and chunk bytes written
 * through mappings (which is why staging chunks are allocated up front).
 * Calls are counted per open store: `reel serve` opens more than one.
 *
 * Spec (REEL_FAULT, reel_fault_arm): RULE[,RULE...], RULE is
 *     OP:WHAT[:after=N][:times=M]
 *   OP    write (write, pwrite, copy_file_range), fsync (fsync, fdatasync,
 *         of files and directories), rename, fallocate, or any
 *   WHAT  an errno name (ENOSPC, EIO, EDQUOT, EROFS, EFBIG; EXDEV and
 *         EOPNOTSUPP drive the fallbacks: a rename across filesystems, a
 *         copy_file_range or fallocate the filesystem refuses) or, for
 *         write, `short`: the call transfers half of what was asked (at
 *         least one byte) and succeeds, as a nearly full disk or a signal
 *         does (a one-byte write is not shortened, nor counted)
 *   after the first N matching calls go through (default 0)
 *   times at most M calls are faulted (default: every later one: a full
 *         disk stays full)
 * Each rule counts the calls it names on its own; when several would
 * fault one call, the first listed decides.
 * e.g. REEL_FAULT=write:ENOSPC:after=3, REEL_FAULT=write:short,fsync:EIO:times=1
 * A malformed spec is an error at store open (REEL_EINVAL), never ignored:
 * a typo must not make a fault test pass by testing nothing.
 *
 * Must never: fault a call that no rule names, or change what an unarmed
 * call does.
 */
#ifndef REEL_FAULT_H
#define REEL_FAULT_H

#include "core/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <unistd.h>

typedef enum reel_fault_op {
    REEL_FAULT_WRITE = 0,
    REEL_FAULT_FSYNC,
    REEL_FAULT_RENAME,
    REEL_FAULT_FALLOCATE,
    REEL_FAULT_OPS,
    REEL_FAULT_ANY = REEL_FAULT_OPS, /* a rule for every op */
} reel_fault_op;

#define REEL_FAULT_RULES 4
#define REEL_FAULT_SHORT 0 /* rule errno 0: a short transfer */

/* Every field is atomic: a test may arm or disarm a store that other
 * threads are writing (the recorder's preparer). Arming then takes effect
 * from some call on; the rules are published before `armed` (release) and
 * read after it (acquire). */
typedef struct reel_fault_rule {
    _Atomic int op;        /* reel_fault_op */
    _Atomic int errnum;    /* REEL_FAULT_SHORT or an errno */
    _Atomic uint64_t after;
    _Atomic uint64_t times; /* 0: unlimited */
    _Atomic uint64_t seen;  /* matching calls so far */
} reel_fault_rule;

typedef struct reel_fault {
    _Atomic bool armed;
    _Atomic size_t n_rules;
    reel_fault_rule rules[REEL_FAULT_RULES];
    _Atomic uint64_t injected; /* calls faulted so far, every rule */
} reel_fault;

/* Parse `spec` into f (disarmed first; an empty spec leaves it disarmed). */
int reel_fault_arm(reel_fault *f, const char *spec, reel_error *err);
/* Arm from $REEL_FAULT (unset or empty: disarmed). */
int reel_fault_arm_env(reel_fault *f, reel_error *err);
void reel_fault_disarm(reel_fault *f);
/* How many calls were faulted: lets a test prove its fault was reached. */
uint64_t reel_fault_injected(const reel_fault *f);

/* The armed path (fault.c): decide for one call of `op` wanting `len`
 * bytes. Returns 0 to go ahead (with *len possibly shortened), or the
 * errno to fail with. */
int reel_fault_check(reel_fault *f, reel_fault_op op, size_t *len);

static inline bool reel_fault_on(const reel_fault *f)
{
    return __builtin_expect(f != NULL && atomic_load_explicit(&f->armed, memory_order_acquire), 0);
}

static inline ssize_t reel_io_write(reel_fault *f, int fd, const void *buf, size_t n)
{
    if (reel_fault_on(f)) {
        int e = reel_fault_check(f, REEL_FAULT_WRITE, &n);
        if (e) {
            errno = e;
            return -1;
        }
    }
    return write(fd, buf, n);
}

static inline ssize_t reel_io_pwrite(reel_fault *f, int fd, const void *buf, size_t n, off_t off)
{
    if (reel_fault_on(f)) {
        int e = reel_fault_check(f, REEL_FAULT_WRITE, &n);
        if (e) {
            errno = e;
            return -1;
        }
    }
    return pwrite(fd, buf, n, off);
}

static inline ssize_t reel_io_copy_file_range(reel_fault *f, int in, off_t *in_off, int out,
                                              off_t *out_off, size_t n, unsigned flags)
{
    if (reel_fault_on(f)) {
        int e = reel_fault_check(f, REEL_FAULT_WRITE, &n);
        if (e) {
            errno = e;
            return -1;
        }
    }
    return copy_file_range(in, in_off, out, out_off, n, flags);
}

static inline int reel_io_fsync(reel_fault *f, int fd)
{
    if (reel_fault_on(f)) {
        int e = reel_fault_check(f, REEL_FAULT_FSYNC, NULL);
        if (e) {
            errno = e;
            return -1;
        }
    }
    return fsync(fd);
}

static inline int reel_io_fdatasync(reel_fault *f, int fd)
{
    if (reel_fault_on(f)) {
        int e = reel_fault_check(f, REEL_FAULT_FSYNC, NULL);
        if (e) {
            errno = e;
            return -1;
        }
    }
    return fdatasync(fd);
}

static inline int reel_io_rename(reel_fault *f, const char *from, const char *to)
{
    if (reel_fault_on(f)) {
        int e = reel_fault_check(f, REEL_FAULT_RENAME, NULL);
        if (e) {
            errno = e;
            return -1;
        }
    }
    return rename(from, to);
}

/* Like posix_fallocate: returns 0 or an errno (errno itself untouched). */
static inline int reel_io_fallocate(reel_fault *f, int fd, off_t off, off_t len)
{
    if (reel_fault_on(f)) {
        int e = reel_fault_check(f, REEL_FAULT_FALLOCATE, NULL);
        if (e)
            return e;
    }
    return posix_fallocate(fd, off, len);
}

#endif
