/*
 * peak_cache.c — per-chunk base bins, LRU within a byte budget (see
 * peak_cache.h). Must never: hold a chunk mapping past the call that made
 * it, or fold a frame twice into a cached summary.
 */
#include "surface/http/peak_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct pc_entry {
    struct pc_entry *next;
    char *uri;
    uint64_t first_frame;
    uint64_t done;       /* frames of the chunk folded so far */
    reel_peak_bins bins; /* base bins covering the chunk's capacity */
    uint64_t used;       /* LRU clock */
} pc_entry;

struct reel_peak_cache {
    pthread_mutex_t mu;
    pc_entry *entries;
    size_t bytes, max_bytes;
    uint64_t tick;
    uint64_t chunk_reads; /* chunks opened and read (atomic): reel_peak_cache_chunk_reads */
};

static size_t entry_bytes(const pc_entry *e)
{
    return sizeof *e + strlen(e->uri) + 1 + e->bins.n * e->bins.channels * 2 * sizeof(float);
}

int reel_peak_cache_open(reel_peak_cache **out, size_t max_bytes, reel_error *err)
{
    reel_peak_cache *c = calloc(1, sizeof *c);
    if (!c)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    pthread_mutex_init(&c->mu, NULL);
    c->max_bytes = max_bytes ? max_bytes : (size_t)64 << 20;
    *out = c;
    return REEL_OK;
}

static void entry_free(pc_entry *e)
{
    reel_peak_bins_free(&e->bins);
    free(e->uri);
    free(e);
}

void reel_peak_cache_close(reel_peak_cache *c)
{
    if (!c)
        return;
    while (c->entries) {
        pc_entry *e = c->entries;
        c->entries = e->next;
        entry_free(e);
    }
    pthread_mutex_destroy(&c->mu);
    free(c);
}

size_t reel_peak_cache_bytes(reel_peak_cache *c)
{
    pthread_mutex_lock(&c->mu);
    size_t n = c->bytes;
    pthread_mutex_unlock(&c->mu);
    return n;
}

/* Drop least recently used entries (never `keep`) until within budget. */
static void evict(reel_peak_cache *c, const pc_entry *keep)
{
    while (c->bytes > c->max_bytes) {
        pc_entry **victim = NULL;
        for (pc_entry **p = &c->entries; *p; p = &(*p)->next)
            if (*p != keep && (!victim || (*p)->used < (*victim)->used))
                victim = p;
        if (!victim)
            return;
        pc_entry *e = *victim;
        *victim = e->next;
        c->bytes -= entry_bytes(e);
        entry_free(e);
    }
}

/* Fold frames [a, b) of chunk `ch` (offsets within it) into `bins`. */
static int chunk_fold(reel_peak_cache *c, const reel_cas *cas, const reel_chunk_entry *ch,
                      const reel_stream_def *d, uint64_t a, uint64_t b, reel_peak_bins *bins,
                      reel_error *err)
{
    if (a >= b)
        return REEL_OK;
    __atomic_add_fetch(&c->chunk_reads, 1, __ATOMIC_RELAXED);
    char path[PATH_MAX];
    if (ch->sealed)
        reel_cas_content_path(cas, &ch->hash, path);
    else
        reel_cas_staging_path(cas, &ch->hash, path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return reel_error_set(err, errno == ENOENT ? REEL_ENOENT : REEL_EIO,
                              "cannot open chunk %s: %s", path, strerror(errno));
    size_t fb = reel_stream_def_frame_bytes(d);
    uint64_t off = a * fb, len = (b - a) * fb;
    struct stat sb;
    if (fstat(fd, &sb) != 0 || (uint64_t)sb.st_size < off + len) {
        close(fd);
        return reel_error_set(err, REEL_ECORRUPT, "chunk %s is shorter than its manifest says",
                              path);
    }
    uint64_t pg = off & ~(uint64_t)4095;
    size_t maplen = (size_t)(off + len - pg);
    void *map = mmap(NULL, maplen, PROT_READ, MAP_SHARED, fd, (off_t)pg);
    close(fd);
    if (map == MAP_FAILED)
        return reel_error_set(err, REEL_EIO, "cannot map chunk %s: %s", path, strerror(errno));
    madvise(map, maplen, MADV_SEQUENTIAL);
    reel_peak_bins_scan(bins, (const uint8_t *)map + (off - pg), ch->first_frame + a,
                        (size_t)(b - a), d->sample_format);
    munmap(map, maplen);
    return REEL_OK;
}

/* The cached summary of `ch`, brought up to the frames it holds now. */
static int entry_for(reel_peak_cache *c, const reel_cas *cas, const reel_stream_view *v,
                     const reel_chunk_entry *ch, pc_entry **out, reel_error *err)
{
    const reel_stream_def *d = &v->def;
    pc_entry *e = NULL;
    for (pc_entry *p = c->entries; p; p = p->next)
        if (p->first_frame == ch->first_frame && strcmp(p->uri, d->uri) == 0) {
            e = p;
            break;
        }
    uint64_t B = REEL_PEAKS_BASE_FRAMES;
    if (e && (ch->frames < e->done ||
              ch->first_frame + ch->frames > e->bins.origin + e->bins.n * B)) {
        /* Not the chunk we summarized (a stream recorded anew): start over. */
        for (pc_entry **p = &c->entries; *p; p = &(*p)->next)
            if (*p == e) {
                *p = e->next;
                break;
            }
        c->bytes -= entry_bytes(e);
        entry_free(e);
        e = NULL;
    }
    if (!e) {
        size_t fb = reel_stream_def_frame_bytes(d);
        uint64_t cap = fb ? d->chunk_size_bytes / fb : 0;
        if (cap < ch->frames)
            cap = ch->frames;
        uint64_t origin = ch->first_frame / B * B;
        uint64_t n = (ch->first_frame + cap + B - 1) / B - origin / B;
        e = calloc(1, sizeof *e);
        if (!e || !(e->uri = strdup(d->uri))) {
            free(e);
            return reel_error_set(err, REEL_ENOMEM, "out of memory");
        }
        int rc = reel_peak_bins_init(&e->bins, d->channels, origin, B, (size_t)n, err);
        if (rc) {
            free(e->uri);
            free(e);
            return rc;
        }
        e->first_frame = ch->first_frame;
        e->next = c->entries;
        c->entries = e;
        c->bytes += entry_bytes(e);
    }
    e->used = ++c->tick;
    if (e->done < ch->frames) {
        int rc = chunk_fold(c, cas, ch, d, e->done, ch->frames, &e->bins, err);
        if (rc)
            return rc;
        e->done = ch->frames;
    }
    *out = e;
    return REEL_OK;
}

static int check_audio(const reel_stream_view *v, reel_error *err)
{
    if (v->def.kind != REEL_STREAM_AUDIO)
        return reel_error_set(err, REEL_EFORMAT, "stream %s is MIDI: it has no waveform",
                              v->def.uri);
    return REEL_OK;
}

int reel_peak_cache_query(reel_peak_cache *c, const reel_cas *cas, const reel_stream_view *v,
                          int64_t from, int64_t to, size_t bins, reel_peak_bins *out,
                          reel_error *err)
{
    memset(out, 0, sizeof *out);
    int rc = check_audio(v, err);
    if (rc)
        return rc;
    if (bins == 0)
        return reel_error_set(err, REEL_EINVAL, "peaks need at least one bin");
    const reel_manifest *m = &v->manifest;
    uint64_t lo = from < (int64_t)m->first_frame ? m->first_frame : (uint64_t)from;
    uint64_t hi = to > (int64_t)m->total_frames ? m->total_frames : (uint64_t)(to < 0 ? 0 : to);
    if (hi <= lo) /* nothing held there: no bins */
        return reel_peak_bins_init(out, v->def.channels, lo, 1, 0, err);
    uint64_t span = hi - lo;
    uint64_t width = (span + bins - 1) / bins;
    size_t n = (size_t)((span + width - 1) / width);
    if ((rc = reel_peak_bins_init(out, v->def.channels, lo, width, n, err)))
        return rc;
    reel_chunk_entry *chunks = NULL;
    size_t nc = 0;
    if ((rc = reel_manifest_chunks_in(m, cas, lo, hi, &chunks, &nc, err))) {
        reel_peak_bins_free(out);
        return rc;
    }
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < nc && rc == 0; i++) {
        const reel_chunk_entry *ch = &chunks[i];
        if (width < REEL_PEAKS_BASE_FRAMES) {
            /* Finer than the cache: read just the frames in range. */
            uint64_t a = lo > ch->first_frame ? lo - ch->first_frame : 0;
            uint64_t b = hi - ch->first_frame < ch->frames ? hi - ch->first_frame : ch->frames;
            rc = chunk_fold(c, cas, ch, &v->def, a, b, out, err);
        } else {
            pc_entry *e = NULL;
            if ((rc = entry_for(c, cas, v, ch, &e, err)) == 0)
                reel_peak_bins_merge(out, &e->bins, lo > ch->first_frame ? lo : ch->first_frame,
                                     hi);
        }
    }
    evict(c, NULL);
    pthread_mutex_unlock(&c->mu);
    free(chunks);
    if (rc)
        reel_peak_bins_free(out);
    return rc;
}

uint64_t reel_peak_cache_chunk_reads(reel_peak_cache *c)
{
    return __atomic_load_n(&c->chunk_reads, __ATOMIC_RELAXED);
}
