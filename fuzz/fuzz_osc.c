/*
 * fuzz_osc.c — libFuzzer target for what the OSC server does with a
 * datagram before any op runs: split the packet (bundles), parse each
 * message with liblo (lo_get_path, lo_message_deserialise) and map it to
 * an op call (osc_map.c), then check the arguments against that op's
 * schema when the op exists in this build.
 *
 * Must never: run an op, or keep state between inputs. Asserts: a mapping
 * either fails with one line and no arguments, or names a known route's op
 * with a JSON object of arguments.
 */
#include "surface/osc/osc_map.h"
#include "service/service.h"

#include <stdlib.h>
#include <string.h>

static void one_message(void *ud, void *msg, size_t len)
{
    (void)ud;
    const char *path = lo_get_path(msg, (ssize_t)len);
    if (!path)
        return;
    int res = 0;
    lo_message m = lo_message_deserialise(msg, len, &res);
    if (!m)
        return;
    reel_osc_call c;
    reel_error e;
    reel_error_clear(&e);
    int rc = reel_osc_map(path, lo_message_get_types(m), lo_message_get_argv(m),
                          lo_message_get_argc(m), "sess-1", &c, &e);
    lo_message_free(m);
    if (rc) {
        if (c.args || !e.msg[0] || strchr(e.msg, '\n') ||
            (rc != REEL_EINVAL && rc != REEL_ENOENT))
            abort();
        return;
    }
    if (!json_is_object(c.args) || !c.op[0])
        abort();
    const reel_op *op = reel_service_op_find(c.op);
    if (op) {
        json_t *schema = json_loads(reel_op_schema(op), 0, NULL);
        if (!schema)
            abort();
        reel_schema_check(schema, c.args, NULL);
        json_decref(schema);
    }
    json_decref(c.args);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    /* The server hands liblo its own receive buffer, which liblo may read
     * but not keep; a copy keeps the fuzzer's input const. */
    unsigned char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    reel_error e;
    reel_error_clear(&e);
    if (reel_osc_packet_split(buf, size, one_message, NULL, &e) != 0 && !e.msg[0])
        abort();
    free(buf);
    return 0;
}
