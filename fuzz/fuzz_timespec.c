/*
 * fuzz_timespec.c — libFuzzer target for the time spec and duration parsers.
 *
 * Owns: feeding arbitrary bytes to reel_duration_parse, reel_timespec_parse
 * and, for specs that parse, reel_timespec_resolve against a small fixed
 * stream (and reel_timespec_offset_frame for moment specs). Must never: pass the parsers anything but a NUL-terminated copy
 * (they take C strings), or keep state between inputs.
 *
 * Beyond the sanitizers' crash checks it asserts the contracts a caller
 * relies on: failures are EINVAL with a one-line message, durations are
 * never negative, and a parsed spec resolves or fails with a known code.
 */
#include "time/timespec.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const reel_clock_snapshot fuzz_snaps[] = {
    {.frame = 0, .wall_ns = 1795168800000000000LL},
    {.frame = 480000, .wall_ns = 1795168810010000000LL},
    {.frame = 480000, .wall_ns = 1795168810020000000LL},
    {.frame = 960000, .wall_ns = 1795168820020000000LL},
};

static void check_failure(int rc, const reel_error *err)
{
    if (rc != REEL_EINVAL || err->code != REEL_EINVAL || err->msg[0] == '\0' ||
        strchr(err->msg, '\n'))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';

    reel_error err = {0};
    int64_t ns = -1;
    int rc = reel_duration_parse(s, &ns, &err);
    if (rc == REEL_OK && ns < 0)
        abort();
    if (rc != REEL_OK)
        check_failure(rc, &err);

    reel_timespec ts;
    rc = reel_timespec_parse(s, &ts, &err);
    if (rc != REEL_OK) {
        check_failure(rc, &err);
    } else {
        const reel_time_context ctx = {
            .head = 960000, .rate = 48000, .snaps = fuzz_snaps,
            .n_snaps = sizeof fuzz_snaps / sizeof fuzz_snaps[0],
        };
        int64_t frame;
        rc = reel_timespec_resolve(&ts, &ctx, &frame, &err);
        if (rc != REEL_OK && rc != REEL_EINVAL && rc != REEL_ERANGE)
            abort();
        bool anchored = ts.kind == REEL_TS_SESSION || ts.kind == REEL_TS_MOMENT;
        if ((rc == REEL_EINVAL) != anchored)
            abort();
        if (ts.kind == REEL_TS_MOMENT) {
            /* The offset of a moment spec applies to the moment's frame. */
            if (ts.moment_id < 1)
                abort();
            rc = reel_timespec_offset_frame(480000, ts.offset_ns, 48000, &frame, &err);
            if (rc != REEL_OK && rc != REEL_ERANGE)
                abort();
        }
    }
    free(s);
    return 0;
}
