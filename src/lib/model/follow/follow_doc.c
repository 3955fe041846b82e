/*
 * follow_doc.c — follow action attachments parsed and checked
 * (follow_doc.h). The names are Live's and the seed's, spelled as the
 * seed spells them.
 */
#include "model/follow/follow_doc.h"

#include <math.h>
#include <string.h>

static const char *const kind_names[REEL_FOLLOW_N_KINDS] = {
    [REEL_FOLLOW_NONE] = "NoAction",           [REEL_FOLLOW_STOP] = "Stop",
    [REEL_FOLLOW_AGAIN] = "PlayAgain",         [REEL_FOLLOW_LOOP] = "LoopClip",
    [REEL_FOLLOW_NEXT] = "PlayNextClip",       [REEL_FOLLOW_PREVIOUS] = "Previous",
    [REEL_FOLLOW_FIRST] = "First",             [REEL_FOLLOW_LAST] = "Last",
    [REEL_FOLLOW_ANY] = "Any",                 [REEL_FOLLOW_OTHER] = "Other",
    [REEL_FOLLOW_RANDOM] = "RandomClipInGroup", [REEL_FOLLOW_JUMP] = "JumpToMarker",
    [REEL_FOLLOW_PLAY_TL] = "PlayTimeline",    [REEL_FOLLOW_STOP_TL] = "StopTimeline",
    [REEL_FOLLOW_TRIGGER] = "TriggerActionClip",
};

const char *reel_follow_kind_name(reel_follow_kind k)
{
    return k < REEL_FOLLOW_N_KINDS ? kind_names[k] : "?";
}

bool reel_follow_kind_picks(reel_follow_kind k)
{
    return k >= REEL_FOLLOW_NEXT && k <= REEL_FOLLOW_RANDOM;
}

static const char *str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static int parse_action(json_t *a, const char *which, const char *id, reel_follow_action *out,
                        reel_error *err)
{
    memset(out, 0, sizeof *out);
    if (!a)
        return REEL_OK; /* NoAction */
    if (!json_is_object(a))
        return reel_error_set(err, REEL_EINVAL, "follow %s: \"%s\" must be an object",
                              id, which);
    const char *name = str(a, "action");
    int k = -1;
    for (int i = 0; name && i < REEL_FOLLOW_N_KINDS; i++)
        if (strcmp(name, kind_names[i]) == 0)
            k = i;
    if (k < 0)
        return reel_error_set(err, REEL_EINVAL, "follow %s: action %s \"%.64s\" is none of "
                              "NoAction, Stop, PlayAgain, LoopClip, PlayNextClip, Previous, "
                              "First, Last, Any, Other, RandomClipInGroup, JumpToMarker, "
                              "PlayTimeline, StopTimeline, TriggerActionClip", id, which,
                              name ? name : "(missing)");
    out->kind = (reel_follow_kind)k;
    out->marker = str(a, "marker");
    out->timeline = str(a, "timeline");
    out->action_clip = str(a, "action_clip");
    json_t *c = json_object_get(a, "count");
    if (c && (!json_is_integer(c) || json_integer_value(c) < 1 ||
              json_integer_value(c) > 1000000))
        return reel_error_set(err, REEL_EINVAL, "follow %s: %s count must be a whole number "
                              "from 1 to 1000000", id, which);
    out->count = c ? json_integer_value(c) : 0;
    if (out->kind == REEL_FOLLOW_JUMP && !out->marker)
        return reel_error_set(err, REEL_EINVAL, "follow %s: JumpToMarker needs \"marker\"", id);
    if (out->kind == REEL_FOLLOW_PLAY_TL && !out->timeline)
        return reel_error_set(err, REEL_EINVAL, "follow %s: PlayTimeline needs \"timeline\"",
                              id);
    if (out->kind == REEL_FOLLOW_TRIGGER && !out->action_clip)
        return reel_error_set(err, REEL_EINVAL, "follow %s: TriggerActionClip needs "
                              "\"action_clip\"", id);
    return REEL_OK;
}

int reel_follow_parse(json_t *att, reel_follow *out, reel_error *err)
{
    memset(out, 0, sizeof *out);
    out->id = str(att, "id");
    const char *id = out->id ? out->id : "?";
    const char *scope = str(att, "scope");
    if (!scope || (strcmp(scope, "clip") && strcmp(scope, "group") && strcmp(scope, "timeline")))
        return reel_error_set(err, REEL_EINVAL, "follow %s: scope must be clip, group or "
                              "timeline", id);
    out->scope = scope[0] == 'c' ? REEL_FOLLOW_CLIP
                 : scope[0] == 'g' ? REEL_FOLLOW_GROUP : REEL_FOLLOW_TIMELINE;
    out->target = str(att, "target");
    out->timeline = str(att, "timeline");
    if (!out->target)
        return reel_error_set(err, REEL_EINVAL, "follow %s: no \"target\" (the %s it follows)",
                              id, scope);
    if (out->scope == REEL_FOLLOW_GROUP && !out->timeline)
        return reel_error_set(err, REEL_EINVAL, "follow %s: a group's follow action names its "
                              "\"timeline\"", id);
    int rc = parse_action(json_object_get(att, "a"), "a", id, &out->a, err);
    if (!rc)
        rc = parse_action(json_object_get(att, "b"), "b", id, &out->b, err);
    if (rc)
        return rc;
    if (out->scope == REEL_FOLLOW_TIMELINE &&
        (reel_follow_kind_picks(out->a.kind) || reel_follow_kind_picks(out->b.kind)))
        return reel_error_set(err, REEL_EINVAL, "follow %s: %s picks a clip of a group; a "
                              "timeline's follow action cannot", id,
                              reel_follow_kind_name(reel_follow_kind_picks(out->a.kind)
                                                        ? out->a.kind : out->b.kind));
    json_t *ch = json_object_get(att, "chance");
    if (ch && (!json_is_number(ch) || json_number_value(ch) < 0 || json_number_value(ch) > 100 ||
               json_number_value(ch) != floor(json_number_value(ch))))
        return reel_error_set(err, REEL_EINVAL, "follow %s: chance must be a whole percent "
                              "from 0 to 100", id);
    out->chance = ch ? (int)json_number_value(ch) : 100;
    json_t *lk = json_object_get(att, "linked");
    out->linked = !lk || json_is_true(lk);
    json_t *loops = json_object_get(att, "loops"), *after = json_object_get(att, "after");
    if (out->linked) {
        if (after)
            return reel_error_set(err, REEL_EINVAL, "follow %s: \"after\" is for an unlinked "
                                  "follow action (linked: false); a linked one counts loops", id);
        if (loops && (!json_is_integer(loops) || json_integer_value(loops) < 1 ||
                      json_integer_value(loops) > 1000000))
            return reel_error_set(err, REEL_EINVAL, "follow %s: loops must be a whole number "
                                  "from 1 to 1000000", id);
        out->loops = loops ? json_integer_value(loops) : 1;
    } else {
        if (loops)
            return reel_error_set(err, REEL_EINVAL, "follow %s: \"loops\" is for a linked "
                                  "follow action; an unlinked one waits \"after\"", id);
        if (!after || !json_is_number(after) || !(json_number_value(after) > 0) ||
            !isfinite(json_number_value(after)))
            return reel_error_set(err, REEL_EINVAL, "follow %s: an unlinked follow action "
                                  "needs \"after\" > 0 (a time in the timeline's timebase)", id);
        out->after = json_number_value(after);
    }
    out->quantize = str(att, "quantize");
    if (!out->quantize)
        out->quantize = "none";
    if (strcmp(out->quantize, "none") && strcmp(out->quantize, "beat") &&
        strcmp(out->quantize, "bar"))
        return reel_error_set(err, REEL_EINVAL, "follow %s: quantize must be none, beat or bar",
                              id);
    return REEL_OK;
}

bool reel_follow_enabled(json_t *doc)
{
    return json_array_size(json_object_get(doc, "follow")) > 0 &&
           !json_is_false(json_object_get(doc, "follow_enabled"));
}
