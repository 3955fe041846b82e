/*
 * cmd_call.c — `reel call OP [JSON]` (any op of the service, for scripts)
 * and cli_call, which every command that acts on the recorder uses: the
 * running `reel serve` of the store answers if there is one (it owns the
 * devices), else the store is served in this process without a recorder
 * (api/route.h decides, for reel_call of the C API too).
 *
 * Must never: open devices or start recording itself (that is serve's),
 * or guess a daemon when the store has none.
 */
#include "cli.h"

#include "api/route.h"
#include "service/service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_call_err(cli *c, const char *op, json_t *args, const char *origin, json_t **out,
                 reel_error *e)
{
    *out = NULL;
    char root[PATH_MAX];
    int rc;
    if (c->store)
        snprintf(root, sizeof root, "%s", c->store);
    else if ((rc = reel_store_default_root(root, sizeof root, e)))
        return rc;
    return reel_route_call(NULL, root, op, args, origin, out, e);
}

int cli_call(cli *c, const char *op, json_t *args, json_t **out)
{
    reel_error e;
    reel_error_clear(&e);
    int rc = cli_call_err(c, op, args, "reel", out, &e);
    return rc ? fail_err(&e) : 0;
}

static void list_ops(cli *c)
{
    json_t *arr = json_array();
    const reel_op *op;
    for (size_t i = 0; (op = reel_service_op_at(i)); i++) {
        if (c->json)
            json_array_append_new(arr, json_pack("{s:s, s:s, s:o*}", "name", op->name, "summary",
                                                 op->summary, "input_schema",
                                                 json_loads(reel_op_schema(op), 0, NULL)));
        else
            printf("%-16s %s\n", op->name, op->summary);
    }
    if (c->json)
        print_json(arr);
    else
        json_decref(arr);
}

int cmd_call(cli *c)
{
    if (c->argc == 2 && strcmp(c->argv[1], "--list") == 0) {
        list_ops(c);
        return 0;
    }
    if (c->argc >= 2 && c->argv[1][0] == '-')
        return fail(REEL_EINVAL, "call: unknown option '%s' (usage: reel call OP ['{JSON}'] | "
                                 "reel call --list)", c->argv[1]);
    if (c->argc < 2 || c->argc > 3)
        return fail(REEL_EINVAL, "usage: reel call OP ['{JSON arguments}'] | reel call --list");
    json_t *args = NULL;
    if (c->argc == 3) {
        json_error_t je;
        args = json_loads(c->argv[2], JSON_REJECT_DUPLICATES, &je);
        if (!args)
            return fail(REEL_EINVAL, "arguments: malformed JSON at column %d: %s", je.column,
                        je.text);
    }
    json_t *out = NULL;
    int rc = cli_call(c, c->argv[1], args, &out);
    json_decref(args);
    if (rc == 0)
        print_json(out);
    return rc;
}
