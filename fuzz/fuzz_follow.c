/*
 * fuzz_follow.c — libFuzzer target for follow action attachments and their
 * expansion (model/follow: follow_doc.c, follow_plan.c).
 *
 * Bytes -> JSON: an object is one attachment, an array the document's
 * whole "follow". Each is parsed (a refusal: one line, REEL_EINVAL); the
 * ones that parse go into a fixed project (timelines t and u, three clips
 * of 100, 250 and 1000 frames in group g, markers, an action clip, a
 * nested clip) and the plan is built to a 10 s horizon: it must succeed
 * or refuse in one line (a loop in no time, too many voices), and every
 * voice must lie inside its clip (0 <= off, off + len <= the clip's
 * frames, len > 0) and start before the horizon or be a placement.
 *
 * Must never: touch the disk, or keep state between inputs.
 */
#include "model/follow/follow_doc.h"
#include "model/follow/follow_plan.h"

#include <stdlib.h>
#include <string.h>

#define HORIZON 480000

static const char project[] =
    "{\"rate\":48000,\"seed\":3,\"tempo\":[{\"beat\":0,\"bpm\":120,\"num\":4,\"den\":4}],"
    "\"timelines\":[{\"id\":\"t\",\"timebase\":\"seconds\",\"markers\":[{\"id\":\"m\",\"name\":"
    "\"m\",\"at\":0.01}],\"clips\":["
    "{\"id\":\"x0\",\"kind\":\"audio\",\"track\":\"k\",\"at\":0,\"group\":\"g\",\"source\":"
    "{\"rate\":48000,\"channels\":1,\"frames\":2000},\"start\":0,\"end\":100},"
    "{\"id\":\"x1\",\"kind\":\"audio\",\"track\":\"k\",\"at\":0.002,\"group\":\"g\",\"loop\":true,"
    "\"source\":{\"rate\":48000,\"channels\":1,\"frames\":2000},\"start\":0,\"end\":250},"
    "{\"id\":\"x2\",\"kind\":\"audio\",\"track\":\"k\",\"at\":0.004,\"group\":\"g\",\"source\":"
    "{\"rate\":48000,\"channels\":1,\"frames\":2000},\"start\":1000,\"end\":2000},"
    "{\"id\":\"ax\",\"kind\":\"action\",\"track\":\"k\",\"at\":1,\"length\":1,\"events\":[]},"
    "{\"id\":\"n\",\"kind\":\"timeline\",\"track\":\"k\",\"at\":0.5,\"timeline\":\"u\","
    "\"length\":0.25,\"loop_start_marker\":\"u0\",\"loop_end_marker\":\"u1\"}]},"
    "{\"id\":\"u\",\"timebase\":\"beats\",\"markers\":[{\"id\":\"u0\",\"name\":\"a\",\"at\":0},"
    "{\"id\":\"u1\",\"name\":\"b\",\"at\":0.01}],\"clips\":["
    "{\"id\":\"y0\",\"kind\":\"audio\",\"track\":\"k\",\"at\":0,\"source\":"
    "{\"rate\":48000,\"channels\":1,\"frames\":2000},\"start\":0,\"end\":300}]}]}";

static bool one_line(const reel_error *e)
{
    return e->msg[0] && !strchr(e->msg, '\n');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *in = json_loadb((const char *)data, size, JSON_DISABLE_EOF_CHECK, NULL);
    if (!in)
        return 0;
    json_t *atts = json_is_array(in) ? json_incref(in) : json_pack("[O]", in);
    json_decref(in);
    json_t *keep = json_array();
    size_t i;
    json_t *a;
    json_array_foreach(atts, i, a) {
        reel_follow f;
        reel_error e;
        int rc = reel_follow_parse(a, &f, &e);
        if (rc && (rc != REEL_EINVAL || !one_line(&e)))
            abort();
        if (!rc && i < 16)
            json_array_append(keep, a);
    }
    json_decref(atts);
    json_t *doc = json_loads(project, 0, NULL);
    if (!doc)
        abort();
    json_object_set_new(doc, "follow", keep);
    json_t *tl = json_array_get(json_object_get(doc, "timelines"), 0);
    reel_follow_plan *p = NULL;
    reel_error e;
    int rc = reel_follow_plan_build(doc, tl, HORIZON, reel_follow_len_from_doc, doc, &p, &e);
    if (rc) {
        if ((rc != REEL_EINVAL && rc != REEL_ERANGE) || !one_line(&e) || p)
            abort();
    } else {
        for (size_t k = 0; k < p->n_voice; k++) {
            const reel_follow_voice *v = &p->voice[k];
            int64_t full;
            reel_follow_len_from_doc(doc, v->timeline, v->clip, &full, &e);
            if (v->len <= 0 || v->off < 0 || v->off + v->len > full || v->at < 0 ||
                (!v->placed && v->at >= HORIZON))
                abort();
        }
        reel_follow_plan_free(p);
    }
    json_decref(doc);
    return 0;
}
