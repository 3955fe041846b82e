/*
 * fuzz_midi_record.c — libFuzzer target for the MIDI chunk record decoder.
 *
 * Owns: treating arbitrary bytes as a MIDI chunk and walking it record by
 * record, the way readers of damaged or half-written chunks do. Checks that
 * decode never reads past the input (ASan), always makes progress, and that
 * every record it accepts re-encodes to exactly the bytes it came from.
 * Must never: keep state between inputs.
 */
#include "rt/midi_record.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t again[REEL_MIDI_RECORD_HEADER + REEL_MIDI_MAX_EVENT];
    size_t off = 0;
    while (off < size) {
        reel_midi_event ev;
        size_t used = 0;
        int rc = reel_midi_record_decode(data + off, size - off, &ev, &used);
        if (rc != REEL_OK) {
            if (rc != REEL_EINVAL && rc != REEL_ECORRUPT)
                __builtin_trap();
            break;
        }
        if (used <= REEL_MIDI_RECORD_HEADER || used > size - off || ev.len == 0 ||
            ev.len > REEL_MIDI_MAX_EVENT || used != reel_midi_record_size(ev.len) ||
            ev.data != data + off + REEL_MIDI_RECORD_HEADER)
            __builtin_trap();

        /* Touch every byte the event claims, so ASan sees any overrun. */
        uint8_t sum = 0;
        for (uint32_t i = 0; i < ev.len; i++)
            sum ^= ev.data[i];
        (void)sum;

        size_t n = reel_midi_record_encode(again, sizeof again, &ev);
        if (n != used || memcmp(again, data + off, used) != 0)
            __builtin_trap();
        off += used;
    }
    return 0;
}
