/*
 * fuzz_smf.c — libFuzzer target for the Standard MIDI File reader.
 *
 * Owns: feeding arbitrary bytes to reel_smf_parse at a few rates and
 * checking what it accepts: events in tick order, frames never going back,
 * every event's bytes inside the result's own storage (ASan sees any read
 * past them), nothing past the end tick, and a one-line error otherwise.
 * Must never: keep state between inputs.
 */
#include "media/smf_read.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint32_t rates[] = {48000, 44100, 1};
    for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++) {
        reel_smf s;
        reel_error err = {0};
        int rc = reel_smf_parse(data, size, rates[r], &s, &err);
        if (rc != REEL_OK) {
            if ((rc != REEL_ECORRUPT && rc != REEL_EFORMAT) || strchr(err.msg, '\n') ||
                s.events || s.bytes)
                __builtin_trap();
            continue;
        }
        if (s.format > 1 || s.n_tracks == 0)
            __builtin_trap();
        uint8_t sum = 0;
        for (size_t i = 0; i < s.n_events; i++) {
            const reel_smf_event *e = &s.events[i];
            if (i > 0 && (e->tick < e[-1].tick || e->frame < e[-1].frame))
                __builtin_trap();
            if (e->tick > s.end_tick || e->frame > s.end_frame || e->track >= s.n_tracks ||
                e->kind > REEL_SMF_META)
                __builtin_trap();
            if (e->len > size || (e->len && (e->data < s.bytes || e->data + e->len > s.bytes + size)))
                __builtin_trap();
            if (e->kind == REEL_SMF_MIDI && (e->len < 2 || e->len > 3 || e->data[0] < 0x80))
                __builtin_trap();
            if (e->kind == REEL_SMF_SYSEX && (e->len < 1 || e->data[0] != 0xf0))
                __builtin_trap();
            for (uint32_t k = 0; k < e->len; k++)
                sum ^= e->data[k];
        }
        (void)sum;
        if (!(s.division & 0x8000) && (s.n_tempos == 0 || s.tempos[0].tick != 0))
            __builtin_trap();
        reel_smf_free(&s);
    }
    return 0;
}
