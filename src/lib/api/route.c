/*
 * route.c — the daemon or this process (route.h).
 */
#include "api/route.h"

#include "service/daemon_file.h"
#include "service/service_remote.h"
#include "surface/http/http_server.h"

#include <stdio.h>

int reel_route_call(reel_service *local, const char *root, const char *op, json_t *args,
                    const char *origin, json_t **out, reel_error *err)
{
    *out = NULL;
    if (!op || !reel_service_op_find(op))
        return reel_error_set(err, REEL_ENOENT, "unknown operation '%.64s'", op ? op : "(null)");
    int rc;
    reel_daemon_info d;
    if (reel_daemon_find(root, &d, NULL) == 0) {
        char token[1024] = "";
        if (d.token_file[0] && (rc = reel_http_token_load(d.token_file, token, sizeof token, err)))
            return rc;
        json_t *empty = args ? NULL : json_object();
        rc = reel_service_remote_call(d.url, token, op, args ? args : empty, out, err);
        json_decref(empty);
        return rc;
    }
    if (local)
        return reel_service_call(local, op, args, origin, out, err);
    reel_service *s;
    if ((rc = reel_service_open(&s, root, err)))
        return rc;
    rc = reel_service_call(s, op, args, origin, out, err);
    reel_service_close(s);
    return rc;
}
