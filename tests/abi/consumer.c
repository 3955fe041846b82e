/*
 * consumer.c — a program that knows libreel only through include/reel.h
 * and libreel.so, the way a user of the installed library does: it is
 * compiled with include/ alone on its path (no internal header can creep
 * in) as strict C99, and linked against the shared library.
 *
 * Usage: consumer STORE_DIR. Creates the store, lists the ops, runs a
 * store op, an unknown op and malformed JSON, and the reel_audio_ functions
 * that need no JACK server (bind a new project, set its tempo, read the
 * state, the unsupported record); exits 0 only if each gives what reel.h
 * promises.
 */
#include <reel.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

static void check(int cond, const char *what, const char *detail)
{
    if (!cond) {
        fprintf(stderr, "FAIL consumer: %s: %s\n", what, detail ? detail : "(null)");
        failures++;
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: consumer STORE_DIR\n");
        return 2;
    }
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", REEL_VERSION_MAJOR, REEL_VERSION_MINOR,
             REEL_VERSION_PATCH);
    check(strcmp(reel_version(), want) == 0, "reel_version", reel_version());
    check(strcmp(reel_strerror(REEL_ENOENT), "not found") == 0, "reel_strerror",
          reel_strerror(REEL_ENOENT));

    reel_ctx *ctx = NULL;
    char *err = NULL;
    int rc = reel_open(&ctx, argv[1], REEL_OPEN_CREATE, &err);
    check(rc == REEL_OK && ctx && !err, "reel_open", err);
    reel_free(err);
    if (!ctx)
        return 1;

    char *res = NULL;
    rc = reel_ops(&res);
    check(rc == REEL_OK && res && strstr(res, "\"name\":\"grab\""), "reel_ops lists grab", res);
    reel_free(res);

    rc = reel_call(ctx, "artifact_list", "{}", &res);
    check(rc == REEL_OK && res && strcmp(res, "[]") == 0, "artifact_list of a new store", res);
    reel_free(res);

    rc = reel_call(ctx, "no_such_op", NULL, &res);
    check(rc == REEL_ENOENT && res && strstr(res, "{\"error\":{\"code\":\"not_found\""),
          "unknown op", res);
    reel_free(res);

    rc = reel_call(ctx, "artifact_list", "{\"tag\": ", &res);
    check(rc == REEL_EINVAL && res && strstr(res, "\"code\":\"invalid_argument\"") &&
              strstr(res, "malformed JSON"),
          "malformed JSON", res);
    reel_free(res);

    reel_close(ctx);

    /* The engine functions (reel_audio_*), the parts that need no JACK
     * server, on a store of their own (STORE_DIR-audio: the projects they
     * make stay out of the store above, which must look new on every run). */
    char audio_store[4096];
    snprintf(audio_store, sizeof audio_store, "%s-audio", argv[1]);
    rc = reel_open(&ctx, audio_store, REEL_OPEN_CREATE, &err);
    check(rc == REEL_OK && ctx, "reel_open of the audio store", err);
    reel_free(err);
    if (!ctx)
        return 1;
    rc = reel_audio_stop(ctx, &res);
    check(rc == REEL_ESTATE && strstr(reel_audio_get_last_error(ctx), "reel_audio_init first"),
          "reel_audio_stop before reel_audio_init", reel_audio_get_last_error(ctx));
    reel_free(res);
    rc = reel_audio_init(ctx, "{\"name\": ", NULL);
    check(rc == REEL_EINVAL && strstr(reel_audio_get_last_error(ctx), "malformed JSON"),
          "reel_audio_init of malformed JSON", reel_audio_get_last_error(ctx));
    rc = reel_audio_init(ctx, "{\"name\": \"consumer\", \"rate\": 48000}", &res);
    check(rc == REEL_OK && res && strstr(res, "\"created\":true"), "reel_audio_init", res);
    reel_free(res);
    rc = reel_audio_set_tempo(ctx, 100.0, NULL);
    check(rc == REEL_OK, "reel_audio_set_tempo", reel_audio_get_last_error(ctx));
    rc = reel_audio_get_state_json(ctx, &res);
    check(rc == REEL_OK && res && strstr(res, "\"head\":\"blake3:") &&
              strstr(res, "\"playing\":false"),
          "reel_audio_get_state_json", res);
    reel_free(res);
    rc = reel_audio_start_record(ctx, "{}", NULL); /* no track, no stream: refused */
    check(rc == REEL_EINVAL && strstr(reel_audio_get_last_error(ctx), "\"track\" is required"),
          "reel_audio_start_record", reel_audio_get_last_error(ctx));
    rc = reel_audio_schedule_action(ctx, "{\"at\": 1}", NULL);
    check(rc == REEL_ESTATE && strstr(reel_audio_get_last_error(ctx), "not supported yet"),
          "reel_audio_schedule_action", reel_audio_get_last_error(ctx));
    check(reel_audio_shutdown(ctx) == REEL_OK, "reel_audio_shutdown", reel_audio_get_last_error(ctx));

    reel_close(ctx);
    if (failures == 0)
        printf("ok consumer: libreel %s through reel.h alone\n", reel_version());
    return failures ? 1 : 0;
}
