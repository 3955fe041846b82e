/*
 * manifest.c — stream manifests (see manifest.h for the two-level layout).
 *
 * Why pages: the live manifest is rewritten on every seal and about every
 * 100 ms; if it listed every chunk, a day of recording would make each
 * rewrite megabytes. Pages of REEL_MANIFEST_PAGE sealed chunks go to CAS
 * once and are never rewritten. Must never: write the live file in place.
 */
#include "store/manifest.h"

#include "core/fsutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GROW(arr, n, cap, err)                                                             \
    do {                                                                                   \
        if ((n) == (cap)) {                                                                \
            size_t nc = (cap) ? (cap) * 2 : 16;                                            \
            void *grown_ = realloc((arr), nc * sizeof *(arr));                                \
            if (!grown_)                                                                   \
                return reel_error_set((err), REEL_ENOMEM, "out of memory in manifest");    \
            (arr) = grown_;                                                                \
            (cap) = nc;                                                                    \
        }                                                                                  \
    } while (0)

void reel_manifest_init(reel_manifest *m, const reel_stream_def *def,
                        const reel_hash *definition_hash)
{
    memset(m, 0, sizeof *m);
    snprintf(m->uri, sizeof m->uri, "%s", def->uri);
    m->definition_hash = *definition_hash;
    m->kind = def->kind;
    m->rate = def->sample_rate;
    m->frame_bytes = reel_stream_def_frame_bytes(def);
}

void reel_manifest_free(reel_manifest *m)
{
    free(m->pages);
    free(m->tail);
    free(m->snaps);
    m->pages = NULL;
    m->tail = NULL;
    m->snaps = NULL;
    m->n_pages = m->n_tail = m->n_snaps = 0;
    m->cap_pages = m->cap_tail = m->cap_snaps = 0;
}

int reel_manifest_add_chunk(reel_manifest *m, const reel_chunk_entry *e, reel_error *err)
{
    GROW(m->tail, m->n_tail, m->cap_tail, err);
    m->tail[m->n_tail++] = *e;
    reel_manifest_update_totals(m);
    return REEL_OK;
}

reel_chunk_entry *reel_manifest_find_staging(reel_manifest *m, const reel_hash *id)
{
    for (size_t i = m->n_tail; i-- > 0;)
        if (!m->tail[i].sealed && reel_hash_equal(&m->tail[i].hash, id))
            return &m->tail[i];
    return NULL;
}

int reel_manifest_add_snapshot(reel_manifest *m, const reel_clock_snapshot *s, reel_error *err)
{
    GROW(m->snaps, m->n_snaps, m->cap_snaps, err);
    m->snaps[m->n_snaps++] = *s;
    return REEL_OK;
}

void reel_manifest_update_totals(reel_manifest *m)
{
    uint64_t bytes = 0, events = 0, chunks = 0;
    for (size_t i = 0; i < m->n_pages; i++) {
        bytes += m->pages[i].bytes - m->pages[i].dropped_bytes;
        chunks += m->pages[i].n_chunks - m->pages[i].dropped;
    }
    for (size_t i = 0; i < m->n_tail; i++) {
        bytes += m->tail[i].bytes;
        events += m->tail[i].events;
    }
    chunks += m->n_tail;
    m->total_bytes = bytes;
    m->n_chunks = chunks;
    (void)events; /* MIDI event totals come from the writer's head */
    uint64_t head = m->n_tail ? m->tail[m->n_tail - 1].first_frame + m->tail[m->n_tail - 1].frames
                    : m->n_pages ? m->pages[m->n_pages - 1].first_frame +
                                       m->pages[m->n_pages - 1].frames
                                 : m->first_frame;
    if (head > m->total_frames)
        m->total_frames = head;
    if (m->n_pages)
        m->first_frame = m->pages[0].dropped ? m->pages[0].held_first_frame
                                             : m->pages[0].first_frame;
    else if (m->n_tail)
        m->first_frame = m->tail[0].first_frame;
}

/* ---- JSON -------------------------------------------------------------- */

static json_t *hash_json(const reel_hash *h)
{
    char s[REEL_HASH_HEX + 8];
    reel_hash_to_string(h, s);
    return json_string(s);
}

static json_t *snap_json(const reel_clock_snapshot *s)
{
    json_t *o = json_pack("{s:I, s:I, s:I}", "frame", (json_int_t)s->frame, "wall_ns",
                          (json_int_t)s->wall_ns, "mono_ns", (json_int_t)s->mono_ns);
    if (s->has_device_frame)
        json_object_set_new(o, "device_frame", json_integer((json_int_t)s->device_frame));
    if (s->has_midi_ticks)
        json_object_set_new(o, "midi_ticks", json_integer((json_int_t)s->midi_ticks));
    return o;
}

static json_t *chunk_json(const reel_chunk_entry *e)
{
    json_t *o;
    if (e->sealed)
        o = json_pack("{s:s, s:o, s:I, s:I}", "state", "sealed", "hash", hash_json(&e->hash),
                      "byte_count", (json_int_t)e->bytes, "sample_count", (json_int_t)e->frames);
    else
        o = json_pack("{s:s, s:o, s:I, s:I}", "state", "staging", "id", hash_json(&e->hash),
                      "bytes_written", (json_int_t)e->bytes, "samples_written",
                      (json_int_t)e->frames);
    json_object_set_new(o, "first_sample", json_integer((json_int_t)e->first_frame));
    json_object_set_new(o, "wall_clock_ns", json_integer((json_int_t)e->clock.wall_ns));
    json_object_set_new(o, "mono_ns", json_integer((json_int_t)e->clock.mono_ns));
    if (e->clock.has_device_frame)
        json_object_set_new(o, "device_frame", json_integer((json_int_t)e->clock.device_frame));
    if (e->events)
        json_object_set_new(o, "events", json_integer((json_int_t)e->events));
    if (e->sealed && e->has_staging_id)
        json_object_set_new(o, "staging_id", hash_json(&e->staging_id));
    return o;
}

static int get_u64(json_t *o, const char *k, uint64_t *v, bool required, reel_error *err)
{
    json_t *x = json_object_get(o, k);
    if (!x) {
        if (required)
            return reel_error_set(err, REEL_ECORRUPT, "manifest: missing '%s'", k);
        *v = 0;
        return REEL_OK;
    }
    if (!json_is_integer(x) || json_integer_value(x) < 0)
        return reel_error_set(err, REEL_ECORRUPT, "manifest: '%s' is not a count", k);
    *v = (uint64_t)json_integer_value(x);
    return REEL_OK;
}

static int get_i64(json_t *o, const char *k, int64_t *v)
{
    json_t *x = json_object_get(o, k);
    *v = json_is_integer(x) ? (int64_t)json_integer_value(x) : 0;
    return REEL_OK;
}

static int get_hash(json_t *o, const char *k, reel_hash *h, reel_error *err)
{
    json_t *x = json_object_get(o, k);
    if (!json_is_string(x))
        return reel_error_set(err, REEL_ECORRUPT, "manifest: missing hash '%s'", k);
    if (reel_hash_from_hex(h, json_string_value(x), NULL))
        return reel_error_set(err, REEL_ECORRUPT, "manifest: bad hash in '%s'", k);
    return REEL_OK;
}

static int snap_from(json_t *o, reel_clock_snapshot *s, reel_error *err)
{
    memset(s, 0, sizeof *s);
    if (!json_is_object(o))
        return reel_error_set(err, REEL_ECORRUPT, "manifest: snapshot is not an object");
    int rc = get_u64(o, "frame", &s->frame, true, err);
    if (rc)
        return rc;
    get_i64(o, "wall_ns", &s->wall_ns);
    get_i64(o, "mono_ns", &s->mono_ns);
    json_t *d = json_object_get(o, "device_frame");
    if (json_is_integer(d)) {
        s->has_device_frame = true;
        s->device_frame = (uint64_t)json_integer_value(d);
    }
    json_t *t = json_object_get(o, "midi_ticks");
    if (json_is_integer(t)) {
        s->has_midi_ticks = true;
        s->midi_ticks = (uint64_t)json_integer_value(t);
    }
    return REEL_OK;
}

static int chunk_from(json_t *o, reel_chunk_entry *e, reel_error *err)
{
    memset(e, 0, sizeof *e);
    if (!json_is_object(o))
        return reel_error_set(err, REEL_ECORRUPT, "manifest: chunk is not an object");
    const char *state = json_string_value(json_object_get(o, "state"));
    int rc;
    if (state && strcmp(state, "sealed") == 0) {
        e->sealed = true;
        if ((rc = get_hash(o, "hash", &e->hash, err)) ||
            (rc = get_u64(o, "byte_count", &e->bytes, true, err)) ||
            (rc = get_u64(o, "sample_count", &e->frames, true, err)))
            return rc;
    } else if (state && strcmp(state, "staging") == 0) {
        if ((rc = get_hash(o, "id", &e->hash, err)) ||
            (rc = get_u64(o, "bytes_written", &e->bytes, true, err)) ||
            (rc = get_u64(o, "samples_written", &e->frames, true, err)))
            return rc;
    } else {
        return reel_error_set(err, REEL_ECORRUPT, "manifest: chunk state must be sealed|staging");
    }
    if ((rc = get_u64(o, "first_sample", &e->first_frame, true, err)) ||
        (rc = get_u64(o, "events", &e->events, false, err)))
        return rc;
    e->clock.frame = e->first_frame;
    get_i64(o, "wall_clock_ns", &e->clock.wall_ns);
    get_i64(o, "mono_ns", &e->clock.mono_ns);
    json_t *d = json_object_get(o, "device_frame");
    if (json_is_integer(d)) {
        e->clock.has_device_frame = true;
        e->clock.device_frame = (uint64_t)json_integer_value(d);
    }
    /* Everything must survive being written back as a JSON (int64) number. */
    if (e->first_frame > (uint64_t)INT64_MAX - e->frames || e->bytes > ((uint64_t)1 << 40))
        return reel_error_set(err, REEL_ECORRUPT, "manifest: chunk position out of range");
    json_t *sid = json_object_get(o, "staging_id");
    if (sid) {
        if (!json_is_string(sid) || reel_hash_from_hex(&e->staging_id, json_string_value(sid), NULL))
            return reel_error_set(err, REEL_ECORRUPT, "manifest: bad staging_id");
        e->has_staging_id = true;
    }
    return REEL_OK;
}

static json_t *page_summary_json(const reel_manifest_page *p)
{
    json_t *o = json_pack("{s:o, s:I, s:I, s:I, s:I, s:I, s:o, s:o}", "hash", hash_json(&p->hash),
                     "first_chunk", (json_int_t)p->first_chunk, "chunk_count",
                     (json_int_t)p->n_chunks, "first_sample", (json_int_t)p->first_frame,
                     "sample_count", (json_int_t)p->frames, "byte_count", (json_int_t)p->bytes,
                     "first_clock", snap_json(&p->first_clock), "last_clock",
                     snap_json(&p->last_clock));
    if (o && p->dropped) {
        json_object_set_new(o, "dropped_chunks", json_integer((json_int_t)p->dropped));
        json_object_set_new(o, "dropped_bytes", json_integer((json_int_t)p->dropped_bytes));
        json_object_set_new(o, "held_first_sample", json_integer((json_int_t)p->held_first_frame));
    }
    return o;
}

int reel_manifest_to_json(const reel_manifest *m, char **out, reel_error *err)
{
    json_t *root = json_object();
    json_object_set_new(root, "version", json_integer(1));
    json_object_set_new(root, "stream_uri", json_string(m->uri));
    json_object_set_new(root, "definition_hash", hash_json(&m->definition_hash));
    json_object_set_new(root, "kind", json_string(m->kind == REEL_STREAM_MIDI ? "midi" : "audio"));
    json_object_set_new(root, "sample_rate", json_integer(m->rate));
    json_object_set_new(root, "frame_bytes", json_integer((json_int_t)m->frame_bytes));
    json_object_set_new(root, "started_at_ns", json_integer(m->started_at_ns));
    json_object_set_new(root, "last_updated_ns", json_integer(m->last_updated_ns));
    json_object_set_new(root, "first_sample", json_integer((json_int_t)m->first_frame));
    json_object_set_new(root, "total_samples", json_integer((json_int_t)m->total_frames));
    json_object_set_new(root, "total_bytes", json_integer((json_int_t)m->total_bytes));
    json_object_set_new(root, "total_events", json_integer((json_int_t)m->total_events));
    json_object_set_new(root, "chunk_count", json_integer((json_int_t)m->n_chunks));
    json_object_set_new(root, "xruns", json_integer((json_int_t)m->xruns));
    json_object_set_new(root, "overrun_frames", json_integer((json_int_t)m->overrun_frames));
    json_object_set_new(root, "overrun_events", json_integer((json_int_t)m->overrun_events));
    json_object_set_new(root, "gaps", json_integer((json_int_t)m->gaps));
    json_object_set_new(root, "dropped_chunks", json_integer((json_int_t)m->dropped_chunks));
    json_object_set_new(root, "dropped_bytes", json_integer((json_int_t)m->dropped_bytes));
    json_t *pages = json_array();
    for (size_t i = 0; i < m->n_pages; i++)
        json_array_append_new(pages, page_summary_json(&m->pages[i]));
    json_object_set_new(root, "pages", pages);
    json_t *chunks = json_array();
    for (size_t i = 0; i < m->n_tail; i++)
        json_array_append_new(chunks, chunk_json(&m->tail[i]));
    json_object_set_new(root, "chunks", chunks);
    json_t *snaps = json_array();
    for (size_t i = 0; i < m->n_snaps; i++)
        json_array_append_new(snaps, snap_json(&m->snaps[i]));
    json_object_set_new(root, "clock_snapshots", snaps);
    if (m->has_head_clock)
        json_object_set_new(root, "head_clock", snap_json(&m->head_clock));
    *out = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (!*out)
        return reel_error_set(err, REEL_ENOMEM, "out of memory writing the manifest");
    return REEL_OK;
}

int reel_manifest_from_json(reel_manifest *m, const char *text, reel_error *err)
{
    memset(m, 0, sizeof *m);
    json_error_t jerr;
    json_t *root = json_loads(text, 0, &jerr);
    if (!root)
        return reel_error_set(err, REEL_ECORRUPT, "manifest is not JSON: %s", jerr.text);
    int rc = REEL_OK;
    uint64_t v;
    if (!json_is_object(root) || json_integer_value(json_object_get(root, "version")) != 1) {
        rc = reel_error_set(err, REEL_ECORRUPT, "manifest: not a version 1 manifest");
        goto out;
    }
    const char *uri = json_string_value(json_object_get(root, "stream_uri"));
    const char *kind = json_string_value(json_object_get(root, "kind"));
    if (!uri || strlen(uri) >= sizeof m->uri || !kind) {
        rc = reel_error_set(err, REEL_ECORRUPT, "manifest: bad stream_uri or kind");
        goto out;
    }
    snprintf(m->uri, sizeof m->uri, "%s", uri);
    m->kind = strcmp(kind, "midi") == 0 ? REEL_STREAM_MIDI : REEL_STREAM_AUDIO;
    if ((rc = get_hash(root, "definition_hash", &m->definition_hash, err)) ||
        (rc = get_u64(root, "sample_rate", &v, true, err)))
        goto out;
    if (v == 0 || v > 1536000) {
        rc = reel_error_set(err, REEL_ECORRUPT, "manifest: bad sample_rate");
        goto out;
    }
    m->rate = (uint32_t)v;
    if ((rc = get_u64(root, "frame_bytes", &v, true, err)))
        goto out;
    m->frame_bytes = (size_t)v;
    if (m->kind == REEL_STREAM_AUDIO && (v == 0 || v > 4 * 4096)) {
        rc = reel_error_set(err, REEL_ECORRUPT, "manifest: bad frame_bytes");
        goto out;
    }
    get_i64(root, "started_at_ns", &m->started_at_ns);
    get_i64(root, "last_updated_ns", &m->last_updated_ns);
    if ((rc = get_u64(root, "first_sample", &m->first_frame, false, err)) ||
        (rc = get_u64(root, "total_samples", &m->total_frames, true, err)) ||
        (rc = get_u64(root, "total_events", &m->total_events, false, err)) ||
        (rc = get_u64(root, "xruns", &m->xruns, false, err)) ||
        (rc = get_u64(root, "overrun_frames", &m->overrun_frames, false, err)) ||
        (rc = get_u64(root, "overrun_events", &m->overrun_events, false, err)) ||
        (rc = get_u64(root, "gaps", &m->gaps, false, err)) ||
        (rc = get_u64(root, "dropped_chunks", &m->dropped_chunks, false, err)) ||
        (rc = get_u64(root, "dropped_bytes", &m->dropped_bytes, false, err)))
        goto out;
    json_t *arr = json_object_get(root, "pages");
    size_t i;
    json_t *it;
    json_array_foreach(arr, i, it) {
        reel_manifest_page p;
        memset(&p, 0, sizeof p);
        if ((rc = get_hash(it, "hash", &p.hash, err)) ||
            (rc = get_u64(it, "first_chunk", &p.first_chunk, true, err)) ||
            (rc = get_u64(it, "chunk_count", &p.n_chunks, true, err)) ||
            (rc = get_u64(it, "first_sample", &p.first_frame, true, err)) ||
            (rc = get_u64(it, "sample_count", &p.frames, true, err)) ||
            (rc = get_u64(it, "byte_count", &p.bytes, true, err)) ||
            (rc = snap_from(json_object_get(it, "first_clock"), &p.first_clock, err)) ||
            (rc = snap_from(json_object_get(it, "last_clock"), &p.last_clock, err)) ||
            (rc = get_u64(it, "dropped_chunks", &p.dropped, false, err)) ||
            (rc = get_u64(it, "dropped_bytes", &p.dropped_bytes, false, err)) ||
            (rc = get_u64(it, "held_first_sample", &p.held_first_frame, false, err)))
            goto out;
        if (p.first_frame > (uint64_t)INT64_MAX - p.frames || p.bytes > ((uint64_t)1 << 56) ||
            p.n_chunks > (uint64_t)INT64_MAX / 4 || p.first_chunk > (uint64_t)INT64_MAX / 4 ||
            p.dropped >= p.n_chunks || p.dropped_bytes > p.bytes ||
            (p.dropped && (p.held_first_frame < p.first_frame ||
                           p.held_first_frame > p.first_frame + p.frames))) {
            rc = reel_error_set(err, REEL_ECORRUPT, "manifest: page out of range");
            goto out;
        }
        if (m->n_pages == m->cap_pages) {
            size_t nc = m->cap_pages ? m->cap_pages * 2 : 16;
            void *np = realloc(m->pages, nc * sizeof *m->pages);
            if (!np) {
                rc = reel_error_set(err, REEL_ENOMEM, "out of memory");
                goto out;
            }
            m->pages = np;
            m->cap_pages = nc;
        }
        m->pages[m->n_pages++] = p;
    }
    arr = json_object_get(root, "chunks");
    json_array_foreach(arr, i, it) {
        reel_chunk_entry e;
        if ((rc = chunk_from(it, &e, err)))
            goto out;
        if (m->n_tail == m->cap_tail) {
            size_t nc = m->cap_tail ? m->cap_tail * 2 : 16;
            void *np = realloc(m->tail, nc * sizeof *m->tail);
            if (!np) {
                rc = reel_error_set(err, REEL_ENOMEM, "out of memory");
                goto out;
            }
            m->tail = np;
            m->cap_tail = nc;
        }
        m->tail[m->n_tail++] = e;
    }
    arr = json_object_get(root, "clock_snapshots");
    json_array_foreach(arr, i, it) {
        reel_clock_snapshot s;
        if ((rc = snap_from(it, &s, err)))
            goto out;
        if ((rc = reel_manifest_add_snapshot(m, &s, err)))
            goto out;
    }
    json_t *hc = json_object_get(root, "head_clock");
    if (hc) {
        if ((rc = snap_from(hc, &m->head_clock, err)))
            goto out;
        m->has_head_clock = true;
    }
    /* Order is an invariant every lookup relies on: check it. */
    for (i = 1; i < m->n_tail; i++)
        if (m->tail[i].first_frame < m->tail[i - 1].first_frame) {
            rc = reel_error_set(err, REEL_ECORRUPT,
                                "manifest: chunks out of order (#%llu after #%llu, chunk %zu of %zu)",
                                (unsigned long long)m->tail[i].first_frame,
                                (unsigned long long)m->tail[i - 1].first_frame, i, m->n_tail);
            goto out;
        }
    for (i = 1; i < m->n_pages; i++)
        if (m->pages[i].first_frame < m->pages[i - 1].first_frame) {
            rc = reel_error_set(err, REEL_ECORRUPT, "manifest: pages out of order");
            goto out;
        }
    {
        uint64_t tf = m->total_frames;
        reel_manifest_update_totals(m);
        if (tf > m->total_frames)
            m->total_frames = tf;
        if (m->total_frames > (uint64_t)INT64_MAX || m->total_bytes > (uint64_t)INT64_MAX ||
            m->n_chunks > (uint64_t)INT64_MAX) {
            rc = reel_error_set(err, REEL_ECORRUPT, "manifest: totals out of range");
            goto out;
        }
    }
out:
    json_decref(root);
    if (rc)
        reel_manifest_free(m);
    return rc;
}

/* ---- files ------------------------------------------------------------- */

int reel_manifest_save(const reel_manifest *m, reel_cas *cas, const reel_hash *manifest_id,
                       reel_error *err)
{
    char *json;
    int rc = reel_manifest_to_json(m, &json, err);
    if (rc)
        return rc;
    char path[PATH_MAX], dir[PATH_MAX];
    reel_cas_staging_path(cas, manifest_id, path);
    reel_fs_dirname(path, dir, sizeof dir);
    rc = reel_fs_mkdirs(dir, err);
    if (rc == 0)
        rc = reel_fs_write_atomic_f(reel_cas_fault(cas), path, reel_cas_tmp_dir(cas), json,
                                    strlen(json), err);
    free(json);
    if (rc && err) {
        /* Say whose manifest: the path alone is a staging id. */
        char inner[sizeof err->msg];
        snprintf(inner, sizeof inner, "%s", err->msg);
        reel_error_set(err, rc, "cannot save the manifest of %s: %s", m->uri, inner);
    }
    return rc;
}

int reel_manifest_load_path(reel_manifest *m, const char *path, reel_error *err)
{
    char *text;
    int rc = reel_fs_read_all(path, &text, NULL, err);
    if (rc)
        return rc;
    rc = reel_manifest_from_json(m, text, err);
    free(text);
    return rc;
}

int reel_manifest_load(reel_manifest *m, const reel_cas *cas, const reel_hash *manifest_id,
                       reel_error *err)
{
    char path[PATH_MAX];
    reel_cas_staging_path(cas, manifest_id, path);
    return reel_manifest_load_path(m, path, err);
}

/* ---- pages ------------------------------------------------------------- */

int reel_manifest_page_out(reel_manifest *m, reel_cas *cas, reel_error *err)
{
    for (;;) {
        size_t sealed = 0;
        while (sealed < m->n_tail && m->tail[sealed].sealed)
            sealed++;
        if (sealed < REEL_MANIFEST_PAGE)
            return REEL_OK;
        const size_t n = REEL_MANIFEST_PAGE;
        const reel_chunk_entry *last = &m->tail[n - 1];
        uint64_t end = last->first_frame + last->frames;
        json_t *page = json_object();
        json_t *chunks = json_array();
        reel_manifest_page p;
        memset(&p, 0, sizeof p);
        for (size_t i = 0; i < n; i++) {
            json_array_append_new(chunks, chunk_json(&m->tail[i]));
            p.bytes += m->tail[i].bytes;
        }
        json_object_set_new(page, "chunks", chunks);
        size_t ns = 0;
        json_t *snaps = json_array();
        while (ns < m->n_snaps && m->snaps[ns].frame < end)
            json_array_append_new(snaps, snap_json(&m->snaps[ns++]));
        json_object_set_new(page, "clock_snapshots", snaps);
        char *text = json_dumps(page, JSON_COMPACT);
        json_decref(page);
        if (!text)
            return reel_error_set(err, REEL_ENOMEM, "out of memory paging the manifest");
        int rc = reel_cas_put_buf(cas, text, strlen(text), &p.hash, err);
        free(text);
        if (rc)
            return rc;
        p.first_chunk = m->n_pages ? m->pages[m->n_pages - 1].first_chunk +
                                         m->pages[m->n_pages - 1].n_chunks
                                   : 0;
        p.n_chunks = n;
        p.first_frame = m->tail[0].first_frame;
        p.frames = end - p.first_frame;
        p.first_clock = m->tail[0].clock;
        p.last_clock = last->clock;
        /* The page's last clock: the newest pairing inside it. */
        if (ns > 0 && m->snaps[ns - 1].frame > p.last_clock.frame)
            p.last_clock = m->snaps[ns - 1];
        GROW(m->pages, m->n_pages, m->cap_pages, err);
        m->pages[m->n_pages++] = p;
        memmove(m->tail, m->tail + n, (m->n_tail - n) * sizeof *m->tail);
        m->n_tail -= n;
        if (ns > 0) /* m->snaps may be NULL: memmove(NULL, ..., 0) is undefined */
            memmove(m->snaps, m->snaps + ns, (m->n_snaps - ns) * sizeof *m->snaps);
        m->n_snaps -= ns;
    }
}

/* Load one page's chunks and snapshots from CAS. */
static int page_load(const reel_cas *cas, const reel_manifest_page *p, reel_chunk_entry **chunks,
                     size_t *n_chunks, reel_clock_snapshot **snaps, size_t *n_snaps,
                     reel_error *err)
{
    char path[PATH_MAX];
    reel_cas_content_path(cas, &p->hash, path);
    char *text;
    int rc = reel_fs_read_all(path, &text, NULL, err);
    if (rc)
        return rc;
    json_error_t jerr;
    json_t *root = json_loads(text, 0, &jerr);
    free(text);
    if (!root)
        return reel_error_set(err, REEL_ECORRUPT, "manifest page %s is not JSON", path);
    json_t *arr = json_object_get(root, "chunks");
    json_t *sarr = json_object_get(root, "clock_snapshots");
    size_t nc = json_array_size(arr), nsn = json_array_size(sarr);
    reel_chunk_entry *c = calloc(nc ? nc : 1, sizeof *c);
    reel_clock_snapshot *s = calloc(nsn ? nsn : 1, sizeof *s);
    if (!c || !s) {
        free(c);
        free(s);
        json_decref(root);
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < nc && rc == 0; i++)
        rc = chunk_from(json_array_get(arr, i), &c[i], err);
    for (size_t i = 0; i < nsn && rc == 0; i++)
        rc = snap_from(json_array_get(sarr, i), &s[i], err);
    json_decref(root);
    if (rc) {
        free(c);
        free(s);
        return rc;
    }
    if (chunks) {
        *chunks = c;
        *n_chunks = nc;
    } else {
        free(c);
    }
    if (snaps) {
        *snaps = s;
        *n_snaps = nsn;
    } else {
        free(s);
    }
    return REEL_OK;
}

typedef struct entry_vec {
    reel_chunk_entry *v;
    size_t n, cap;
} entry_vec;

static int vec_push(entry_vec *ev, const reel_chunk_entry *e, reel_error *err)
{
    GROW(ev->v, ev->n, ev->cap, err);
    ev->v[ev->n++] = *e;
    return REEL_OK;
}

static bool overlaps(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
    return a0 < b1 && b0 < a1;
}

int reel_manifest_chunks_in(const reel_manifest *m, const reel_cas *cas, uint64_t from,
                            uint64_t to, reel_chunk_entry **out, size_t *n, reel_error *err)
{
    entry_vec ev = {0};
    int rc = REEL_OK;
    /* Pages: binary search for the first page ending after `from`. */
    size_t lo = 0, hi = m->n_pages;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (m->pages[mid].first_frame + m->pages[mid].frames <= from)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t p = lo; p < m->n_pages && m->pages[p].first_frame < to && rc == 0; p++) {
        reel_chunk_entry *chunks;
        size_t nc;
        rc = page_load(cas, &m->pages[p], &chunks, &nc, NULL, NULL, err);
        if (rc)
            break;
        for (size_t i = m->pages[p].dropped; i < nc && rc == 0; i++)
            if (overlaps(chunks[i].first_frame, chunks[i].first_frame + chunks[i].frames, from, to))
                rc = vec_push(&ev, &chunks[i], err);
        free(chunks);
    }
    for (size_t i = 0; i < m->n_tail && rc == 0; i++) {
        const reel_chunk_entry *e = &m->tail[i];
        if (overlaps(e->first_frame, e->first_frame + e->frames, from, to))
            rc = vec_push(&ev, e, err);
    }
    if (rc) {
        free(ev.v);
        return rc;
    }
    *out = ev.v;
    *n = ev.n;
    return REEL_OK;
}

typedef struct snap_vec {
    reel_clock_snapshot *v;
    size_t n, cap;
} snap_vec;

static int snap_push(snap_vec *sv, const reel_clock_snapshot *s, reel_error *err)
{
    if (s->wall_ns == 0)
        return REEL_OK; /* no wall clock known for this pairing */
    GROW(sv->v, sv->n, sv->cap, err);
    sv->v[sv->n++] = *s;
    return REEL_OK;
}

static int snap_cmp(const void *a, const void *b)
{
    const reel_clock_snapshot *x = a, *y = b;
    return x->frame < y->frame ? -1 : x->frame > y->frame;
}

int reel_manifest_snapshots_near(const reel_manifest *m, const reel_cas *cas, int64_t wall_ns,
                                 reel_clock_snapshot **out, size_t *n, reel_error *err)
{
    snap_vec sv = {0};
    int rc = REEL_OK;
    /* Coarse: each page's first and last pairing. Fine: the page that
     * holds the instant, loaded whole. */
    for (size_t p = 0; p < m->n_pages && rc == 0; p++) {
        const reel_manifest_page *pg = &m->pages[p];
        bool inside = wall_ns >= pg->first_clock.wall_ns &&
                      (p + 1 == m->n_pages ? wall_ns <= pg->last_clock.wall_ns
                                           : wall_ns < m->pages[p + 1].first_clock.wall_ns);
        if (inside) {
            reel_chunk_entry *chunks;
            reel_clock_snapshot *snaps;
            size_t nc, ns;
            rc = page_load(cas, pg, &chunks, &nc, &snaps, &ns, err);
            if (rc)
                break;
            for (size_t i = 0; i < nc && rc == 0; i++)
                rc = snap_push(&sv, &chunks[i].clock, err);
            for (size_t i = 0; i < ns && rc == 0; i++)
                rc = snap_push(&sv, &snaps[i], err);
            free(chunks);
            free(snaps);
        } else {
            if ((rc = snap_push(&sv, &pg->first_clock, err)) == 0)
                rc = snap_push(&sv, &pg->last_clock, err);
        }
    }
    for (size_t i = 0; i < m->n_tail && rc == 0; i++)
        rc = snap_push(&sv, &m->tail[i].clock, err);
    for (size_t i = 0; i < m->n_snaps && rc == 0; i++)
        rc = snap_push(&sv, &m->snaps[i], err);
    if (rc == 0 && m->has_head_clock)
        rc = snap_push(&sv, &m->head_clock, err);
    if (rc) {
        free(sv.v);
        return rc;
    }
    qsort(sv.v, sv.n, sizeof *sv.v, snap_cmp);
    /* Drop duplicates by frame (chunk starts and snapshots coincide). */
    size_t w = 0;
    for (size_t i = 0; i < sv.n; i++)
        if (w == 0 || sv.v[w - 1].frame != sv.v[i].frame)
            sv.v[w++] = sv.v[i];
    *out = sv.v;
    *n = w;
    return REEL_OK;
}

int reel_manifest_foreach_hash(const reel_manifest *m, const reel_cas *cas,
                               reel_manifest_hash_fn fn, void *ud, reel_error *err)
{
    for (size_t p = 0; p < m->n_pages; p++) {
        int r = fn(&m->pages[p].hash, true, ud);
        if (r)
            return r;
        reel_chunk_entry *chunks;
        size_t nc;
        int rc = page_load(cas, &m->pages[p], &chunks, &nc, NULL, NULL, err);
        if (rc)
            return rc;
        /* Chunks retention dropped are no longer referenced (GC may take them). */
        for (size_t i = m->pages[p].dropped; i < nc; i++) {
            if (chunks[i].sealed && (r = fn(&chunks[i].hash, false, ud))) {
                free(chunks);
                return r;
            }
        }
        free(chunks);
    }
    for (size_t i = 0; i < m->n_tail; i++) {
        if (m->tail[i].sealed) {
            int r = fn(&m->tail[i].hash, false, ud);
            if (r)
                return r;
        }
    }
    return REEL_OK;
}

int reel_manifest_foreach_chunk(const reel_manifest *m, const reel_cas *cas,
                                reel_manifest_chunk_fn fn, void *ud, reel_error *err)
{
    for (size_t p = 0; p < m->n_pages; p++) {
        reel_chunk_entry *chunks;
        size_t nc;
        int rc = page_load(cas, &m->pages[p], &chunks, &nc, NULL, NULL, err);
        if (rc)
            return rc;
        int r = 0;
        for (size_t i = m->pages[p].dropped; i < nc && !r; i++)
            r = fn(&chunks[i], p + 1 == m->n_pages && i + 1 == nc && m->n_tail == 0, ud);
        free(chunks);
        if (r)
            return r;
    }
    for (size_t i = 0; i < m->n_tail; i++) {
        int r = fn(&m->tail[i], i + 1 == m->n_tail, ud);
        if (r)
            return r;
    }
    return REEL_OK;
}

int reel_manifest_drop_front(reel_manifest *m, const reel_cas *cas, uint64_t n, reel_error *err)
{
    while (n > 0 && m->n_pages > 0) {
        reel_manifest_page *p = &m->pages[0];
        uint64_t held = p->n_chunks - p->dropped;
        if (n >= held) {
            m->dropped_chunks += held;
            m->dropped_bytes += p->bytes - p->dropped_bytes;
            n -= held;
            memmove(m->pages, m->pages + 1, (m->n_pages - 1) * sizeof *m->pages);
            m->n_pages--;
            continue;
        }
        /* Part of a page: its blob stays (it is immutable), the summary
         * says how much of it is no longer held. */
        reel_chunk_entry *chunks;
        size_t nc;
        int rc = page_load(cas, p, &chunks, &nc, NULL, NULL, err);
        if (rc)
            return rc;
        if (nc != p->n_chunks) {
            free(chunks);
            return reel_error_set(err, REEL_ECORRUPT, "manifest page of %s holds %zu chunks, "
                                  "its summary says %llu", m->uri, nc,
                                  (unsigned long long)p->n_chunks);
        }
        for (uint64_t i = p->dropped; i < p->dropped + n; i++) {
            p->dropped_bytes += chunks[i].bytes;
            m->dropped_bytes += chunks[i].bytes;
        }
        p->dropped += n;
        p->held_first_frame = chunks[p->dropped].first_frame;
        m->dropped_chunks += n;
        free(chunks);
        n = 0;
    }
    size_t k = 0;
    while (n > 0 && k < m->n_tail && m->tail[k].sealed && !m->tail[k].has_staging_id) {
        m->dropped_chunks++;
        m->dropped_bytes += m->tail[k].bytes;
        k++;
        n--;
    }
    if (n > 0)
        return reel_error_set(err, REEL_ESTATE, "retention of %s: %llu chunks to drop are not "
                              "sealed or not held", m->uri, (unsigned long long)n);
    if (k > 0) {
        memmove(m->tail, m->tail + k, (m->n_tail - k) * sizeof *m->tail);
        m->n_tail -= k;
        /* Periodic snapshots inside what went are no longer needed. */
        uint64_t first = m->n_tail ? m->tail[0].first_frame : m->total_frames;
        size_t ns = 0;
        while (ns < m->n_snaps && m->snaps[ns].frame < first)
            ns++;
        if (ns > 0)
            memmove(m->snaps, m->snaps + ns, (m->n_snaps - ns) * sizeof *m->snaps);
        m->n_snaps -= ns;
    }
    reel_manifest_update_totals(m);
    return REEL_OK;
}
