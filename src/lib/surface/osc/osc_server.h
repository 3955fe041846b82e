/*
 * osc_server.h — the OSC surface of `reel serve`: a UDP socket (loopback
 * by default, port 5005 by default) and a thread that turns each message
 * into a service op (osc_map.h) and answers the sender:
 *   /record/status/reply  state filename frames(h) seconds(d)
 *   /reel/reply           op, then name/value pairs of the result's
 *                         top-level scalars (strings, ints as h, reals as
 *                         d, booleans as i 0/1)
 *   /reel/error           address code message, for every failure: an
 *                         unknown address, wrong argument types or counts,
 *                         a malformed packet, or the op's own error.
 *
 * Owns: the socket and its thread. Must never: let a packet's content
 * decide anything but which op runs with which arguments (no file names,
 * no sizes trusted), or block the control thread.
 */
#ifndef REEL_OSC_SERVER_H
#define REEL_OSC_SERVER_H

#include "service/service.h"

#define REEL_OSC_DEFAULT_PORT 5005

typedef struct reel_osc reel_osc;

typedef struct reel_osc_opts {
    const char *host;      /* NULL: 127.0.0.1; only loopback addresses */
    int port;              /* 0: any free port */
    reel_service *service; /* ops run here, origin "osc" */
} reel_osc_opts;

int reel_osc_open(reel_osc **out, const reel_osc_opts *o, reel_error *err);
int reel_osc_port(const reel_osc *o);
void reel_osc_close(reel_osc *o);

#endif
