/*
 * op.c — the schema and read-resource lookups and the argument pickers of
 * op.h.
 */
#include "core/op.h"

#include <string.h>

REEL_REGISTRY_DECLARE(op_schemas, reel_op_schema_entry);
REEL_REGISTRY_DECLARE(op_resources, reel_op_resource);

const char *reel_op_schema(const reel_op *op)
{
    for (size_t i = 0; i < REEL_REGISTRY_COUNT(op_schemas); i++)
        if (strcmp(REEL_REGISTRY_BEGIN(op_schemas)[i]->op, op->name) == 0)
            return REEL_REGISTRY_BEGIN(op_schemas)[i]->schema;
    return NULL;
}

const reel_op_resource *reel_op_resource_find(const char *collection)
{
    for (size_t i = 0; i < REEL_REGISTRY_COUNT(op_resources); i++)
        if (strcmp(REEL_REGISTRY_BEGIN(op_resources)[i]->collection, collection) == 0)
            return REEL_REGISTRY_BEGIN(op_resources)[i];
    return NULL;
}

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
