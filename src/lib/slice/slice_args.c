/*
 * slice_args.c — slice arguments from JSON (see slice_args.h).
 *
 * Owns: the grammar and every failure's message and sub-code. Must never:
 * touch the store, or word a message for one surface (the CLI prints it
 * as HTTP and MCP return it).
 */
#include "slice/slice_args.h"

#include "media/audio_out.h"
#include "time/timespec.h"

#include <string.h>

/* A failure: the document is released, and the error gets its HTTP code
 * (error_code, kept for the /api/streams/{uri}/slice contract) and its
 * stable sub-code (err->reason, the same on every surface). */
static int body_err(reel_slice_args *b, const char *code, const char *reason, int rc,
                    reel_error *err)
{
    reel_slice_args_free(b);
    b->error_code = code;
    return reel_error_reason(err, rc, reason);
}

static int get_string(json_t *doc, const char *key, const char **out, reel_error *err)
{
    json_t *v = json_object_get(doc, key);
    if (!v)
        return REEL_OK;
    if (!json_is_string(v))
        return reel_error_set(err, REEL_EINVAL, "slice: \"%s\" must be a string", key);
    *out = json_string_value(v);
    return REEL_OK;
}

int reel_slice_args_parse(const char *body, size_t len, const char *stream_uri,
                               reel_slice_args *b, reel_error *err)
{
    memset(b, 0, sizeof *b);
    json_error_t je;
    b->doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (!b->doc) {
        b->error_code = "malformed_json";
        reel_error_set(err, REEL_EINVAL, "malformed JSON at line %d column %d: %.200s", je.line,
                       je.column, je.text);
        return reel_error_reason(err, REEL_EINVAL, REEL_SLICE_R_MALFORMED_JSON);
    }
    json_t *doc = b->doc;
    int rc = reel_slice_args_parse_json(doc, stream_uri, b, err);
    json_decref(doc); /* b holds its own reference on success */
    return rc;
}

int reel_slice_args_parse_json(json_t *doc, const char *stream_uri, reel_slice_args *b,
                               reel_error *err)
{
    memset(b, 0, sizeof *b);
    b->doc = json_incref(doc);
    if (!json_is_object(b->doc))
        return body_err(b, "invalid_argument", REEL_SLICE_R_NOT_OBJECT,
                        reel_error_set(err, REEL_EINVAL, "slice: want a JSON object"), err);
    static const char *const known[] = {"from", "to", "last", "format", "sample_format",
                                        "virtual", "tags"};
    const char *key;
    json_t *val;
    json_object_foreach(b->doc, key, val) {
        bool ok = false;
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
            ok |= strcmp(key, known[i]) == 0;
        if (!ok)
            return body_err(b, "unknown_field", REEL_SLICE_R_UNKNOWN_FIELD,
                            reel_error_set(err, REEL_EINVAL,
                                           "slice: unknown field \"%.64s\" (known: from, "
                                           "to, last, format, sample_format, virtual, tags)",
                                           key),
                            err);
    }
    const char *from = NULL, *to = NULL, *last = NULL, *format = NULL, *sfmt = NULL;
    int rc;
    if ((rc = get_string(b->doc, "from", &from, err)) ||
        (rc = get_string(b->doc, "to", &to, err)) ||
        (rc = get_string(b->doc, "last", &last, err)) ||
        (rc = get_string(b->doc, "format", &format, err)) ||
        (rc = get_string(b->doc, "sample_format", &sfmt, err)))
        return body_err(b, "invalid_argument", REEL_SLICE_R_WRONG_TYPE, rc, err);
    reel_slice_request *req = &b->req;
    req->stream_uri = stream_uri;
    req->creator = "reel http";
    json_t *v = json_object_get(b->doc, "virtual");
    if (v) {
        if (!json_is_boolean(v))
            return body_err(b, "invalid_argument", REEL_SLICE_R_WRONG_TYPE,
                            reel_error_set(err, REEL_EINVAL,
                                           "slice: \"virtual\" must be true or false"),
                            err);
        req->is_virtual = json_is_true(v);
    }
    json_t *tags = json_object_get(b->doc, "tags");
    if (tags) {
        if (!json_is_array(tags) || json_array_size(tags) > sizeof b->tags / sizeof b->tags[0])
            return body_err(b, "invalid_argument", REEL_SLICE_R_BAD_TAGS,
                            reel_error_set(err, REEL_EINVAL,
                                           "slice: \"tags\" must be an array of at most "
                                           "64 strings"),
                            err);
        size_t i;
        json_t *t;
        json_array_foreach(tags, i, t) {
            if (!json_is_string(t) || json_string_length(t) == 0 ||
                strlen(json_string_value(t)) != json_string_length(t))
                return body_err(b, "invalid_argument", REEL_SLICE_R_BAD_TAGS,
                                reel_error_set(err, REEL_EINVAL,
                                               "slice: every tag must be a non-empty string"),
                                err);
            b->tags[b->req.n_tags++] = json_string_value(t);
        }
        req->tags = b->tags;
    }
    if (last && (from || to))
        return body_err(b, "invalid_argument", REEL_SLICE_R_LAST_AND_RANGE,
                        reel_error_set(err, REEL_EINVAL,
                                       "slice: give \"last\" or \"from\"/\"to\", not both"),
                        err);
    if (!last && !(from && to))
        return body_err(b, "invalid_argument", REEL_SLICE_R_NO_RANGE,
                        reel_error_set(err, REEL_EINVAL,
                                       "slice needs \"last\", or both \"from\" and \"to\""),
                        err);
    if (last) {
        int64_t ns;
        if ((rc = reel_duration_parse(last, &ns, err)))
            return body_err(b, "invalid_time_spec", REEL_SLICE_R_BAD_TIME_SPEC, rc, err);
        if (ns <= 0)
            return body_err(b, "invalid_argument", REEL_SLICE_R_LAST_NOT_POSITIVE,
                            reel_error_set(err, REEL_EINVAL,
                                           "slice: \"last\" must be longer than zero"),
                            err);
        req->from.kind = REEL_TS_AGO;
        req->from.ago_ns = ns;
        req->to.kind = REEL_TS_HEAD;
        req->clamp = true;
    } else if ((rc = reel_timespec_parse(from, &req->from, err)) ||
               (rc = reel_timespec_parse(to, &req->to, err))) {
        return body_err(b, "invalid_time_spec", REEL_SLICE_R_BAD_TIME_SPEC, rc, err);
    }
    req->format = REEL_OUT_WAV;
    if (format) {
        if ((rc = reel_out_format_parse(format, &req->format, err)))
            return body_err(b, "invalid_argument", REEL_SLICE_R_BAD_FORMAT, rc, err);
        req->format_given = true;
    }
    if (sfmt) {
        if ((rc = reel_sample_format_parse(sfmt, &req->sample_format, err)))
            return body_err(b, "invalid_argument", REEL_SLICE_R_BAD_SAMPLE_FORMAT, rc, err);
        req->has_sample_format = true;
    }
    return REEL_OK;
}

void reel_slice_args_free(reel_slice_args *b)
{
    if (b->doc)
        json_decref(b->doc);
    memset(b, 0, sizeof *b);
}

