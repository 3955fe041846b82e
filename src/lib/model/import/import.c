/*
 * import.c — reel_import_file and reel_import_lookup (see import.h).
 *
 * The file is probed twice: once where it is, so that a file libsndfile
 * cannot read is refused before a byte is stored, and once as the stored
 * blob, so that the meta describes the bytes the CAS holds even if the
 * file changed between the probe and the copy.
 *
 * Owns: the artifact's row and meta for the time of the call. Must never:
 * leave an artifact whose meta was not probed from its own content.
 */
#include "model/import/import.h"

#include "media/audio_probe.h"
#include "store/store.h"
#include "time/clock.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void info_from_probe(reel_import_info *info, const char *artifact, const reel_hash *h,
                            const reel_audio_probe *p)
{
    memset(info, 0, sizeof *info);
    snprintf(info->artifact, sizeof info->artifact, "%s", artifact);
    info->hash = *h;
    info->rate = p->rate;
    info->channels = p->channels;
    info->frames = p->frames;
    snprintf(info->format, sizeof info->format, "%s", p->format);
    snprintf(info->subtype, sizeof info->subtype, "%s", p->subtype);
}

static json_t *probe_meta(const char *name, const reel_audio_probe *p)
{
    return json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:f}", "name", name, "format", p->format,
                     "subtype", p->subtype, "rate", (json_int_t)p->rate, "channels",
                     (json_int_t)p->channels, "frames", (json_int_t)p->frames, "duration_s",
                     p->duration_s);
}

int reel_import_file(reel_store *st, const char *path, const char *name, const char *creator,
                     reel_import_info *info, json_t **reply, reel_error *err)
{
    *reply = NULL;
    reel_audio_probe p;
    int rc = reel_audio_probe_path(path, &p, err);
    if (rc)
        return rc;
    if (!name) {
        const char *slash = strrchr(path, '/');
        name = slash ? slash + 1 : path;
    }
    reel_cas *cas = reel_store_cas(st);
    reel_artifact a;
    memset(&a, 0, sizeof a);
    if ((rc = reel_cas_put_file(cas, path, &a.content, err)))
        return rc;
    char blob[PATH_MAX];
    reel_cas_content_path(cas, &a.content, blob);
    reel_error pe;
    reel_error_clear(&pe);
    if ((rc = reel_audio_probe_path(blob, &p, &pe)))
        return reel_error_set(err, rc, "cannot import '%s': it changed while it was stored (%s)",
                              path, pe.msg);
    json_t *meta = probe_meta(name, &p);
    if (!meta)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    snprintf(a.kind, sizeof a.kind, "audio");
    snprintf(a.mime, sizeof a.mime, "%s", reel_audio_probe_mime(p.format));
    snprintf(a.creator, sizeof a.creator, "%.63s", creator ? creator : "");
    a.created_ns = reel_clock_wall_now();
    a.from_frame = a.to_frame = -1;
    const char *tags[] = {"import"};
    reel_artifact_refs refs = {.meta = meta, .tags = tags, .n_tags = 1};
    rc = reel_store_artifact_put(st, &a, &refs, err);
    if (rc == 0) {
        char hs[REEL_HASH_HEX + 8];
        reel_hash_to_string(&a.content, hs);
        json_t *r = json_deep_copy(meta);
        if (!r || json_object_set_new(r, "artifact", json_string(a.id)) ||
            json_object_set_new(r, "hash", json_string(hs))) {
            json_decref(r);
            rc = reel_error_set(err, REEL_ENOMEM, "out of memory");
        } else {
            *reply = r;
            if (info)
                info_from_probe(info, a.id, &a.content, &p);
        }
    }
    json_decref(meta);
    return rc;
}

/* ---- lookup ---------------------------------------------------------------- */

typedef struct by_hash {
    reel_hash h;
    char id[REEL_ARTIFACT_ID_MAX];
} by_hash;

static int newest_with_content(const reel_artifact *a, void *ud)
{
    by_hash *b = ud;
    if (!reel_hash_equal(&a->content, &b->h))
        return 0;
    snprintf(b->id, sizeof b->id, "%s", a->id);
    return 1; /* newest first: the first is the one */
}

static bool meta_uint(json_t *meta, const char *k, int64_t lo, int64_t hi, int64_t *out)
{
    json_t *v = json_object_get(meta, k);
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return false;
    *out = json_integer_value(v);
    return true;
}

static bool meta_str(json_t *meta, const char *k, char *out, size_t n)
{
    const char *s = json_string_value(json_object_get(meta, k));
    if (!s || strlen(s) >= n)
        return false;
    snprintf(out, n, "%s", s);
    return true;
}

int reel_import_lookup(reel_store *st, const char *spec, reel_import_info *out, reel_error *err)
{
    memset(out, 0, sizeof *out);
    if (!spec || !*spec)
        return reel_error_set(err, REEL_EINVAL, "no imported audio named (an empty id)");
    const char *id = spec;
    by_hash b;
    memset(&b, 0, sizeof b);
    int rc;
    if (strncmp(spec, "blake3:", 7) == 0) {
        if ((rc = reel_hash_name_parse(spec, &b.h, err)))
            return reel_error_set(err, REEL_EINVAL, "no imported audio '%.80s': not a "
                                  "blake3:<64 hex> hash", spec);
        const char *tags[] = {"type:audio"};
        rc = reel_db_artifact_list(reel_store_db(st), tags, 1, newest_with_content, &b, err);
        if (rc < 0)
            return rc;
        if (rc == 0)
            return reel_error_set(err, REEL_ENOENT, "no imported audio '%.80s'", spec);
        id = b.id;
    }
    reel_artifact a;
    memset(&a, 0, sizeof a);
    rc = reel_db_artifact_get(reel_store_db(st), id, &a, err);
    if (rc == REEL_ENOENT || (rc == 0 && strcmp(a.kind, "audio") != 0)) {
        reel_artifact_clear(&a);
        return reel_error_set(err, REEL_ENOENT, "no imported audio '%.80s'", spec);
    }
    if (rc)
        return rc;
    json_t *meta = a.meta_json ? json_loads(a.meta_json, 0, NULL) : NULL;
    int64_t rate, channels, frames;
    bool good = meta && meta_uint(meta, "rate", 1, UINT32_MAX, &rate) &&
                meta_uint(meta, "channels", 1, UINT32_MAX, &channels) &&
                meta_uint(meta, "frames", 0, INT64_MAX, &frames) &&
                meta_str(meta, "format", out->format, sizeof out->format) &&
                meta_str(meta, "subtype", out->subtype, sizeof out->subtype);
    json_decref(meta);
    if (!good) {
        memset(out, 0, sizeof *out);
        rc = reel_error_set(err, REEL_ECORRUPT, "audio artifact %s has no valid import meta "
                            "(rate, channels, frames, format, subtype)", a.id);
    } else {
        snprintf(out->artifact, sizeof out->artifact, "%s", a.id);
        out->hash = a.content;
        out->rate = (uint32_t)rate;
        out->channels = (uint32_t)channels;
        out->frames = frames;
    }
    reel_artifact_clear(&a);
    return rc;
}
