/*
 * take.c — the take state machine and the worker that writes takes (see
 * take.h).
 *
 * Who may touch what: every field under `lock`, except the open file `w`
 * and the worker's store, which belong to the worker while a take is
 * recording or stopping (start hands `w` over under the lock as it enters
 * recording). The worker appends with the lock released; before it does,
 * it publishes the frame it will reach (`busy_end`) so that a stop never
 * picks an end before frames already on their way into the file.
 */
#include "model/take/take.h"

#include "time/clock.h"
#include "slice/slice.h"
#include "model/take/take_name.h"
#include "media/wav_stream.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define POLL_MS 40
/* Rounds a chunk may stay missing: a seal in flight names its content in
 * the manifest a moment before the file is renamed into place. */
#define MISSING_ROUNDS_MAX 100
#define TO_UNSET UINT64_MAX
/* While a take records, the worker stays this far behind the head: a stop
 * is marked at the frame at which it arrived, and it may reach the take
 * (through the control thread's queue) after the head has moved past that
 * frame; frames already in the file could not be taken back. */
#define HOLD_MS 500

struct reel_take {
    char root[PATH_MAX];
    reel_store *st; /* the worker's */
    reel_take_event_fn on_event;
    void *ud;
    pthread_t worker;
    pthread_mutex_t lock;
    pthread_cond_t wake; /* to the worker: a take started or is stopping, or quit */
    pthread_cond_t idle; /* from the worker: back to idle */
    bool quit;
    reel_take_state state;
    uint64_t takes;      /* takes started */
    /* the current take, from arming to idle */
    char file[REEL_TAKE_FILE_MAX];
    char path[PATH_MAX];
    char stream[REEL_URI_MAX];
    char creator[64];
    uint32_t rate;
    uint64_t from, to, written, busy_end;
    int missing_rounds; /* consecutive rounds that found a chunk missing */
    reel_wav_stream *w;
    json_t *last; /* the take finished most recently */
};

const char *reel_take_state_name(reel_take_state s)
{
    switch (s) {
    case REEL_TAKE_IDLE: return "idle";
    case REEL_TAKE_ARMING: return "arming";
    case REEL_TAKE_RECORDING: return "recording";
    case REEL_TAKE_STOPPING: return "stopping";
    }
    return "?";
}

static double secs(const reel_take *t, uint64_t frames)
{
    return t->rate ? (double)frames / t->rate : 0.0;
}

/* Frames the take has (recording: in the file; stopping: its final length). */
static uint64_t take_frames(const reel_take *t)
{
    if (t->state == REEL_TAKE_STOPPING && t->to != TO_UNSET)
        return t->to - t->from;
    return t->written - t->from;
}

static json_t *status_locked(const reel_take *t)
{
    json_t *j = json_pack("{s:s, s:I}", "state", reel_take_state_name(t->state), "takes",
                          (json_int_t)t->takes);
    if (t->state == REEL_TAKE_RECORDING || t->state == REEL_TAKE_STOPPING) {
        uint64_t n = take_frames(t);
        json_object_set_new(j, "file", json_string(t->file));
        json_object_set_new(j, "path", json_string(t->path));
        json_object_set_new(j, "stream", json_string(t->stream));
        json_object_set_new(j, "from_frame", json_integer((json_int_t)t->from));
        if (t->state == REEL_TAKE_STOPPING && t->to != TO_UNSET)
            json_object_set_new(j, "to_frame", json_integer((json_int_t)t->to));
        json_object_set_new(j, "frames", json_integer((json_int_t)n));
        json_object_set_new(j, "seconds", json_real(secs(t, n)));
    }
    /* A copy, not a reference: the status is released on other threads,
     * and jansson's reference counts are not for sharing across them. */
    if (t->last)
        json_object_set_new(j, "last", json_deep_copy(t->last));
    return j;
}

json_t *reel_take_status(reel_take *t)
{
    pthread_mutex_lock(&t->lock);
    json_t *j = status_locked(t);
    pthread_mutex_unlock(&t->lock);
    return j;
}

reel_take_state reel_take_state_now(reel_take *t)
{
    pthread_mutex_lock(&t->lock);
    reel_take_state s = t->state;
    pthread_mutex_unlock(&t->lock);
    return s;
}

/* Drop the lock and tell the listener the state now (built under it). */
static void unlock_emit(reel_take *t)
{
    json_t *j = status_locked(t);
    pthread_mutex_unlock(&t->lock);
    if (t->on_event && j)
        t->on_event(t->ud, j);
    json_decref(j);
}

static struct timespec deadline_ms(int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* The refusal for `what` ("start", "stop") in the current state. */
static int refuse_locked(const reel_take *t, const char *what, reel_error *err)
{
    switch (t->state) {
    case REEL_TAKE_IDLE:
        return reel_error_set(err, REEL_ESTATE, "cannot %s: no take is recording (state idle)",
                              what);
    case REEL_TAKE_ARMING:
        return reel_error_set(err, REEL_ESTATE,
                              "cannot %s: take %llu is arming (its file is being made); try "
                              "again in a moment", what, (unsigned long long)t->takes);
    case REEL_TAKE_RECORDING:
        return reel_error_set(err, REEL_ESTATE,
                              "cannot %s: already recording take %s (%s, %.1f s); stop it first",
                              what, t->file, t->stream, secs(t, take_frames(t)));
    case REEL_TAKE_STOPPING:
        return reel_error_set(err, REEL_ESTATE,
                              "cannot %s: take %s is stopping (its file is being finished); "
                              "try again when the state is idle", what, t->file);
    }
    return reel_error_set(err, REEL_ESTATE, "cannot %s", what);
}

/* The stream's head and shape; it must be an audio stream being recorded. */
static int stream_head(reel_store *st, const char *uri, bool need_recording, uint64_t *head,
                       reel_stream_def *def, reel_error *err)
{
    reel_stream_view v;
    int rc = reel_store_stream_open(st, uri, &v, err);
    if (rc)
        return rc;
    if (v.def.kind != REEL_STREAM_AUDIO)
        rc = reel_error_set(err, REEL_EFORMAT, "stream %s is MIDI; takes record audio streams",
                            uri);
    else if (need_recording && strcmp(v.row.state, "recording") != 0)
        rc = reel_error_set(err, REEL_ESTATE, "stream %s is not recording (state %s)", uri,
                            v.row.state);
    *head = v.manifest.total_frames;
    if (def)
        *def = v.def;
    reel_stream_view_free(&v);
    return rc;
}

static int start_worker(reel_take *t, reel_error *err);

int reel_take_start(reel_take *t, reel_store *st, const char *stream, const char *name,
                    const char *creator, json_t **out, reel_error *err)
{
    return reel_take_start_at(t, st, stream, name, creator, NULL, out, err);
}

int reel_take_start_at(reel_take *t, reel_store *st, const char *stream, const char *name,
                       const char *creator, const uint64_t *at, json_t **out, reel_error *err)
{
    *out = NULL;
    pthread_mutex_lock(&t->lock);
    if (t->state != REEL_TAKE_IDLE || t->quit) {
        int rc = t->quit ? reel_error_set(err, REEL_ESTATE, "takes are shutting down")
                         : refuse_locked(t, "start", err);
        pthread_mutex_unlock(&t->lock);
        return rc;
    }
    t->state = REEL_TAKE_ARMING;
    t->takes++;
    pthread_mutex_unlock(&t->lock);

    /* Arming, outside the lock: every other request sees "arming". */
    char file[REEL_TAKE_FILE_MAX], used[REEL_TAKE_FILE_MAX], path[PATH_MAX];
    reel_stream_def def;
    uint64_t head = 0;
    reel_wav_stream *w = NULL;
    int fd = -1;
    int rc = reel_take_name_sanitize(name, reel_clock_wall_now(), file, sizeof file, err);
    if (rc == 0 && !t->st)
        rc = start_worker(t, err);
    if (rc == 0)
        rc = stream_head(st, stream, true, &head, &def, err);
    if (rc == 0)
        rc = reel_take_name_create(t->root, file, used, path, &fd, err);
    if (rc == 0)
        rc = reel_wav_stream_open(&w, fd, path, def.sample_rate, def.channels, def.sample_format,
                                  err);

    pthread_mutex_lock(&t->lock);
    if (rc) {
        if (fd >= 0)
            unlink(path); /* the name was ours, made just now; nothing else in it */
        t->state = REEL_TAKE_IDLE;
        t->takes--;
        pthread_cond_broadcast(&t->idle);
        pthread_cond_broadcast(&t->wake);
        pthread_mutex_unlock(&t->lock);
        return rc;
    }
    snprintf(t->file, sizeof t->file, "%s", used);
    snprintf(t->path, sizeof t->path, "%s", path);
    snprintf(t->stream, sizeof t->stream, "%s", stream);
    snprintf(t->creator, sizeof t->creator, "%s", creator ? creator : "reel");
    t->rate = def.sample_rate;
    t->from = t->written = t->busy_end = at ? *at : head;
    t->missing_rounds = 0;
    t->to = TO_UNSET;
    t->w = w;
    t->state = REEL_TAKE_RECORDING;
    pthread_cond_broadcast(&t->wake);
    *out = status_locked(t);
    unlock_emit(t);
    return REEL_OK;
}

int reel_take_stop(reel_take *t, reel_store *st, json_t **out, reel_error *err)
{
    return reel_take_stop_at(t, st, NULL, out, err);
}

bool reel_take_stream(reel_take *t, char *buf, size_t cap)
{
    pthread_mutex_lock(&t->lock);
    bool rec = t->state == REEL_TAKE_RECORDING;
    if (rec)
        snprintf(buf, cap, "%s", t->stream);
    pthread_mutex_unlock(&t->lock);
    return rec;
}

int reel_take_stop_at(reel_take *t, reel_store *st, const uint64_t *at, json_t **out,
                      reel_error *err)
{
    *out = NULL;
    pthread_mutex_lock(&t->lock);
    if (t->state != REEL_TAKE_RECORDING) {
        int rc = refuse_locked(t, "stop", err);
        pthread_mutex_unlock(&t->lock);
        return rc;
    }
    t->state = REEL_TAKE_STOPPING; /* from here a second stop is refused */
    char stream[REEL_URI_MAX];
    snprintf(stream, sizeof stream, "%s", t->stream);
    pthread_mutex_unlock(&t->lock);

    uint64_t head = 0;
    reel_error e;
    /* If the stream cannot be read now the take ends where the worker got. */
    if (stream_head(st, stream, false, &head, NULL, &e) != 0)
        head = 0;

    pthread_mutex_lock(&t->lock);
    uint64_t to = at ? *at : head;
    if (to < t->busy_end)
        to = t->busy_end;
    if (to < t->written)
        to = t->written;
    t->to = to;
    pthread_cond_broadcast(&t->wake);
    *out = status_locked(t);
    unlock_emit(t);
    return REEL_OK;
}

/* ---- the worker ------------------------------------------------------------ */

static int append_frames(const uint8_t *data, size_t frames, void *ud, reel_error *err)
{
    return reel_wav_stream_append(ud, data, frames, err);
}

/* Close the file, store the artifact, go idle. Called with the lock held;
 * drops it for the disk work. */
static void finish_locked(reel_take *t, int failed_rc, const reel_error *failure)
{
    reel_wav_stream *w = t->w;
    t->w = NULL;
    char file[REEL_TAKE_FILE_MAX], path[PATH_MAX], stream[REEL_URI_MAX], creator[64];
    snprintf(file, sizeof file, "%s", t->file);
    snprintf(path, sizeof path, "%s", t->path);
    snprintf(stream, sizeof stream, "%s", t->stream);
    snprintf(creator, sizeof creator, "%s", t->creator);
    uint64_t from = t->from, to = t->written;
    pthread_mutex_unlock(&t->lock);

    reel_error e;
    reel_error_clear(&e);
    int rc = failed_rc;
    if (rc)
        e = *failure;
    /* A failed take is still closed with a true header: what reached the
     * disk stays playable. */
    reel_error ce;
    int crc = reel_wav_stream_close(w, &ce);
    if (rc == 0 && crc) {
        rc = crc;
        e = ce;
    }
    reel_slice_result res;
    memset(&res, 0, sizeof res);
    if (rc == 0 && to > from) {
        const char *tags[] = {"take"};
        json_t *meta = json_pack("{s:s, s:s}", "file", file, "path", path);
        rc = reel_slice_record_file(t->st, stream, from, to, path, "take", "audio/wav", tags, 1,
                                    creator, meta, &res, &e);
        json_decref(meta);
    }
    json_t *last = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:f}", "file", file, "path", path,
                             "stream", stream, "from_frame", (json_int_t)from, "to_frame",
                             (json_int_t)to, "frames", (json_int_t)(to - from), "seconds",
                             secs(t, to - from));
    if (rc) {
        json_object_set_new(last, "error", json_pack("{s:s, s:s}", "code",
                                                     reel_error_code_name(rc), "message", e.msg));
    } else if (res.artifact_id[0]) {
        char hs[REEL_HASH_HEX + 8];
        reel_hash_to_string(&res.content, hs);
        json_object_set_new(last, "artifact", json_string(res.artifact_id));
        json_object_set_new(last, "content_hash", json_string(hs));
    }

    pthread_mutex_lock(&t->lock);
    json_decref(t->last);
    t->last = last;
    t->state = REEL_TAKE_IDLE;
    pthread_cond_broadcast(&t->idle);
    unlock_emit(t);
    pthread_mutex_lock(&t->lock);
}

/* One round: follow the head, append, finish when the end is reached. */
static void follow_locked(reel_take *t)
{
    char stream[REEL_URI_MAX];
    snprintf(stream, sizeof stream, "%s", t->stream);
    pthread_mutex_unlock(&t->lock);
    uint64_t head = 0;
    reel_error e;
    reel_error_clear(&e);
    int rc = stream_head(t->st, stream, false, &head, NULL, &e);
    pthread_mutex_lock(&t->lock);
    if (rc == 0 && t->quit && t->state == REEL_TAKE_RECORDING) {
        /* Shutting down: the take ends at the head the store has now. */
        t->state = REEL_TAKE_STOPPING;
        t->to = head > t->written ? head : t->written;
    }
    uint64_t end = head;
    if (t->state == REEL_TAKE_STOPPING && t->to != TO_UNSET && end > t->to)
        end = t->to;
    uint64_t hold = (uint64_t)t->rate * HOLD_MS / 1000;
    if (t->state == REEL_TAKE_RECORDING)
        end = end > t->written + hold ? end - hold : t->written;
    if (rc == 0 && end > t->written) {
        uint64_t at = t->written;
        t->busy_end = end;
        pthread_mutex_unlock(&t->lock);
        rc = reel_slice_read_frames(t->st, stream, at, end, append_frames, t->w, &e);
        if (rc == 0)
            rc = reel_wav_stream_sync(t->w, &e);
        pthread_mutex_lock(&t->lock);
        t->written = t->from + reel_wav_stream_frames(t->w);
        /* Missing for a moment: the rest comes next round. */
        if (rc == REEL_ENOENT && ++t->missing_rounds < MISSING_ROUNDS_MAX)
            rc = REEL_OK;
        else if (rc == 0)
            t->missing_rounds = 0;
    }
    if (rc) {
        finish_locked(t, rc, &e);
        return;
    }
    if (t->state == REEL_TAKE_STOPPING && t->to != TO_UNSET && t->written >= t->to)
        finish_locked(t, REEL_OK, NULL);
}

static void *worker_main(void *arg)
{
    reel_take *t = arg;
    pthread_mutex_lock(&t->lock);
    for (;;) {
        if (t->state == REEL_TAKE_RECORDING || t->state == REEL_TAKE_STOPPING) {
            follow_locked(t);
            if (t->state == REEL_TAKE_IDLE)
                continue;
            struct timespec ts = deadline_ms(POLL_MS);
            pthread_cond_timedwait(&t->wake, &t->lock, &ts);
        } else if (t->quit && t->state == REEL_TAKE_IDLE) {
            break;
        } else {
            pthread_cond_wait(&t->wake, &t->lock);
        }
    }
    pthread_mutex_unlock(&t->lock);
    return NULL;
}

/* At the first take (only start, while arming, gets here): the worker and
 * its store handle, so that a service that never records pays nothing. */
static int start_worker(reel_take *t, reel_error *err)
{
    reel_store *st;
    int rc = reel_store_open(&st, t->root, false, err);
    if (rc)
        return rc;
    pthread_mutex_lock(&t->lock);
    t->st = st;
    pthread_mutex_unlock(&t->lock);
    if (pthread_create(&t->worker, NULL, worker_main, t) != 0) {
        pthread_mutex_lock(&t->lock);
        t->st = NULL;
        pthread_mutex_unlock(&t->lock);
        reel_store_close(st);
        return reel_error_set(err, REEL_EIO, "cannot start the take writer thread");
    }
    return REEL_OK;
}

int reel_take_open(reel_take **out, const char *root, reel_take_event_fn fn, void *ud,
                   reel_error *err)
{
    *out = NULL;
    reel_take *t = calloc(1, sizeof *t);
    if (!t)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    snprintf(t->root, sizeof t->root, "%s", root);
    t->on_event = fn;
    t->ud = ud;
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->wake, NULL);
    pthread_cond_init(&t->idle, NULL);
    *out = t;
    return REEL_OK;
}

void reel_take_close(reel_take *t)
{
    if (!t)
        return;
    pthread_mutex_lock(&t->lock);
    t->quit = true;
    pthread_cond_broadcast(&t->wake);
    bool running = t->st != NULL;
    pthread_mutex_unlock(&t->lock);
    if (running)
        pthread_join(t->worker, NULL);
    json_decref(t->last);
    reel_store_close(t->st);
    pthread_cond_destroy(&t->idle);
    pthread_cond_destroy(&t->wake);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

int reel_take_wait_idle(reel_take *t, int timeout_ms)
{
    struct timespec ts = deadline_ms(timeout_ms);
    pthread_mutex_lock(&t->lock);
    int rc = 0;
    while (t->state != REEL_TAKE_IDLE && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&t->idle, &t->lock, &ts);
    bool idle = t->state == REEL_TAKE_IDLE;
    pthread_mutex_unlock(&t->lock);
    return idle ? REEL_OK : REEL_ESTATE;
}
