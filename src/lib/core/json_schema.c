/*
 * json_schema.c — checks a JSON value against a JSON Schema: an op's
 * arguments (service/) and the documents features store (a project version,
 * model/project/), so one validator and one set of messages serve both.
 *
 * Only the subset reel's schemas use: an object whose properties have a
 * "type" (string, integer, number, boolean, array, object), optional
 * "enum" (strings), "minimum"/"maximum" (numbers), "minLength"/"maxLength"
 * (strings), "items" (for arrays, one level), "maxItems", and a
 * "required" list. Properties the schema does not name are refused: a
 * misspelt option must fail loudly, not be ignored.
 *
 * Owns: nothing beyond the call. Must never: accept a value the op would
 * then have to re-check for type, or read a schema keyword it does not
 * implement as if it were satisfied (unknown keywords are schema bugs and
 * fail the call).
 */
#include "core/json_schema.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

static const char *type_name(json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

static bool type_ok(const char *want, json_t *v)
{
    if (strcmp(want, "string") == 0)
        return json_is_string(v);
    if (strcmp(want, "integer") == 0)
        return json_is_integer(v) || (json_is_real(v) && json_real_value(v) ==
                                      floor(json_real_value(v)) && fabs(json_real_value(v)) < 9e15);
    if (strcmp(want, "number") == 0)
        return json_is_number(v);
    if (strcmp(want, "boolean") == 0)
        return json_is_boolean(v);
    if (strcmp(want, "array") == 0)
        return json_is_array(v);
    if (strcmp(want, "object") == 0)
        return json_is_object(v);
    return false;
}

static bool keyword_known(const char *k)
{
    static const char *const known[] = {"type", "description", "enum", "minimum", "maximum",
                                        "minLength", "maxLength", "items", "maxItems", "default",
                                        "properties", "required", "additionalProperties",
                                        "$schema", "$id", "title"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(k, known[i]) == 0)
            return true;
    return false;
}

/* One value against one property schema; `path` names it in messages. */
static int check_value(json_t *ps, json_t *v, const char *path, int depth, reel_error *err)
{
    if (!json_is_object(ps) || depth > REEL_JSON_SCHEMA_DEPTH_MAX)
        return reel_error_set(err, REEL_EIO, "schema of \"%s\" is malformed", path);
    const char *k;
    json_t *kv;
    json_object_foreach(ps, k, kv) {
        if (!keyword_known(k))
            return reel_error_set(err, REEL_EIO, "schema of \"%s\" uses unsupported keyword %s",
                                  path, k);
    }
    const char *type = json_string_value(json_object_get(ps, "type"));
    if (!type)
        return reel_error_set(err, REEL_EIO, "schema of \"%s\" has no type", path);
    if (!type_ok(type, v))
        return reel_error_set(err, REEL_EINVAL, "\"%s\" must be %s%s, not %s", path,
                              strchr("aeiou", type[0]) ? "an " : "a ", type, type_name(v));
    json_t *en = json_object_get(ps, "enum");
    if (en) {
        bool hit = false;
        size_t i;
        json_t *e;
        json_array_foreach(en, i, e) hit |= json_equal(e, v);
        if (!hit) {
            char list[256] = "";
            json_array_foreach(en, i, e) {
                size_t u = strlen(list);
                if (json_is_string(e))
                    snprintf(list + u, sizeof list - u, "%s%s", i ? ", " : "",
                             json_string_value(e));
            }
            if (json_is_string(v))
                return reel_error_set(err, REEL_EINVAL, "\"%s\" is '%.64s'; want one of: %s",
                                      path, json_string_value(v), list);
            return reel_error_set(err, REEL_EINVAL, "\"%s\" must be one of: %s", path, list);
        }
    }
    if (json_is_number(v)) {
        double x = json_number_value(v);
        json_t *mn = json_object_get(ps, "minimum"), *mx = json_object_get(ps, "maximum");
        if ((mn && x < json_number_value(mn)) || (mx && x > json_number_value(mx)))
            return reel_error_set(err, REEL_EINVAL, "\"%s\" is %g; want %s%g to %s%g", path, x,
                                  mn ? "" : "(any) ", mn ? json_number_value(mn) : -INFINITY,
                                  mx ? "" : "(any) ", mx ? json_number_value(mx) : INFINITY);
        if (!isfinite(x))
            return reel_error_set(err, REEL_EINVAL, "\"%s\" must be finite", path);
    }
    if (json_is_string(v)) {
        size_t n = json_string_length(v);
        if (strlen(json_string_value(v)) != n)
            return reel_error_set(err, REEL_EINVAL, "\"%s\" contains a NUL character", path);
        json_t *mn = json_object_get(ps, "minLength"), *mx = json_object_get(ps, "maxLength");
        if (mn && (json_int_t)n < json_integer_value(mn))
            return reel_error_set(err, REEL_EINVAL, "\"%s\" is too short (at least %lld)", path,
                                  (long long)json_integer_value(mn));
        if (mx && (json_int_t)n > json_integer_value(mx))
            return reel_error_set(err, REEL_EINVAL, "\"%s\" is too long (at most %lld)", path,
                                  (long long)json_integer_value(mx));
    }
    if (json_is_array(v)) {
        json_t *mx = json_object_get(ps, "maxItems");
        if (mx && (json_int_t)json_array_size(v) > json_integer_value(mx))
            return reel_error_set(err, REEL_EINVAL, "\"%s\" has more than %lld items", path,
                                  (long long)json_integer_value(mx));
        json_t *items = json_object_get(ps, "items");
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) {
            if (!items)
                break;
            char sub[160];
            snprintf(sub, sizeof sub, "%.130s[%zu]", path, i);
            int rc = check_value(items, e, sub, depth + 1, err);
            if (rc)
                return rc;
        }
    }
    if (json_is_object(v) && json_object_get(ps, "properties")) {
        json_t *props = json_object_get(ps, "properties");
        json_object_foreach(v, k, kv) {
            json_t *sub_s = json_object_get(props, k);
            char sub[160];
            snprintf(sub, sizeof sub, "%.100s.%.50s", path, k);
            if (!sub_s)
                return reel_error_set(err, REEL_EINVAL, "unknown field \"%s\"", sub);
            int rc = check_value(sub_s, kv, sub, depth + 1, err);
            if (rc)
                return rc;
        }
        size_t i;
        json_t *r;
        json_array_foreach(json_object_get(ps, "required"), i, r) {
            if (json_is_string(r) && !json_object_get(v, json_string_value(r)))
                return reel_error_set(err, REEL_EINVAL, "\"%.60s.%.60s\" is required", path,
                                      json_string_value(r));
        }
    }
    return REEL_OK;
}

int reel_schema_check(json_t *schema, json_t *args, reel_error *err)
{
    if (!json_is_object(args))
        return reel_error_set(err, REEL_EINVAL, "arguments must be a JSON object, not %s",
                              type_name(args));
    json_t *props = json_object_get(schema, "properties");
    if (!json_is_object(props) && props)
        return reel_error_set(err, REEL_EIO, "schema properties are malformed");
    const char *k;
    json_t *v;
    json_object_foreach(args, k, v) {
        json_t *ps = props ? json_object_get(props, k) : NULL;
        if (!ps) {
            char known[256] = "";
            const char *pk;
            json_t *pv;
            json_object_foreach(props, pk, pv) {
                size_t u = strlen(known);
                snprintf(known + u, sizeof known - u, "%s%s", u ? ", " : "", pk);
            }
            return reel_error_set(err, REEL_EINVAL, "unknown field \"%.64s\" (known: %s)", k,
                                  known[0] ? known : "none");
        }
        int rc = check_value(ps, v, k, 0, err);
        if (rc)
            return rc;
    }
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(schema, "required"), i, r) {
        if (json_is_string(r) && !json_object_get(args, json_string_value(r)))
            return reel_error_set(err, REEL_EINVAL, "\"%s\" is required", json_string_value(r));
    }
    return REEL_OK;
}
