/*
 * import.h — imported audio: `reel import FILE` stores any file libsndfile
 * reads, byte for byte, in the CAS and records it as an "audio" artifact
 * (tag "import") whose meta is what media/audio_probe.c found:
 *   {"name", "format", "subtype", "rate", "channels", "frames", "duration_s"}.
 * Such a blob is a clip source (DESIGN.md section 8); reel_import_lookup is
 * how the project model finds one by artifact id or content hash.
 *
 * Importing the same bytes again stores no second blob (CAS dedup) and
 * answers with the same hash, but records a new artifact each time: the
 * name (and the time and creator) may differ, and a clip that names one
 * import by id must not see it renamed by another.
 *
 * Owns: the "audio" artifacts of imports and their meta. Must never: store
 * a file the probe refused (nothing is written then), or change a blob.
 */
#ifndef REEL_IMPORT_H
#define REEL_IMPORT_H

#include "core/error.h"
#include "core/hash.h"

#include <jansson.h>
#include <stdint.h>

typedef struct reel_store reel_store;

typedef struct reel_import_info {
    char artifact[64];  /* "art-<hex>" */
    reel_hash hash;     /* the stored file's content hash */
    uint32_t rate;
    uint32_t channels;
    int64_t frames;
    char format[32];    /* "WAV", "FLAC", "OGG", "AIFF", ... (media/audio_probe.h) */
    char subtype[32];   /* "PCM_16", "FLOAT", "VORBIS", ... */
} reel_import_info;

/* Probe `path` (absolute, or relative to this process's directory), store
 * its bytes in the CAS and record the artifact, made by `creator`, named
 * `name` (NULL: the file's base name). *reply (a new reference):
 *   {"artifact", "hash", "name", "format", "subtype", "rate", "channels",
 *    "frames", "duration_s"}; `info` (may be NULL) gets the same.
 * Refusals (nothing stored): REEL_ENOENT for a missing file, REEL_EINVAL
 * for a directory or a special file, REEL_EFORMAT for one libsndfile
 * cannot read. */
int reel_import_file(reel_store *st, const char *path, const char *name, const char *creator,
                     reel_import_info *info, json_t **reply, reel_error *err);

/* The imported audio `spec` names: an artifact id (or unique prefix) of
 * kind "audio", or "blake3:<hex>" (the newest audio artifact with that
 * content). REEL_ENOENT "no imported audio 'X'" when there is none or the
 * artifact is not audio; REEL_EAMBIG for an ambiguous prefix. */
int reel_import_lookup(reel_store *st, const char *spec, reel_import_info *out, reel_error *err);

#endif
