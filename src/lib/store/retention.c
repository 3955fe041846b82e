/*
 * retention.c — retention policies (see retention.h for the grammar).
 *
 * Why sizes are upper case and durations lower case: "90m" is ninety
 * minutes and "90M" ninety mebibytes; one spelling each keeps a typo from
 * silently meaning the other.
 */
#include "store/retention.h"

#include "time/timespec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_S 1000000000LL

static bool ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* Digits only (sizes and counts are whole numbers). */
static int whole(const char *s, size_t n, uint64_t *out)
{
    if (n == 0 || n > 19)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return 0;
}

static int parse_term(const char *t, size_t n, reel_retention *r, reel_error *err)
{
    char term[64];
    if (n >= sizeof term)
        return reel_error_set(err, REEL_EINVAL, "retention term '%.40s...' is too long", t);
    snprintf(term, sizeof term, "%.*s", (int)n, t);
    if (n == 0)
        return reel_error_set(err, REEL_EINVAL, "empty retention term (want e.g. 24h, 50G or "
                                                "500chunks)");
    uint64_t v;
    /* Counts. */
    const char *csuf = ends_with(t, n, "chunks") ? "chunks" : ends_with(t, n, "chunk") ? "chunk"
                                                                                      : NULL;
    if (csuf) {
        if (whole(t, n - strlen(csuf), &v) || v == 0)
            return reel_error_set(err, REEL_EINVAL,
                                  "bad retention count '%s' (want a whole number > 0, e.g. "
                                  "500chunks)", term);
        if (r->max_chunks)
            return reel_error_set(err, REEL_EINVAL, "retention count given twice ('%s')", term);
        r->max_chunks = v;
        return REEL_OK;
    }
    /* Sizes: K M G T (times 1024^k), optionally followed by B or iB; or nB. */
    static const char units[] = "KMGT";
    size_t body = n;
    bool ib = ends_with(t, n, "iB");
    if (ib)
        body -= 2;
    else if (ends_with(t, n, "B"))
        body -= 1;
    char last = body > 0 ? t[body - 1] : '\0';
    const char *u = last ? strchr(units, last) : NULL;
    if (u || body != n) {
        unsigned shift = u ? 10 * (unsigned)(u - units + 1) : 0;
        if (u)
            body--;
        if ((ib && !u) || whole(t, body, &v) || v == 0 || v > (UINT64_MAX >> shift))
            return reel_error_set(err, REEL_EINVAL,
                                  "bad retention size '%s' (want a whole number > 0 with K, M, "
                                  "G or T, e.g. 50G, or bytes like 4096B)", term);
        if (r->max_bytes)
            return reel_error_set(err, REEL_EINVAL, "retention size given twice ('%s')", term);
        r->max_bytes = v << shift;
        return REEL_OK;
    }
    /* Ages: reel durations, plus whole days. */
    int64_t ns;
    if (n > 1 && t[n - 1] == 'd') {
        if (whole(t, n - 1, &v) || v == 0 || v > 100000)
            return reel_error_set(err, REEL_EINVAL, "bad retention age '%s' (want e.g. 2d)",
                                  term);
        ns = (int64_t)v * 86400 * NS_PER_S;
    } else {
        bool has_unit = false;
        for (size_t i = 0; i < n; i++)
            has_unit |= (t[i] >= 'a' && t[i] <= 'z');
        reel_error e;
        if (!has_unit)
            return reel_error_set(err, REEL_EINVAL,
                                  "retention '%s' has no unit (want an age like 24h, a size "
                                  "like 50G or a count like 500chunks)", term);
        if (reel_duration_parse(term, &ns, &e))
            return reel_error_set(err, REEL_EINVAL,
                                  "bad retention '%s' (want an age like 24h or 90m, a size like "
                                  "50G, or a count like 500chunks): %s", term, e.msg);
        if (ns <= 0)
            return reel_error_set(err, REEL_EINVAL, "retention age '%s' must be more than zero",
                                  term);
    }
    if (r->max_age_ns)
        return reel_error_set(err, REEL_EINVAL, "retention age given twice ('%s')", term);
    r->max_age_ns = ns;
    return REEL_OK;
}

int reel_retention_parse(const char *spec, reel_retention *out, reel_error *err)
{
    memset(out, 0, sizeof *out);
    if (!spec || !*spec)
        return reel_error_set(err, REEL_EINVAL, "empty retention (want e.g. 24h, 50G or "
                                                "500chunks)");
    const char *p = spec;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        int rc = parse_term(p, n, out, err);
        if (rc) {
            memset(out, 0, sizeof *out);
            return rc;
        }
        if (!comma)
            return REEL_OK;
        p = comma + 1;
    }
}

bool reel_retention_is_set(const reel_retention *r)
{
    return r->max_age_ns > 0 || r->max_bytes > 0 || r->max_chunks > 0;
}

void reel_retention_format(const reel_retention *r, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
#define PUT(...) at += (size_t)snprintf(buf + at, at < len ? len - at : 0, __VA_ARGS__)
    if (r->max_age_ns) {
        int64_t s = r->max_age_ns / NS_PER_S, ns = r->max_age_ns % NS_PER_S;
        if (ns)
            PUT("%lld.%09llds", (long long)s, (long long)ns);
        else if (s % 86400 == 0)
            PUT("%lldd", (long long)(s / 86400));
        else if (s % 3600 == 0)
            PUT("%lldh", (long long)(s / 3600));
        else if (s % 60 == 0)
            PUT("%lldm", (long long)(s / 60));
        else
            PUT("%llds", (long long)s);
    }
    if (r->max_bytes) {
        static const char units[] = " KMGT";
        uint64_t v = r->max_bytes;
        int k = 0;
        while (k < 4 && v % 1024 == 0) {
            v /= 1024;
            k++;
        }
        if (k)
            PUT("%s%llu%c", at ? "," : "", (unsigned long long)v, units[k]);
        else
            PUT("%s%lluB", at ? "," : "", (unsigned long long)v);
    }
    if (r->max_chunks)
        PUT("%s%lluchunks", at ? "," : "", (unsigned long long)r->max_chunks);
    if (!at)
        PUT("none");
#undef PUT
}

bool reel_retention_should_drop(const reel_retention *r, const reel_retention_view *v)
{
    if (r->max_chunks && v->held_chunks > r->max_chunks)
        return true;
    if (r->max_bytes && v->held_bytes > r->max_bytes)
        return true;
    if (r->max_age_ns && v->wall_ns > 0 && v->rate > 0) {
        /* The wall clock just after the chunk's last frame. */
        int64_t span = (int64_t)((double)v->frames * NS_PER_S / v->rate);
        if (v->wall_ns + span < v->now_ns - r->max_age_ns)
            return true;
    }
    return false;
}

typedef struct apply_ctx {
    const reel_retention *r;
    reel_retention_view v;
    uint64_t keep_from; /* no chunk holding a frame at or after this goes */
    uint64_t n;
} apply_ctx;

static int decide(const reel_chunk_entry *e, bool last, void *ud)
{
    apply_ctx *a = ud;
    if (last || !e->sealed || e->has_staging_id || e->first_frame + e->frames > a->keep_from)
        return 1;
    a->v.bytes = e->bytes;
    a->v.frames = e->frames;
    a->v.wall_ns = e->clock.wall_ns;
    if (!reel_retention_should_drop(a->r, &a->v))
        return 1;
    a->n++;
    a->v.held_chunks--;
    a->v.held_bytes -= e->bytes < a->v.held_bytes ? e->bytes : a->v.held_bytes;
    return 0;
}

int reel_retention_apply(const reel_retention *r, reel_manifest *m, const reel_cas *cas,
                         int64_t now_ns, uint64_t keep_from, uint64_t *dropped, reel_error *err)
{
    if (dropped)
        *dropped = 0;
    if (!reel_retention_is_set(r) || m->n_chunks < 2)
        return REEL_OK;
    /* Count and size need no page read when they are within their limits
     * and there is no age limit: the common case on every seal. */
    if (!r->max_age_ns && (!r->max_chunks || m->n_chunks <= r->max_chunks) &&
        (!r->max_bytes || m->total_bytes <= r->max_bytes))
        return REEL_OK;
    apply_ctx a = {.r = r,
                   .v = {.rate = m->rate, .held_chunks = m->n_chunks,
                         .held_bytes = m->total_bytes, .now_ns = now_ns},
                   .keep_from = keep_from};
    int rc = reel_manifest_foreach_chunk(m, cas, decide, &a, err);
    if (rc < 0)
        return rc;
    if (a.n == 0)
        return REEL_OK;
    if ((rc = reel_manifest_drop_front(m, cas, a.n, err)))
        return rc;
    if (dropped)
        *dropped = a.n;
    return REEL_OK;
}

int reel_retention_rules_add(reel_retention_rules *rs, const char *arg, reel_error *err)
{
    const char *eq = strrchr(arg, '=');
    reel_retention pol;
    int rc = reel_retention_parse(eq ? eq + 1 : arg, &pol, err);
    if (rc)
        return rc;
    if (!eq) {
        rs->fallback = pol;
        rs->has_fallback = true;
        return REEL_OK;
    }
    size_t ulen = (size_t)(eq - arg);
    if (ulen == 0 || ulen >= REEL_URI_MAX || strncmp(arg, "stream://", 9) != 0)
        return reel_error_set(err, REEL_EINVAL,
                              "bad retention rule '%s' (want SPEC or stream://DEVICE/NAME=SPEC)",
                              arg);
    for (size_t i = 0; i < rs->n_rules; i++)
        if (strlen(rs->rules[i].uri) == ulen && memcmp(rs->rules[i].uri, arg, ulen) == 0) {
            rs->rules[i].policy = pol;
            return REEL_OK;
        }
    reel_retention_rule *grown = realloc(rs->rules, (rs->n_rules + 1) * sizeof *grown);
    if (!grown)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    rs->rules = grown;
    reel_retention_rule *nr = &rs->rules[rs->n_rules++];
    memcpy(nr->uri, arg, ulen);
    nr->uri[ulen] = '\0';
    nr->policy = pol;
    return REEL_OK;
}

reel_retention reel_retention_rules_for(const reel_retention_rules *rs, const char *uri)
{
    reel_retention none = {0};
    if (!rs)
        return none;
    for (size_t i = 0; i < rs->n_rules; i++)
        if (strcmp(rs->rules[i].uri, uri) == 0)
            return rs->rules[i].policy;
    return rs->has_fallback ? rs->fallback : none;
}

void reel_retention_rules_free(reel_retention_rules *rs)
{
    free(rs->rules);
    memset(rs, 0, sizeof *rs);
}

REEL_REGISTRY_DECLARE(retention_pins, reel_retention_pin);

int reel_retention_pinned(reel_store *st, const char *uri, uint64_t *keep_from, reel_error *err)
{
    *keep_from = UINT64_MAX;
    for (size_t i = 0; i < REEL_REGISTRY_COUNT(retention_pins); i++) {
        const reel_retention_pin *p = REEL_REGISTRY_BEGIN(retention_pins)[i];
        uint64_t k = UINT64_MAX;
        int rc = p->pinned(st, uri, &k, err);
        if (rc)
            return rc;
        if (k < *keep_from)
            *keep_from = k;
    }
    return REEL_OK;
}
