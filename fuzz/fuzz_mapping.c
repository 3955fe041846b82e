/*
 * fuzz_mapping.c — libFuzzer target for controller mapping documents and
 * messages (model/mapping/mapping_doc.c).
 *
 * Bytes -> JSON -> reel_mapping_parse. A refusal must be one line with a
 * code of EINVAL or ERANGE. A mapping that parses is fed the input's bytes
 * again as a stream of MIDI messages (framed by their status bytes, NRPN state kept
 * between them): every decoded message must be a position in [0, 1] on a
 * channel 0..15; where it drives the mapping, the transform must give a
 * finite value inside [lo, hi] (the mapping's own range when it has one),
 * its inverse a position in [0, 1], and the feedback bytes valid MIDI
 * (status byte, then data bytes under 0x80).
 *
 * Must never: touch the disk, or keep state between inputs.
 */
#include "model/mapping/mapping_doc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t je;
    json_t *doc = json_loadb((const char *)data, size, JSON_DISABLE_EOF_CHECK, &je);
    reel_mapping m;
    reel_error err;
    if (!doc) {
        memset(&m, 0, sizeof m); /* not JSON: the bytes as messages to a catch-all mapping */
        m.kind = REEL_MAP_CC;
        m.channel = m.number = -1;
    } else {
        int rc = reel_mapping_parse(doc, &m, &err);
        json_decref(doc);
        if (rc) {
            if ((rc != REEL_EINVAL && rc != REEL_ERANGE) || !err.msg[0] || strchr(err.msg, '\n'))
                abort();
            return 0;
        }
    }
    double lo = m.has_min ? m.min : -2, hi = m.has_max ? m.max : 3;
    double a = lo < hi ? lo : hi, b = lo < hi ? hi : lo;
    reel_map_midi_state st;
    reel_map_midi_state_init(&st);
    for (size_t at = 0; at < size;) {
        uint8_t s = data[at]; /* a status byte frames its message; other bytes pick a length */
        size_t n = !(s & 0x80) ? 1 + s % 3u : s >= 0xF0 ? 1 : (s & 0xE0) == 0xC0 ? 2 : 3;
        if (n > size - at)
            n = size - at;
        reel_map_msg msg;
        if (reel_map_midi_decode(&st, data + at, n, &msg)) {
            if (!(msg.x >= 0 && msg.x <= 1) || msg.channel < 0 || msg.channel > 15)
                abort();
            if (reel_mapping_matches(&m, &msg)) {
                double v = reel_mapping_value(&m, msg.x, -2, 3);
                if (!isfinite(v) || v < a || v > b)
                    abort();
                double x = reel_mapping_position(&m, v, -2, 3);
                if (!(x >= 0 && x <= 1))
                    abort();
                uint8_t fb[12];
                size_t k = reel_mapping_feedback_midi(&m, x, fb);
                if (k % 3)
                    abort();
                for (size_t i = 0; i < k; i++)
                    if ((i % 3 == 0) != ((fb[i] & 0x80) != 0))
                        abort();
            }
        }
        at += n;
    }
    return 0;
}
