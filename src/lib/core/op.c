/*
 * op.c — the argument pickers of op.h.
 */
#include "core/op.h"

const char *reel_arg_str(json_t *args, const char *key, const char *dflt)
{
    json_t *v = json_object_get(args, key);
    return json_is_string(v) ? json_string_value(v) : dflt;
}

int64_t reel_arg_int(json_t *args, const char *key, int64_t dflt)
{
    json_t *v = json_object_get(args, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

bool reel_arg_bool(json_t *args, const char *key, bool dflt)
{
    json_t *v = json_object_get(args, key);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}
