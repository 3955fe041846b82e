/*
 * json_schema.h — a JSON value against a JSON Schema of the small subset
 * reel writes: "type" (one of string, integer, number, boolean, array,
 * object), "properties" (closed: a property the schema does not name is
 * refused, as "additionalProperties": false says for other validators),
 * "required", "enum", "minimum"/"maximum", "minLength"/"maxLength",
 * "items", "maxItems"; annotations ("description", "default", "title",
 * "$schema", "$id") are ignored. Any other keyword is a schema bug and
 * fails the check (REEL_EIO), never silently passes.
 *
 * Owns: nothing beyond the call. Must never: accept a value a caller would
 * then have to re-check for type.
 */
#ifndef REEL_JSON_SCHEMA_H
#define REEL_JSON_SCHEMA_H

#include "core/error.h"

#include <jansson.h>

/* Nesting the checker follows below the top-level properties. */
#define REEL_JSON_SCHEMA_DEPTH_MAX 10

/* `args` must be an object; REEL_EINVAL names the first field that is
 * wrong ("timelines[0].clips[3].gain must be a number, not a string"). */
int reel_schema_check(json_t *schema, json_t *args, reel_error *err);

#endif
