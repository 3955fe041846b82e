/*
 * cmd_play.c — `reel play PROJECT`: a project played to JACK through the
 * transport ops (render/engine/transport.c), in the store's running
 * `reel serve` when there is one (it owns the JACK client), else in a
 * service this command keeps open while it plays. It waits until the
 * playhead passes the last clip (or --seconds, or Ctrl-C), stops, and
 * prints the transport's last state.
 *
 * Must never: play anything itself; every step is an op.
 */
#include "cli.h"

#include "api/route.h"
#include "io/jack_backend.h"
#include "service/service.h"

#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

int cmd_play(cli *c)
{
    static const char usage[] = "PROJECT [--version V] [--timeline TL] [--node OUT] [--from X]\n"
                                "              [--port JACK-PORT]... [--seconds N]";
    const char *secs_s = NULL, *port = NULL;
    int rc = 0, n = 0;
    char **words = calloc((size_t)c->argc + 1, sizeof *words);
    json_t *ports = json_array();
    if (!words || !ports) {
        free(words);
        json_decref(ports);
        return fail(REEL_ENOMEM, "out of memory");
    }
    for (int i = 1; i < c->argc && rc == 0; i++) {
        if (opt_value(c, &i, "--seconds", &secs_s, &rc)) {
        } else if (opt_value(c, &i, "--port", &port, &rc)) {
            if (rc == 0)
                json_array_append_new(ports, json_string(port));
        } else {
            words[n++] = c->argv[i];
        }
    }
    double secs = 0;
    if (rc == 0 && secs_s) {
        char *end;
        secs = strtod(secs_s, &end);
        if (*end || end == secs_s || !(secs > 0) || !isfinite(secs))
            rc = fail(REEL_EINVAL, "bad --seconds '%s' (want a positive number)", secs_s);
    }
    static const char *const operands[] = {"project", NULL};
    json_t *args = NULL;
    if (rc == 0)
        rc = cli_op_args("play", "transport_play", operands, usage, n, words, &args);
    free(words);
    if (rc) {
        json_decref(ports);
        return rc;
    }
    if (json_array_size(ports))
        json_object_set(args, "ports", ports);
    json_decref(ports);
    char root[PATH_MAX];
    reel_error e;
    reel_error_clear(&e);
    reel_service *local = NULL;
    if (c->store)
        snprintf(root, sizeof root, "%s", c->store);
    else if ((rc = reel_store_default_root(root, sizeof root, &e)))
        goto out;
    if ((rc = reel_service_open(&local, root, &e)))
        goto out;
    json_t *st = NULL;
    reel_jack_silence_messages(); /* no JACK server is not an error: ALSA plays then */
    if ((rc = reel_route_call(local, root, "transport_play", args, "reel play", &st, &e)))
        goto out;
    const char *dev = json_string_value(json_object_get(st, "device"));
    if (dev && strncmp(dev, "alsa:", 5) == 0)
        fprintf(stderr, "reel: no JACK server runs: playing to ALSA device %s\n", dev + 5);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    json_int_t end = json_integer_value(json_object_get(st, "end_frame"));
    while (!g_stop) {
        struct timespec d = {0, 20000000};
        nanosleep(&d, NULL);
        json_decref(st);
        st = NULL;
        if ((rc = reel_route_call(local, root, "transport_state", NULL, "reel play", &st, &e)))
            goto out;
        clock_gettime(CLOCK_MONOTONIC, &now);
        double el = (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
        if (!json_is_true(json_object_get(st, "playing")) || (secs > 0 && el >= secs) ||
            (secs == 0 && json_integer_value(json_object_get(st, "position_frame")) >= end))
            break;
    }
    json_decref(st);
    st = NULL;
    if ((rc = reel_route_call(local, root, "transport_stop", NULL, "reel play", &st, &e)))
        goto out;
    print_json(st);
out:
    json_decref(args);
    reel_service_close(local);
    return rc ? fail_err(&e) : 0;
}
