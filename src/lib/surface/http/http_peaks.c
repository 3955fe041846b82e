/*
 * http_peaks.c — what the web page draws: GET /api/streams/{uri}/peaks
 * (a waveform overview as min/max per channel per bin, scaled to 16-bit
 * integers) and the "levels" events (each channel's peak over the last
 * 100 ms, about ten times a second while someone listens on /api/events).
 * Both read the server's peak cache; no sample ever leaves as such.
 *
 * Must never: read the index but through a borrowed pool handle, or publish levels when no
 * event client is connected (the work would be for nobody).
 */
#include "surface/http/http_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SEAL_RETRIES 5 /* a staging chunk sealed under a reader: open the view again */
#define LEVELS_STREAMS_MAX 64
#define PEAK_SCALE 32767


static json_t *scaled(const reel_peak_bins *b, uint32_t ch, bool max)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < b->n; i++) {
        size_t k = i * b->channels + ch;
        float v = b->min[k] > b->max[k] ? 0.0f : max ? b->max[k] : b->min[k];
        v = v > 1.0f ? 1.0f : v < -1.0f ? -1.0f : v;
        json_array_append_new(a, json_integer(lrintf(v * PEAK_SCALE)));
    }
    return a;
}

enum MHD_Result http_peaks_send(http_req *r, struct MHD_Connection *conn)
{
    reel_http *h = r->h;
    reel_error e;
    reel_error_clear(&e);
    reel_stream_view v;
    reel_peak_bins b;
    int rc;
    uint64_t first = 0, head = 0, end = 0;
    uint32_t rate = 0;
    reel_store *st; /* a pool handle for this request (time specs may read the index) */
    if ((rc = reel_service_store_borrow(h->service, &st, &e)))
        return http_send_reel_error(conn, &e);
    for (int tries = 0;; tries++) {
        if ((rc = reel_store_stream_open(st, r->route.param, &v, &e)))
            break;
        int64_t from, to;
        rc = reel_slice_resolve(st, r->route.param, &r->route.from, &v.manifest,
                                reel_store_cas(st), &from, &e);
        if (!rc)
            rc = reel_slice_resolve(st, r->route.param, &r->route.to, &v.manifest,
                                    reel_store_cas(st), &to, &e);
        if (!rc && from >= to)
            rc = reel_error_set(&e, REEL_ERANGE, "empty range: from frame %lld is not before "
                                "to frame %lld", (long long)from, (long long)to);
        if (!rc)
            rc = reel_peak_cache_query(h->peaks, reel_store_cas(st), &v, from, to, r->route.bins,
                                       &b, &e);
        first = v.manifest.first_frame;
        head = v.manifest.total_frames;
        end = !rc && to < (int64_t)head ? (uint64_t)to : head; /* the window's clamped end */
        rate = v.def.sample_rate;
        reel_stream_view_free(&v);
        if (rc != REEL_ENOENT || tries == SEAL_RETRIES)
            break;
        reel_error_clear(&e);
    }
    reel_service_store_return(h->service, st);
    if (rc)
        return http_send_reel_error(conn, &e);
    json_t *mins = json_array(), *maxs = json_array();
    for (uint32_t c = 0; c < b.channels; c++) {
        json_array_append_new(mins, scaled(&b, c, false));
        json_array_append_new(maxs, scaled(&b, c, true));
    }
    json_t *j = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o}",
                          "stream", r->route.param, "sample_rate", (json_int_t)rate, "channels",
                          (json_int_t)b.channels, "first_frame", (json_int_t)first, "head_frame",
                          (json_int_t)head, "from_frame", (json_int_t)b.origin, "to_frame",
                          (json_int_t)(b.n ? end : b.origin), "bin_frames",
                          (json_int_t)b.width, "bins", (json_int_t)b.n, "scale",
                          (json_int_t)PEAK_SCALE, "min", mins, "max", maxs);
    reel_peak_bins_free(&b);
    return j ? http_send_json(conn, 200, j) : MHD_NO;
}

/* ---- levels ---------------------------------------------------------------- */

typedef struct live_list {
    char uri[LEVELS_STREAMS_MAX][REEL_URI_MAX];
    size_t n;
} live_list;

static int collect_live(const reel_db_stream *s, void *ud)
{
    live_list *l = ud;
    if (strcmp(s->state, "recording") == 0 && l->n < LEVELS_STREAMS_MAX)
        snprintf(l->uri[l->n++], REEL_URI_MAX, "%s", s->uri);
    return 0;
}

static void publish_levels(reel_http *h, reel_store *st, const char *uri, float *peak,
                           size_t cap)
{
    reel_error e;
    reel_error_clear(&e);
    reel_stream_view v;
    if (reel_store_stream_open(st, uri, &v, &e))
        return;
    int rc = REEL_ENOENT;
    for (int tries = 0; v.def.kind == REEL_STREAM_AUDIO && tries <= SEAL_RETRIES; tries++) {
        uint64_t window = v.def.sample_rate / 10 ? v.def.sample_rate / 10 : 1;
        rc = reel_peak_cache_levels(h->peaks, reel_store_cas(st), &v, window, peak, cap, &e);
        if (rc != REEL_ENOENT)
            break;
        reel_stream_view_free(&v);
        if (reel_store_stream_open(st, uri, &v, &e))
            return;
    }
    if (rc == REEL_OK) {
        json_t *a = json_array();
        for (uint32_t c = 0; c < v.def.channels; c++)
            json_array_append_new(a, json_real(peak[c]));
        json_t *j = json_pack("{s:s, s:I, s:I, s:o}", "stream", uri, "frame",
                              (json_int_t)v.manifest.total_frames, "sample_rate",
                              (json_int_t)v.def.sample_rate, "peak", a);
        char *txt = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(4)) : NULL;
        if (txt)
            reel_http_publish(h, "levels", txt);
        free(txt);
        json_decref(j);
    }
    reel_stream_view_free(&v);
}

static void *levels_main(void *arg)
{
    reel_http *h = arg;
    live_list *l = malloc(sizeof *l);
    float *peak = malloc(REEL_MAX_CHANNELS * sizeof *peak);
    while (l && peak && !http_closing_wait(h, h->o.levels_ms)) {
        if (!http_events_listened(h))
            continue;
        l->n = 0;
        reel_error e;
        reel_error_clear(&e);
        reel_store *st;
        int rc = reel_service_store_borrow(h->service, &st, &e);
        if (rc == 0)
            rc = reel_db_stream_list(reel_store_db(st), collect_live, l, &e);
        for (size_t i = 0; rc == 0 && i < l->n; i++)
            publish_levels(h, st, l->uri[i], peak, REEL_MAX_CHANNELS);
        if (st)
            reel_service_store_return(h->service, st);
    }
    free(peak);
    free(l);
    return NULL;
}

int http_levels_start(reel_http *h, reel_error *err)
{
    if (pthread_create(&h->levels_th, NULL, levels_main, h) != 0)
        return reel_error_set(err, REEL_EIO, "cannot start the levels thread");
    h->levels_running = true;
    return REEL_OK;
}

void http_levels_join(reel_http *h)
{
    if (h->levels_running)
        pthread_join(h->levels_th, NULL);
    h->levels_running = false;
}
