/*
 * http_peaks.c — what the web page draws: GET /api/streams/{uri}/peaks
 * (a waveform overview as min/max per channel per bin, scaled to 16-bit
 * integers), read through the server's peak cache; no sample ever leaves as
 * such. And GET /api/debug, the cache's counters. The "levels" events (the
 * live meters) are not made here: the recorder measures them from the frames
 * its moment watch reads anyway (capture/moment_watch.h) and the service
 * publishes them; this server only forwards them.
 *
 * Must never: read the index but through a borrowed pool handle, or read a
 * chunk for the live meters.
 */
#include "surface/http/http_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SEAL_RETRIES 5 /* a staging chunk sealed under a reader: open the view again */
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

/* ---- debug ----------------------------------------------------------------- */

/* GET /api/debug: the server's own counters. peak_cache.chunk_reads counts
 * every chunk this server read for peaks; the live meters ("levels" events)
 * add nothing to it: they come from the recorder's watch. */
enum MHD_Result http_debug_send(http_req *r, struct MHD_Connection *conn)
{
    reel_http *h = r->h;
    json_t *j = json_pack("{s:{s:I, s:I}}", "peak_cache", "chunk_reads",
                          (json_int_t)reel_peak_cache_chunk_reads(h->peaks), "bytes",
                          (json_int_t)reel_peak_cache_bytes(h->peaks));
    return j ? http_send_json(conn, 200, j) : MHD_NO;
}
