/*
 * fuzz_service_args.c — libFuzzer target for op arguments: arbitrary bytes
 * as JSON, checked against every op's schema (the gate every surface's
 * arguments pass before an op runs).
 *
 * Must never: run an op (no store here), or keep state between inputs.
 * Asserts: a failure is EINVAL with one line, never a schema fault (EIO),
 * and a document that passes has only properties the schema names.
 */
#include "service/service.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    json_t *args = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!args)
        return 0;
    const reel_op *op;
    for (size_t i = 0; (op = reel_service_op_at(i)); i++) {
        json_t *schema = json_loads(reel_op_schema(op), 0, NULL);
        if (!schema)
            abort();
        reel_error e;
        reel_error_clear(&e);
        int rc = reel_schema_check(schema, args, &e);
        if (rc) {
            if (rc != REEL_EINVAL || e.code != REEL_EINVAL || !e.msg[0] || strchr(e.msg, '\n'))
                abort();
        } else {
            const char *k;
            json_t *v;
            json_object_foreach(args, k, v) {
                if (!json_object_get(json_object_get(schema, "properties"), k))
                    abort();
            }
        }
        json_decref(schema);
    }
    json_decref(args);
    return 0;
}
