/*
 * recorder.c — control-plane side of one stream (see recorder.h).
 *
 * Chunks are prepared ahead (at least 3, and enough to hold about two
 * seconds of audio, so small chunks survive a busy disk): a staging file of
 * the full chunk size is allocated (not sparse) and mapped shared. A local
 * writer writes a buffer of realtime memory instead of that mapping
 * (chunk_map.h: the file's pages fault after every writeback); this side
 * copies into the file what the head says is written before it records the
 * head or seals. A full chunk is hashed from the file's mapping, truncated
 * to its exact length, fsynced and renamed into content.
 *
 * A writer that lost an event (head.events_lost) fails the recorder: the
 * chunk list could no longer be trusted.
 *
 * MIDI clock pulses. The writer counts them (head.midi_clock_ticks), but a
 * mark falls between two heads, so the count at a given frame needs the
 * pulses' own frames: this side reads the records the head names as they
 * become final (the chunk's mapping, like moment_watch) and keeps the
 * frames of the newest REEL_RECORDER_TICKS_KEPT pulses (tick_scan).
 */
#include "capture/recorder.h"

#include "core/fsutil.h"
#include "capture/moment_watch.h"
#include "rt/chunk_map.h"
#include "rt/midi_record.h"
#include "rt/rt_limits.h"
#include "store/store_lock.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define REEL_READY_MIN REEL_RECORDER_READY_MIN
#define REEL_READY_MAX REEL_RECORDER_READY_MAX
#define READY_SECONDS 2
#define HEAD_INTERVAL_NS 100000000LL      /* head position: ~100 ms */
#define SNAPSHOT_INTERVAL_NS 10000000000LL /* periodic clock snapshot: 10 s */
#define TICKS_KEPT REEL_RECORDER_TICKS_KEPT

typedef struct chunk_rec {
    uint32_t tag;
    reel_hash id;
    uint8_t *map;  /* the staging file, shared */
    uint8_t *buf;  /* what a local writer writes (NULL with a remote one) */
    size_t synced; /* bytes of buf copied into map */
    size_t cap;
    bool started;
} chunk_rec;

struct reel_recorder {
    reel_store *st;
    reel_stream_def def;
    reel_db_stream row;
    reel_manifest m;
    reel_chunk_writer *cw; /* the local writer, NULL with a remote port */
    reel_chunk_pool pool;  /* a local writer's chunk buffers */
    reel_chunk_port port;  /* how chunks and events travel to and from the producer */
    /* Chunks prepared or in use. Shared with the preparer thread, which
     * creates, maps and pre-faults chunks ahead of need (a 4 MiB chunk costs
     * milliseconds of page zeroing: kept off the control thread so sealing
     * and preparing overlap). The preparer is the only producer of the
     * writer's ready ring. */
    pthread_mutex_t mu;
    pthread_cond_t wake;
    pthread_t preparer;
    bool preparer_running, preparer_stop;
    int prep_rc;
    reel_error prep_err;
    /* The store's filesystem is full: the preparer retries every
     * SPACE_RETRY_NS instead of failing (the writer meanwhile owes silence,
     * an overrun, so the timeline stays true to time); each change of state
     * is a notice for the control side (reel_recorder_take_notice). */
    bool space_short;
    reel_error space_err;
    uint64_t full_n, resumed_n;       /* episodes begun and ended */
    uint64_t told_full, told_resumed; /* of them, told by reel_recorder_take_notice */
    chunk_rec recs[REEL_READY_MAX + 2];
    size_t ready_target; /* chunks to keep prepared */
    size_t n_recs;
    uint32_t next_tag;
    uint64_t chunk_cap;
    int64_t last_head_ns, last_snap_ns;
    uint64_t sealed;
    uint64_t start_frame; /* where this recording begins on the stream's timeline */
    bool final_seen;
    bool dirty;
    reel_retention retention;
    reel_moment_watch *watch; /* triggered capture and the meters; NULL for MIDI, trigger off */
    reel_levels *levels;      /* the meters of the last head interval (heap: many channels) */
    bool levels_new;          /* not yet taken by reel_recorder_levels */
    bool head_pushed; /* the port sends REEL_CW_HEAD events (a remote writer) */
    /* MIDI clock pulses read back from the records (tick_scan): the chunk
     * being read and how far, the frame before which every record is read,
     * the pulses read and the frames of the newest of them (a ring). */
    uint32_t scan_tag; /* UINT32_MAX: none yet, or the last one was finished */
    size_t scan_off;
    uint64_t scan_frame;
    uint64_t scan_ticks;
    uint64_t tick_frames[TICKS_KEPT];
    size_t tick_first, n_ticks;
    /* Held from open to free: this stream is ours, and we may create
     * staging files (store_lock.h). -1 when not held. */
    int stream_lock, recorders_lock;
};

#define MAX_RECS (sizeof ((reel_recorder *)0)->recs / sizeof ((reel_recorder *)0)->recs[0])

/* Create, map and pre-fault one chunk (slow; no lock held), then register
 * it and offer it to the writer. */
static int prepare_chunk(reel_recorder *r, reel_error *err)
{
    chunk_rec c;
    memset(&c, 0, sizeof c);
    int fd;
    int rc = reel_cas_staging_create(reel_store_cas(r->st), r->chunk_cap, &c.id, &fd, err);
    if (rc)
        return rc;
    void *map = mmap(NULL, r->chunk_cap, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        reel_cas_staging_remove(reel_store_cas(r->st), &c.id, NULL);
        return reel_error_set(err, REEL_EIO, "cannot map a staging chunk: %s", strerror(errno));
    }
    c.map = map;
    c.cap = r->chunk_cap;
    if (r->cw && !(c.buf = reel_chunk_pool_get(&r->pool, c.cap, err))) {
        munmap(map, c.cap);
        reel_cas_staging_remove(reel_store_cas(r->st), &c.id, NULL);
        return err ? err->code : REEL_ENOMEM;
    }
    pthread_mutex_lock(&r->mu);
    bool kept = false;
    if (r->n_recs < MAX_RECS) {
        c.tag = r->next_tag++;
        reel_chunk_slot slot = {.base = c.buf ? c.buf : c.map, .capacity = c.cap, .tag = c.tag};
        r->recs[r->n_recs] = c;
        if (r->port.offer(r->port.ctx, &slot, &c.id)) {
            r->n_recs++;
            kept = true;
        }
    }
    pthread_mutex_unlock(&r->mu);
    if (!kept) {
        munmap(c.map, c.cap);
        reel_chunk_pool_put(&r->pool, c.buf, c.cap);
        reel_cas_staging_remove(reel_store_cas(r->st), &c.id, NULL);
    }
    return REEL_OK;
}

/* A local writer: copy what it wrote of chunk `tag` up to `bytes` into the
 * staging file (control thread; only it syncs and drops records). */
static void sync_rec(reel_recorder *r, uint32_t tag, uint64_t bytes)
{
    uint8_t *map = NULL, *buf = NULL;
    size_t from = 0, upto = 0;
    pthread_mutex_lock(&r->mu);
    for (size_t i = 0; i < r->n_recs; i++)
        if (r->recs[i].tag == tag && r->recs[i].buf) {
            map = r->recs[i].map;
            buf = r->recs[i].buf;
            from = r->recs[i].synced;
            upto = bytes < r->recs[i].cap ? (size_t)bytes : r->recs[i].cap;
            if (upto > from)
                r->recs[i].synced = upto;
            break;
        }
    pthread_mutex_unlock(&r->mu);
    if (buf)
        reel_chunk_sync(map, buf, &from, upto);
}

/* The writer's head, with what it names copied into the file. */
static void read_head(reel_recorder *r, reel_cw_head *h)
{
    r->port.read_head(r->port.ctx, h);
    if (r->cw && h->tag != UINT32_MAX)
        sync_rec(r, h->tag, h->chunk_bytes);
}

static bool need_chunk(const reel_recorder *r)
{
    return !r->final_seen && r->port.ready_count(r->port.ctx) < r->ready_target &&
           r->n_recs < r->ready_target + 2;
}

#define SPACE_RETRY_NS 200000000L /* a full store is tried again this often */

/* A live source waits for space, its frames owed as silence meanwhile (they
 * cannot be had again); a file ingest fails at once instead: nothing of it
 * is lost, and a foreground ingest should not hang on a full disk. */
static bool waits_for_space(const reel_recorder *r)
{
    return strncmp(r->def.device_identity, "file:", 5) != 0;
}

/* The store is full (r->mu held): an episode begins, unless one is on. */
static void space_enter(reel_recorder *r, const reel_error *e)
{
    if (!r->space_short) {
        r->space_short = true;
        r->space_err = *e;
        r->full_n++;
    }
}

/* A chunk fits again (r->mu held): the episode ends. */
static void space_leave(reel_recorder *r)
{
    if (r->space_short) {
        r->space_short = false;
        r->resumed_n++;
    }
}

/* Wait on r->wake for at most `ns` (r->mu held). */
static void preparer_wait(reel_recorder *r, long ns)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ns / 1000000000L;
    until.tv_nsec += ns % 1000000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&r->wake, &r->mu, &until);
}

static void *preparer_main(void *arg)
{
    reel_recorder *r = arg;
    pthread_mutex_lock(&r->mu);
    while (!r->preparer_stop) {
        if (!need_chunk(r)) {
            /* Woken when a chunk is retired; the timeout covers the writer
             * taking a chunk, which signals nobody. */
            preparer_wait(r, 2000000L);
            continue;
        }
        pthread_mutex_unlock(&r->mu);
        reel_error e;
        reel_error_clear(&e);
        int rc = prepare_chunk(r, &e);
        pthread_mutex_lock(&r->mu);
        if (rc == REEL_ENOSPC && waits_for_space(r)) {
            /* Not a failure of the stream: space may come back (the user,
             * retention or gc frees some). Said once per episode. */
            space_enter(r, &e);
            preparer_wait(r, SPACE_RETRY_NS);
            continue;
        }
        if (rc) {
            r->prep_rc = rc;
            r->prep_err = e;
            break;
        }
        space_leave(r);
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

static void stop_preparer(reel_recorder *r)
{
    if (!r->preparer_running)
        return;
    pthread_mutex_lock(&r->mu);
    r->preparer_stop = true;
    pthread_cond_signal(&r->wake);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->preparer, NULL);
    r->preparer_running = false;
}

/* Copy of the record for `tag` (control thread). */
static bool find_rec(reel_recorder *r, uint32_t tag, chunk_rec *out)
{
    bool found = false;
    pthread_mutex_lock(&r->mu);
    for (size_t i = 0; i < r->n_recs; i++)
        if (r->recs[i].tag == tag) {
            *out = r->recs[i];
            found = true;
            break;
        }
    pthread_mutex_unlock(&r->mu);
    return found;
}

static void drop_rec(reel_recorder *r, uint32_t tag)
{
    pthread_mutex_lock(&r->mu);
    for (size_t i = 0; i < r->n_recs; i++)
        if (r->recs[i].tag == tag) {
            reel_chunk_pool_put(&r->pool, r->recs[i].buf, r->recs[i].cap);
            memmove(&r->recs[i], &r->recs[i + 1], (r->n_recs - i - 1) * sizeof r->recs[0]);
            r->n_recs--;
            break;
        }
    pthread_cond_signal(&r->wake);
    pthread_mutex_unlock(&r->mu);
}

static void mark_started(reel_recorder *r, uint32_t tag)
{
    pthread_mutex_lock(&r->mu);
    for (size_t i = 0; i < r->n_recs; i++)
        if (r->recs[i].tag == tag)
            r->recs[i].started = true;
    pthread_mutex_unlock(&r->mu);
}

/* Save the live manifest. `may_wait`: a save that only carries the head
 * forward can wait for space (a full store keeps the last one saved, which
 * recovery starts from); one that must precede a seal cannot. */
static int save_manifest_as(reel_recorder *r, bool may_wait, reel_error *err)
{
    r->m.last_updated_ns = reel_clock_wall_now();
    reel_error e;
    int rc = reel_manifest_save(&r->m, reel_store_cas(r->st), &r->row.manifest_id, &e);
    if (rc == 0) {
        r->dirty = false;
    } else if (rc == REEL_ENOSPC && may_wait && waits_for_space(r)) {
        /* The last saved manifest stays (recovery starts from it and the
         * staging files); this one is saved again at the next poll. */
        pthread_mutex_lock(&r->mu);
        space_enter(r, &e);
        pthread_mutex_unlock(&r->mu);
        rc = REEL_OK;
    } else if (err) {
        *err = e;
    }
    return rc;
}

static int save_manifest(reel_recorder *r, reel_error *err)
{
    return save_manifest_as(r, false, err);
}

static int on_chunk_started(reel_recorder *r, const reel_cw_event *ev, reel_error *err)
{
    chunk_rec cr, *c = &cr;
    if (!find_rec(r, ev->tag, &cr))
        return reel_error_set(err, REEL_ESTATE, "writer started unknown chunk %u", ev->tag);
    mark_started(r, ev->tag);
    reel_chunk_entry e = {.sealed = false, .hash = c->id, .first_frame = ev->first_frame};
    e.clock.frame = ev->first_frame;
    e.clock.wall_ns = ev->wall_ns;
    e.clock.mono_ns = ev->mono_ns;
    e.clock.device_frame = ev->device_frame;
    e.clock.has_device_frame = true;
    int rc = reel_manifest_add_chunk(&r->m, &e, err);
    /* Saved at the end of this poll, so crash recovery knows the file. */
    r->dirty = true;
    return rc;
}

/* The first frame a feature pins against retention (an open session), or
 * UINT64_MAX. Asked only when a policy is set (a read of the index per
 * seal); when the question cannot be answered, everything is kept: a
 * chunk dropped by mistake cannot come back. */
static uint64_t retention_keep_from(reel_recorder *r)
{
    if (!reel_retention_is_set(&r->retention))
        return UINT64_MAX;
    uint64_t keep;
    reel_error e;
    if (reel_retention_pinned(r->st, r->def.uri, &keep, &e))
        return 0;
    return keep;
}

/* MIDI: read chunk `map`'s records in [scan_off, bytes) for clock pulses
 * (every 0xF8 byte, as the writer counts them). Control thread. */
static void tick_scan(reel_recorder *r, const uint8_t *map, uint64_t bytes)
{
    while (r->scan_off < bytes) {
        reel_midi_event ev;
        size_t used;
        if (reel_midi_record_decode(map + r->scan_off, (size_t)bytes - r->scan_off, &ev, &used))
            return; /* an incomplete tail: cannot happen below a head's bytes */
        for (uint32_t i = 0; i < ev.len; i++) {
            if (ev.data[i] != 0xF8)
                continue;
            r->scan_ticks++;
            if (r->n_ticks == TICKS_KEPT) { /* forget the oldest */
                r->tick_first = (r->tick_first + 1) % TICKS_KEPT;
                r->n_ticks--;
            }
            r->tick_frames[(r->tick_first + r->n_ticks++) % TICKS_KEPT] = ev.frame;
        }
        r->scan_off += used;
    }
}

int reel_recorder_midi_ticks_before(const reel_recorder *r, uint64_t frame, uint64_t *ticks,
                                    bool *any, reel_error *err)
{
    if (r->def.kind != REEL_STREAM_MIDI)
        return reel_error_set(err, REEL_EINVAL, "%s is not a MIDI stream", r->def.uri);
    if (r->scan_frame < frame)
        return reel_error_set(err, REEL_ESTATE, "%s: frame %llu is not recorded yet", r->def.uri,
                              (unsigned long long)frame);
    uint64_t later = 0; /* pulses read at or after `frame` */
    size_t i = r->n_ticks;
    while (i > 0 && r->tick_frames[(r->tick_first + i - 1) % TICKS_KEPT] >= frame) {
        later++;
        i--;
    }
    if (i == 0 && r->scan_ticks > r->n_ticks)
        return reel_error_set(err, REEL_ERANGE, "%s: the MIDI clock pulses before frame %llu "
                              "are older than the %d kept", r->def.uri,
                              (unsigned long long)frame, TICKS_KEPT);
    *ticks = r->scan_ticks - later;
    if (any)
        *any = r->scan_ticks > 0;
    return REEL_OK;
}

static int on_chunk_full(reel_recorder *r, const reel_cw_event *ev, reel_error *err)
{
    if (ev->tag == UINT32_MAX) {
        pthread_mutex_lock(&r->mu);
        r->final_seen = true;
        pthread_mutex_unlock(&r->mu);
        return REEL_OK;
    }
    chunk_rec cr, *c = &cr;
    if (!find_rec(r, ev->tag, &cr))
        return reel_error_set(err, REEL_ESTATE, "writer filled unknown chunk %u", ev->tag);
    reel_chunk_entry *e = reel_manifest_find_staging(&r->m, &c->id);
    if (ev->bytes > c->cap)
        return reel_error_set(err, REEL_ESTATE, "writer filled chunk %u past its end", ev->tag);
    if (c->buf) {
        sync_rec(r, c->tag, ev->bytes);
        c->synced = (size_t)ev->bytes;
    }
    if (r->def.kind == REEL_STREAM_MIDI && (r->scan_tag == c->tag || r->scan_tag == UINT32_MAX)) {
        if (r->scan_tag == UINT32_MAX)
            r->scan_off = 0;
        tick_scan(r, c->map, ev->bytes);
        /* Every event before its end is in this chunk or an earlier one. */
        if (ev->end_frame > r->scan_frame)
            r->scan_frame = ev->end_frame;
        r->scan_tag = UINT32_MAX;
        r->scan_off = 0;
    }
    reel_hash h;
    reel_hash_buf(c->map, (size_t)ev->bytes, &h);
    if (r->watch && e) /* the chunk's tail, before the mapping goes */
        reel_moment_watch_chunk(r->watch, c->tag, c->map, ev->bytes, e->first_frame, &e->clock);
    munmap(c->map, c->cap);
    int rc;
    if (ev->bytes == 0) {
        /* An empty last chunk: nothing to keep. */
        rc = reel_cas_staging_remove(reel_store_cas(r->st), &c->id, err);
        if (e) {
            size_t i = (size_t)(e - r->m.tail);
            memmove(e, e + 1, (r->m.n_tail - i - 1) * sizeof *e);
            r->m.n_tail--;
        }
    } else if (e) {
        /* Name the content in the manifest before the rename, keeping the
         * staging id: a crash in between leaves enough to finish the seal. */
        e->sealed = true;
        e->hash = h;
        e->staging_id = c->id;
        e->has_staging_id = true;
        e->bytes = ev->bytes;
        if (r->def.kind == REEL_STREAM_AUDIO) {
            e->frames = ev->frames;
        } else {
            e->events = ev->frames;
            e->frames = ev->end_frame - e->first_frame;
        }
        /* The totals must agree with the entry saved: a crash right after
         * this save would otherwise leave a head behind the chunk list. */
        reel_manifest_update_totals(&r->m);
        rc = save_manifest(r, err);
        if (rc == 0)
            rc = reel_cas_seal(reel_store_cas(r->st), &c->id, ev->bytes, &h, &h, err);
        if (rc == 0) {
            e->has_staging_id = false;
            r->sealed++;
        }
    } else {
        rc = reel_error_set(err, REEL_ESTATE, "chunk %u is not in the manifest", ev->tag);
    }
    if (ev->final) {
        pthread_mutex_lock(&r->mu);
        r->final_seen = true;
        pthread_mutex_unlock(&r->mu);
    }
    drop_rec(r, c->tag);
    if (rc)
        return rc;
    reel_manifest_update_totals(&r->m);
    if ((rc = reel_manifest_page_out(&r->m, reel_store_cas(r->st), err)))
        return rc;
    /* Dropped chunks stay in content until `reel gc` finds nothing else
     * references them; the manifest saved at the end of this poll says
     * they are gone. */
    if ((rc = reel_retention_apply(&r->retention, &r->m, reel_store_cas(r->st),
                                   reel_clock_wall_now(), retention_keep_from(r), NULL, err)))
        return rc;
    r->dirty = true;
    return rc;
}

void reel_recorder_set_retention(reel_recorder *r, const reel_retention *policy)
{
    r->retention = *policy;
}

/* Fold the writer's head into the manifest: the live edge of the current
 * staging chunk, counters and the newest clock pairing. */
static void absorb_head(reel_recorder *r, bool snapshot)
{
    reel_cw_head h;
    read_head(r, &h);
    if (h.tag != UINT32_MAX) {
        chunk_rec c;
        reel_chunk_entry *e = find_rec(r, h.tag, &c) && c.started
                                  ? reel_manifest_find_staging(&r->m, &c.id)
                                  : NULL;
        if (e && r->def.kind == REEL_STREAM_MIDI && h.chunk_bytes <= c.cap &&
            (r->scan_tag == h.tag || r->scan_tag == UINT32_MAX)) {
            /* A head naming a later chunk than the one being read waits for
             * that one's CHUNK_FULL (its last records). */
            if (r->scan_tag == UINT32_MAX)
                r->scan_off = 0;
            r->scan_tag = h.tag;
            tick_scan(r, c.map, h.chunk_bytes);
            /* Events come in frame order, none before the writer's frame
             * clock is still to come. */
            if (h.frames > r->scan_frame)
                r->scan_frame = h.frames;
        }
        if (e) {
            e->bytes = h.chunk_bytes;
            if (r->def.kind == REEL_STREAM_AUDIO) {
                e->frames = h.chunk_frames;
            } else {
                e->events = h.chunk_frames;
                e->frames = h.frames > e->first_frame ? h.frames - e->first_frame : 0;
            }
        }
    }
    r->m.total_events = h.events;
    r->m.xruns = h.xruns;
    r->m.overrun_frames = h.overrun_frames;
    r->m.overrun_events = h.overrun_events;
    reel_manifest_update_totals(&r->m);
    if (h.wall_ns != 0) {
        reel_clock_snapshot s = {.frame = h.clock_frame, .wall_ns = h.wall_ns,
                                 .mono_ns = h.mono_ns, .device_frame = h.device_frame,
                                 .has_device_frame = true};
        bool any = false;
        /* MIDI clock at the pairing's frame, exactly (read back above). */
        if (r->def.kind == REEL_STREAM_MIDI &&
            reel_recorder_midi_ticks_before(r, s.frame, &s.midi_ticks, &any, NULL) == 0 && any)
            s.has_midi_ticks = true;
        if (s.frame <= r->m.total_frames) {
            r->m.head_clock = s;
            r->m.has_head_clock = true;
            if (snapshot)
                reel_manifest_add_snapshot(&r->m, &s, NULL);
        }
    }
    r->dirty = true;
}

/* Triggered capture: feed the watch what the head says is written in the
 * chunk being filled (a chunk not started yet is read once it is). */
static void watch_head(reel_recorder *r)
{
    reel_cw_head h;
    chunk_rec c;
    read_head(r, &h);
    if (h.tag == UINT32_MAX || !find_rec(r, h.tag, &c) || !c.started)
        return;
    const reel_chunk_entry *e = reel_manifest_find_staging(&r->m, &c.id);
    if (e && h.chunk_bytes <= c.cap)
        reel_moment_watch_chunk(r->watch, c.tag, c.map, h.chunk_bytes, e->first_frame, &e->clock);
}

int reel_recorder_set_trigger(reel_recorder *r, const reel_trigger_opts *o, reel_moment_fn fn,
                              void *ud, reel_error *err)
{
    reel_moment_watch *w = NULL;
    reel_trigger_opts meters_only;
    if (!(o && (o->level || o->midi)) && r->def.kind == REEL_STREAM_AUDIO) {
        /* No trigger: an audio stream's watch still measures the meters. */
        reel_trigger_opts_default(&meters_only);
        meters_only.level = meters_only.midi = false;
        o = &meters_only;
    }
    if (o && (o->level || o->midi || r->def.kind == REEL_STREAM_AUDIO)) {
        int rc = reel_moment_watch_open(&w, reel_store_db(r->st), &r->def, o, fn, ud, err);
        if (rc)
            return rc;
    }
    reel_moment_watch_close(r->watch);
    r->watch = w;
    return REEL_OK;
}

int reel_recorder_poll(reel_recorder *r, reel_error *err)
{
    reel_cw_event ev;
    int rc = REEL_OK;
    bool head_now = false;
    while (rc == 0 && r->port.next_event(r->port.ctx, &ev)) {
        switch (ev.type) {
        case REEL_CW_CHUNK_STARTED: rc = on_chunk_started(r, &ev, err); break;
        case REEL_CW_CHUNK_FULL: rc = on_chunk_full(r, &ev, err); break;
        case REEL_CW_GAP: r->m.gaps += ev.count; r->dirty = true; break;
        case REEL_CW_HEAD: r->head_pushed = head_now = true; break;
        default: r->dirty = true; break; /* counters arrive with the head */
        }
    }
    if (rc)
        return rc;
    {
        /* A lost event (a chunk start or end among them) means the chunk
         * list can no longer be trusted: stop here, loudly. */
        reel_cw_head h;
        r->port.read_head(r->port.ctx, &h);
        if (h.events_lost)
            return reel_error_set(err, REEL_EIO,
                                  "%s: the chunk writer lost %llu events (its control side fell "
                                  "behind); the recording is stopped at its last sealed chunk",
                                  r->def.uri, (unsigned long long)h.events_lost);
    }
    pthread_mutex_lock(&r->mu);
    rc = r->prep_rc;
    if (rc && err)
        *err = r->prep_err;
    pthread_mutex_unlock(&r->mu);
    if (rc)
        return rc;
    if (r->watch)
        watch_head(r);
    int64_t now = reel_clock_mono_now();
    /* A writer that pushes its heads is followed as they come; a local
     * one is sampled every head interval. */
    if (head_now || (!r->head_pushed && now - r->last_head_ns >= HEAD_INTERVAL_NS)) {
        bool snap = now - r->last_snap_ns >= SNAPSHOT_INTERVAL_NS;
        absorb_head(r, snap);
        if (snap)
            r->last_snap_ns = now;
        r->last_head_ns = now;
        /* The meters of this head interval, from the frames the watch read. */
        if (r->watch && r->levels && reel_moment_watch_levels(r->watch, r->levels))
            r->levels_new = true;
    }
    /* One atomic replace per poll, however many chunks it handled; when it
     * happens anyway, it carries the live edge too (otherwise a seal cadence
     * in phase with the head interval would hide the staging chunk). */
    if (r->dirty) {
        absorb_head(r, false);
        rc = save_manifest_as(r, true, err);
    }
    return rc;
}

bool reel_recorder_levels(reel_recorder *r, reel_levels *out)
{
    if (!r->levels_new)
        return false;
    r->levels_new = false;
    *out = *r->levels;
    return true;
}

void reel_recorder_get_status(const reel_recorder *r, reel_recorder_status *s)
{
    reel_cw_head h;
    r->port.read_head(r->port.ctx, &h);
    s->frames = h.frames;
    s->chunks = r->m.n_chunks;
    s->sealed = r->sealed;
    s->bytes = r->m.total_bytes;
    s->events = h.events;
    s->xruns = h.xruns;
    s->overrun_frames = h.overrun_frames;
    s->overrun_events = h.overrun_events;
    s->dropped = r->m.dropped_chunks;
    reel_moment_watch_stats ws = {0};
    if (r->watch)
        reel_moment_watch_get_stats(r->watch, &ws);
    s->moments = ws.stored;
    s->moments_lost = ws.lost;
    s->midi_clock_ticks = r->scan_ticks;
}

int reel_recorder_take_notice(reel_recorder *r, reel_error *msg)
{
    int n = 0;
    pthread_mutex_lock(&r->mu);
    if (r->told_full == r->told_resumed && r->full_n > r->told_full) {
        r->told_full++;
        n = REEL_RECORDER_NOTICE_FULL;
        if (msg)
            *msg = r->space_err;
    } else if (r->told_full > r->told_resumed && r->resumed_n > r->told_resumed) {
        r->told_resumed++;
        n = REEL_RECORDER_NOTICE_RESUMED;
    }
    pthread_mutex_unlock(&r->mu);
    if (n == REEL_RECORDER_NOTICE_FULL) { /* a gap in the manifest, as for a lost device */
        r->m.gaps++;
        r->dirty = true;
    }
    if (n == REEL_RECORDER_NOTICE_RESUMED && msg)
        reel_error_set(msg, REEL_OK, "space in the store again: recording resumed");
    return n;
}

reel_chunk_writer *reel_recorder_writer(reel_recorder *r)
{
    return r->cw;
}

const reel_stream_def *reel_recorder_def(const reel_recorder *r)
{
    return &r->def;
}

uint64_t reel_recorder_start_frame(const reel_recorder *r)
{
    return r->start_frame;
}

/* Seal every staging chunk a manifest lists at the length it recorded (the
 * last head position reported); drop those whose file is gone. */
static int seal_staging_entries(reel_store *st, reel_manifest *m, reel_error *err)
{
    for (size_t i = 0; i < m->n_tail;) {
        reel_chunk_entry *e = &m->tail[i];
        reel_hash h;
        int rc;
        if (e->sealed) {
            /* A seal that was in flight: finish it from the staging file. */
            if (e->has_staging_id && !reel_cas_has(reel_store_cas(st), &e->hash)) {
                rc = reel_cas_seal(reel_store_cas(st), &e->staging_id, e->bytes, NULL, &h, err);
                if (rc && rc != REEL_ENOENT)
                    return rc;
                if (rc == 0 && !reel_hash_equal(&h, &e->hash))
                    return reel_error_set(err, REEL_ECORRUPT,
                                          "a chunk of %s does not match its manifest", m->uri);
            } else if (e->has_staging_id) {
                /* The content was there already (an identical chunk, e.g.
                 * silence): the seal died before dropping its staging
                 * copy, which no manifest will name again. */
                if ((rc = reel_cas_staging_remove(reel_store_cas(st), &e->staging_id, err)))
                    return rc;
            }
            e->has_staging_id = false;
            i++;
            continue;
        }
        rc = e->bytes ? reel_cas_seal(reel_store_cas(st), &e->hash, e->bytes, NULL, &h, err) : REEL_ENOENT;
        if (rc == REEL_OK) {
            e->sealed = true;
            e->hash = h;
            i++;
            continue;
        }
        if (rc != REEL_ENOENT)
            return rc;
        reel_cas_staging_remove(reel_store_cas(st), &e->hash, NULL);
        memmove(e, e + 1, (m->n_tail - i - 1) * sizeof *e);
        m->n_tail--;
    }
    reel_manifest_update_totals(m);
    return REEL_OK;
}

static int seal_manifest(reel_store *st, reel_manifest *m, reel_db_stream *row, reel_error *err)
{
    int rc = reel_manifest_page_out(m, reel_store_cas(st), err);
    if (rc)
        return rc;
    char *json;
    if ((rc = reel_manifest_to_json(m, &json, err)))
        return rc;
    reel_hash sealed;
    rc = reel_cas_put_buf(reel_store_cas(st), json, strlen(json), &sealed, err);
    free(json);
    if (rc)
        return rc;
    reel_hash live = row->manifest_id;
    row->sealed_manifest = sealed;
    snprintf(row->state, sizeof row->state, "stopped");
    row->pid = 0;
    row->updated_ns = reel_clock_wall_now();
    if ((rc = reel_db_stream_put(reel_store_db(st), row, err)))
        return rc;
    return reel_cas_staging_remove(reel_store_cas(st), &live, err);
}

/* Recover `uri` if it was left recording; the caller holds its lock, so no
 * live process writes it. */
static int recover_locked(reel_store *st, const char *uri, reel_error *err)
{
    reel_db_stream row;
    int rc = reel_db_stream_get(reel_store_db(st), uri, &row, err);
    if (rc)
        return rc;
    if (strcmp(row.state, "recording") != 0)
        return REEL_OK;
    reel_manifest m;
    rc = reel_manifest_load(&m, reel_store_cas(st), &row.manifest_id, err);
    if (rc)
        return rc;
    rc = seal_staging_entries(st, &m, err);
    if (rc == 0)
        rc = seal_manifest(st, &m, &row, err);
    reel_manifest_free(&m);
    return rc;
}

int reel_recorder_recover(reel_store *st, const char *uri, reel_error *err)
{
    int fd;
    int rc = reel_lock_acquire_stream(st, uri, &fd, err);
    if (rc)
        return rc;
    rc = recover_locked(st, uri, err);
    reel_lock_release(fd);
    return rc;
}

static int define_stream(reel_recorder *r, reel_error *err)
{
    memset(&r->row, 0, sizeof r->row);
    snprintf(r->row.uri, sizeof r->row.uri, "%s", r->def.uri);
    r->row.created_ns = reel_clock_wall_now();
    reel_hash dh;
    int rc = reel_store_definition_put(r->st, &r->def, "reel", r->row.created_ns, &dh,
                                       r->row.definition_artifact, err);
    if (rc)
        return rc;
    r->row.definition_hash = dh;
    reel_manifest_init(&r->m, &r->def, &dh);
    r->m.started_at_ns = r->row.created_ns;
    return REEL_OK;
}

static int resume_stream(reel_recorder *r, reel_error *err)
{
    reel_store *st = r->st;
    reel_stream_def old;
    int rc = reel_store_load_definition(st, &r->row.definition_hash, &old, err);
    if (rc)
        return rc;
    if (old.kind != r->def.kind || old.sample_rate != r->def.sample_rate ||
        old.channels != r->def.channels || old.sample_format != r->def.sample_format)
        return reel_error_set(err, REEL_EEXIST,
                              "stream %s exists with another format (%u Hz, %u ch, %s); "
                              "record to another --stream",
                              r->def.uri, old.sample_rate, old.channels,
                              reel_sample_format_name(old.sample_format));
    r->def.chunk_size_bytes = old.chunk_size_bytes;
    char path[PATH_MAX];
    reel_cas_content_path(reel_store_cas(st), &r->row.sealed_manifest, path);
    if ((rc = reel_manifest_load_path(&r->m, path, err)))
        return rc;
    r->m.gaps++;
    return REEL_OK;
}

/* Release what open allocated (the chunks are the caller's business). */
static void recorder_free(reel_recorder *r)
{
    if (r->cw)
        reel_cw_destroy(r->cw);
    reel_moment_watch_close(r->watch); /* reports a moment still being measured */
    free(r->levels);
    reel_manifest_free(&r->m);
    reel_lock_release(r->stream_lock);
    reel_lock_release(r->recorders_lock);
    reel_chunk_pool_destroy(&r->pool);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->wake);
    free(r);
}

/* The local port: the chunk writer in this process. */
static bool local_offer(void *ctx, const reel_chunk_slot *slot, const reel_hash *id)
{
    (void)id;
    return reel_cw_offer(ctx, slot);
}
static size_t local_ready(void *ctx) { return reel_cw_ready_count(ctx); }
static bool local_next(void *ctx, reel_cw_event *ev) { return reel_cw_next_event(ctx, ev); }
static void local_head(void *ctx, reel_cw_head *h) { reel_cw_read_head(ctx, h); }
static bool local_reclaim(void *ctx, reel_chunk_slot *s) { return reel_cw_reclaim(ctx, s); }

int reel_recorder_open(reel_recorder **out, reel_store *st, const reel_stream_def *def,
                       reel_error *err)
{
    return reel_recorder_open_port(out, st, def, NULL, err);
}

int reel_recorder_open_port(reel_recorder **out, reel_store *st, const reel_stream_def *def,
                            const reel_chunk_port *port, reel_error *err)
{
    int rc = reel_stream_def_validate(def, err);
    if (rc)
        return rc;
    reel_recorder *r = calloc(1, sizeof *r);
    if (!r)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    r->st = st;
    r->def = *def;
    r->stream_lock = r->recorders_lock = -1;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->wake, NULL);
    reel_chunk_pool_init(&r->pool, 0); /* sized once the chunk size is known */
    if ((rc = reel_lock_acquire_recorders(st, false, &r->recorders_lock, err)) ||
        (rc = reel_lock_acquire_stream(st, def->uri, &r->stream_lock, err)))
        goto fail;
    rc = reel_db_stream_get(reel_store_db(st), def->uri, &r->row, NULL);
    if (rc == REEL_OK) {
        if ((rc = recover_locked(st, def->uri, err)) ||
            (rc = reel_db_stream_get(reel_store_db(st), def->uri, &r->row, err)) ||
            (rc = resume_stream(r, err)))
            goto fail;
    } else if ((rc = define_stream(r, err))) {
        goto fail;
    }
    /* Audio chunks hold whole frames. */
    r->chunk_cap = r->def.chunk_size_bytes;
    size_t fb = reel_stream_def_frame_bytes(&r->def);
    if (fb)
        r->chunk_cap -= r->chunk_cap % fb;
    r->pool.size = r->chunk_cap;
    if ((rc = reel_hash_random(&r->row.manifest_id, err)))
        goto fail;
    r->row.sealed_manifest = (reel_hash){0};
    snprintf(r->row.state, sizeof r->row.state, "recording");
    r->row.pid = getpid();
    r->row.updated_ns = reel_clock_wall_now();
    {
        uint64_t per_s = fb ? (uint64_t)fb * r->def.sample_rate : 4096;
        uint64_t want = (per_s * READY_SECONDS + r->chunk_cap - 1) / r->chunk_cap;
        r->ready_target = want < REEL_READY_MIN ? REEL_READY_MIN
                          : want > REEL_READY_MAX ? REEL_READY_MAX
                                                  : (size_t)want;
    }
    if (port) {
        r->port = *port;
    } else {
        if ((rc = reel_cw_create(&r->cw, &r->def, r->m.total_frames, r->ready_target + 1, err)))
            goto fail;
        r->port = (reel_chunk_port){.ctx = r->cw, .offer = local_offer,
                                    .ready_count = local_ready, .next_event = local_next,
                                    .read_head = local_head, .reclaim = local_reclaim};
    }
    r->start_frame = r->m.total_frames;
    r->scan_tag = UINT32_MAX;
    r->scan_frame = r->start_frame;
    for (size_t i = 0; i < REEL_READY_MIN && rc == 0; i++)
        rc = prepare_chunk(r, err);
    if (rc == REEL_ENOSPC && waits_for_space(r)) {
        /* A store already full: the stream starts anyway, owing silence,
         * and the preparer keeps trying (told as a notice). */
        space_enter(r, err);
        reel_error_clear(err);
        rc = REEL_OK;
    }
    if (rc)
        goto fail;
    if ((rc = save_manifest(r, err)) || (rc = reel_db_stream_put(reel_store_db(st), &r->row, err)))
        goto fail;
    {
        /* Triggered capture is on unless the caller turns it off: a scan of
         * what is written anyway, one row per moment. */
        reel_trigger_opts to;
        reel_trigger_opts_default(&to);
        if (r->def.kind == REEL_STREAM_AUDIO && !(r->levels = malloc(sizeof *r->levels))) {
            rc = reel_error_set(err, REEL_ENOMEM, "out of memory");
            goto fail;
        }
        if ((rc = reel_recorder_set_trigger(r, &to, NULL, NULL, err)))
            goto fail;
    }
    if ((rc = pthread_create(&r->preparer, NULL, preparer_main, r)) != 0) {
        rc = reel_error_set(err, REEL_EIO, "cannot start the chunk preparer: %s", strerror(rc));
        goto fail;
    }
    r->preparer_running = true;
    r->last_head_ns = r->last_snap_ns = reel_clock_mono_now();
    *out = r;
    return REEL_OK;
fail:
    for (size_t i = 0; i < r->n_recs; i++) {
        munmap(r->recs[i].map, r->recs[i].cap);
        reel_chunk_pool_put(&r->pool, r->recs[i].buf, r->recs[i].cap);
        reel_cas_staging_remove(reel_store_cas(st), &r->recs[i].id, NULL);
    }
    recorder_free(r);
    return rc;
}


int reel_recorder_close(reel_recorder *r, reel_error *err)
{
    return reel_recorder_close_status(r, NULL, err);
}

int reel_recorder_close_status(reel_recorder *r, reel_recorder_status *final, reel_error *err)
{
    int rc = REEL_OK;
    /* Drain until the writer's final chunk report (it was finished). */
    for (int spins = 0; rc == 0 && !r->final_seen && spins < 5000; spins++) {
        rc = reel_recorder_poll(r, err);
        if (!r->final_seen)
            usleep(1000);
    }
    if (rc == 0 && !r->final_seen)
        rc = reel_error_set(err, REEL_ESTATE, "the producer never finished the stream");
    stop_preparer(r);
    if (rc == 0) {
        absorb_head(r, true);
        reel_chunk_slot slot;
        chunk_rec c;
        while (r->port.reclaim(r->port.ctx, &slot)) {
            if (find_rec(r, slot.tag, &c)) {
                munmap(c.map, c.cap);
                reel_cas_staging_remove(reel_store_cas(r->st), &c.id, NULL);
                drop_rec(r, c.tag);
            }
        }
        rc = seal_staging_entries(r->st, &r->m, err);
        if (rc == 0)
            rc = reel_retention_apply(&r->retention, &r->m, reel_store_cas(r->st),
                                      reel_clock_wall_now(), retention_keep_from(r), NULL, err);
        if (rc == 0)
            rc = seal_manifest(r->st, &r->m, &r->row, err);
    }
    if (final) {
        /* The watch reports a moment still being measured as it closes. */
        reel_moment_watch_stats ws = {0};
        if (r->watch) {
            reel_moment_watch_flush(r->watch);
            reel_moment_watch_get_stats(r->watch, &ws);
        }
        reel_recorder_get_status(r, final);
        /* The sealed manifest's totals, not the last head reported. */
        final->frames = r->m.total_frames;
        final->events = r->m.total_events;
        final->moments = ws.stored;
        final->moments_lost = ws.lost;
    }
    for (size_t i = 0; i < r->n_recs; i++) {
        munmap(r->recs[i].map, r->recs[i].cap);
        reel_chunk_pool_put(&r->pool, r->recs[i].buf, r->recs[i].cap);
    }
    recorder_free(r);
    return rc;
}
