/*
 * stream_def.c — stream definitions and their canonical JSON.
 *
 * The JSON follows DESIGN.md: {"uri", "device_identity", "format":
 * {"audio": {"sample_rate", "channels", "sample_format"}} | "midi",
 * "chunk_size_bytes"}; a MIDI stream adds "clock_rate", the rate of the
 * frame clock its event positions count. Keys are sorted and the output is
 * compact so one definition always hashes the same. Must never: accept a
 * definition a recorder could not honour (zero rate, zero channels, chunk
 * smaller than a frame).
 */
#include "core/stream_def.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

size_t reel_sample_format_bytes(reel_sample_format f)
{
    switch (f) {
    case REEL_SAMPLE_F32: return 4;
    case REEL_SAMPLE_I16: return 2;
    case REEL_SAMPLE_I24: return 3;
    }
    return 0;
}

const char *reel_sample_format_name(reel_sample_format f)
{
    switch (f) {
    case REEL_SAMPLE_F32: return "f32";
    case REEL_SAMPLE_I16: return "i16";
    case REEL_SAMPLE_I24: return "i24";
    }
    return "?";
}

int reel_sample_format_parse(const char *s, reel_sample_format *out, reel_error *err)
{
    if (s && strcmp(s, "f32") == 0)
        *out = REEL_SAMPLE_F32;
    else if (s && strcmp(s, "i16") == 0)
        *out = REEL_SAMPLE_I16;
    else if (s && strcmp(s, "i24") == 0)
        *out = REEL_SAMPLE_I24;
    else
        return reel_error_set(err, REEL_EINVAL, "unknown sample format '%s' (use f32, i16 or i24)",
                              s ? s : "");
    return REEL_OK;
}

size_t reel_stream_def_frame_bytes(const reel_stream_def *d)
{
    if (d->kind != REEL_STREAM_AUDIO)
        return 0;
    return (size_t)d->channels * reel_sample_format_bytes(d->sample_format);
}

static int valid_uri_char(unsigned char c)
{
    return c > 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* A copy of untrusted text fit for a one-line message. */
static const char *printable(const char *s, char *buf, size_t cap)
{
    size_t k = 0;
    for (; s && *s && k + 4 < cap; s++)
        buf[k++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
    if (s && *s && k + 4 >= cap) {
        memcpy(buf + k, "...", 3);
        k += 3;
    }
    buf[k] = '\0';
    return buf;
}

int reel_stream_uri_validate(const char *uri_raw, reel_error *err)
{
    static const char scheme[] = "stream://";
    char uri[128];
    printable(uri_raw, uri, sizeof uri);
    if (!uri_raw || strncmp(uri_raw, scheme, sizeof scheme - 1) != 0)
        return reel_error_set(err, REEL_EINVAL,
                              "bad stream URI '%s' (want stream://<device>/<name>)", uri);
    size_t n = strlen(uri_raw);
    if (n >= REEL_URI_MAX)
        return reel_error_set(err, REEL_EINVAL, "stream URI too long (%zu bytes)", n);
    const char *dev = uri_raw + sizeof scheme - 1;
    const char *slash = strchr(dev, '/');
    if (!slash || slash == dev || slash[1] == '\0')
        return reel_error_set(err, REEL_EINVAL,
                              "bad stream URI '%s' (want stream://<device>/<name>)", uri);
    for (const char *p = dev; *p; p++)
        if (!valid_uri_char((unsigned char)*p))
            return reel_error_set(err, REEL_EINVAL, "bad character in stream URI '%s'", uri);
    if (strstr(dev, "..") || strstr(dev, "//"))
        return reel_error_set(err, REEL_EINVAL, "bad stream URI '%s' ('..' or '//')", uri);
    return REEL_OK;
}

int reel_stream_def_validate(const reel_stream_def *d, reel_error *err)
{
    int rc = reel_stream_uri_validate(d->uri, err);
    if (rc)
        return rc;
    if (d->sample_rate == 0 || d->sample_rate > 1536000)
        return reel_error_set(err, REEL_EINVAL, "bad sample rate %u", d->sample_rate);
    if (d->kind == REEL_STREAM_AUDIO) {
        if (d->channels == 0 || d->channels > REEL_MAX_CHANNELS)
            return reel_error_set(err, REEL_EINVAL, "bad channel count %u (1 to %d)", d->channels,
                                  REEL_MAX_CHANNELS);
        if (reel_sample_format_bytes(d->sample_format) == 0)
            return reel_error_set(err, REEL_EINVAL, "bad sample format");
        if (d->chunk_size_bytes < reel_stream_def_frame_bytes(d))
            return reel_error_set(err, REEL_EINVAL, "chunk size %llu is smaller than one frame",
                                  (unsigned long long)d->chunk_size_bytes);
    } else if (d->kind == REEL_STREAM_MIDI) {
        if (d->chunk_size_bytes < 4096)
            return reel_error_set(err, REEL_EINVAL, "MIDI chunk size %llu is below 4096 bytes",
                                  (unsigned long long)d->chunk_size_bytes);
    } else {
        return reel_error_set(err, REEL_EINVAL, "bad stream kind");
    }
    if (d->chunk_size_bytes > ((uint64_t)1 << 34))
        return reel_error_set(err, REEL_EINVAL, "chunk size %llu is above 16 GiB",
                              (unsigned long long)d->chunk_size_bytes);
    return REEL_OK;
}

int reel_stream_def_to_json(const reel_stream_def *d, char **json, reel_error *err)
{
    json_t *root = json_object();
    json_object_set_new(root, "uri", json_string(d->uri));
    json_object_set_new(root, "device_identity", json_string(d->device_identity));
    json_object_set_new(root, "chunk_size_bytes", json_integer((json_int_t)d->chunk_size_bytes));
    if (d->kind == REEL_STREAM_AUDIO) {
        json_t *audio = json_pack("{s:I, s:I, s:s}", "sample_rate", (json_int_t)d->sample_rate,
                                  "channels", (json_int_t)d->channels, "sample_format",
                                  reel_sample_format_name(d->sample_format));
        json_object_set_new(root, "format", json_pack("{s:o}", "audio", audio));
    } else {
        json_object_set_new(root, "format", json_string("midi"));
        json_object_set_new(root, "clock_rate", json_integer((json_int_t)d->sample_rate));
    }
    *json = json_dumps(root, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(root);
    if (!*json)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    return REEL_OK;
}

static int get_uint(json_t *obj, const char *key, uint64_t max, uint64_t *out, reel_error *err)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        (uint64_t)json_integer_value(v) > max)
        return reel_error_set(err, REEL_EINVAL, "stream definition: '%s' must be an integer 0..%llu",
                              key, (unsigned long long)max);
    *out = (uint64_t)json_integer_value(v);
    return REEL_OK;
}

static int get_str(json_t *obj, const char *key, char *out, size_t cap, reel_error *err)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_string(v) || json_string_length(v) >= cap)
        return reel_error_set(err, REEL_EINVAL, "stream definition: '%s' must be a string", key);
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return REEL_OK;
}

int reel_stream_def_from_json(const char *text, reel_stream_def *d, reel_error *err)
{
    json_error_t jerr;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return reel_error_set(err, REEL_EINVAL, "stream definition is not JSON: %s (line %d)",
                              jerr.text, jerr.line);
    memset(d, 0, sizeof *d);
    int rc = REEL_OK;
    uint64_t v;
    if (!json_is_object(root)) {
        rc = reel_error_set(err, REEL_EINVAL, "stream definition must be a JSON object");
        goto out;
    }
    if ((rc = get_str(root, "uri", d->uri, sizeof d->uri, err)) ||
        (rc = get_str(root, "device_identity", d->device_identity, sizeof d->device_identity,
                      err)) ||
        (rc = get_uint(root, "chunk_size_bytes", UINT64_MAX >> 1, &d->chunk_size_bytes, err)))
        goto out;
    json_t *fmt = json_object_get(root, "format");
    if (json_is_string(fmt) && strcmp(json_string_value(fmt), "midi") == 0) {
        d->kind = REEL_STREAM_MIDI;
        if ((rc = get_uint(root, "clock_rate", 1536000, &v, err)))
            goto out;
        d->sample_rate = (uint32_t)v;
    } else {
        json_t *audio = json_object_get(fmt, "audio");
        if (!json_is_object(audio)) {
            rc = reel_error_set(err, REEL_EINVAL,
                                "stream definition: 'format' must be {\"audio\":{...}} or \"midi\"");
            goto out;
        }
        d->kind = REEL_STREAM_AUDIO;
        if ((rc = get_uint(audio, "sample_rate", 1536000, &v, err)))
            goto out;
        d->sample_rate = (uint32_t)v;
        if ((rc = get_uint(audio, "channels", REEL_MAX_CHANNELS, &v, err)))
            goto out;
        d->channels = (uint32_t)v;
        json_t *sf = json_object_get(audio, "sample_format");
        if ((rc = reel_sample_format_parse(json_is_string(sf) ? json_string_value(sf) : "",
                                           &d->sample_format, err)))
            goto out;
    }
    rc = reel_stream_def_validate(d, err);
out:
    json_decref(root);
    return rc;
}
