/*
 * lane_format.c — the lane chunk codec (lane_format.h).
 */
#include "model/project/lane_format.h"

#include "core/le_bytes.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t magic[8] = {'R', 'L', 'A', 'N', 'E', 0, 0, 1};

size_t reel_lane_encoded_size(size_t n)
{
    return REEL_LANE_HEADER + n * REEL_LANE_RECORD;
}

void reel_lane_encode(const reel_cmd *cmds, size_t n, uint8_t *out)
{
    memcpy(out, magic, 8);
    reel_put_le32(out + 8, (uint32_t)n);
    reel_put_le32(out + 12, 0);
    for (size_t i = 0; i < n; i++) {
        uint8_t *r = out + REEL_LANE_HEADER + i * REEL_LANE_RECORD;
        uint32_t bits;
        memcpy(&bits, &cmds[i].value, 4);
        reel_put_le64(r, (uint64_t)cmds[i].frame);
        reel_put_le64(r + 8, (uint64_t)cmds[i].ramp_frames);
        reel_put_le32(r + 16, bits);
        r[20] = cmds[i].type;
        r[21] = cmds[i].curve;
        reel_put_le16(r + 22, cmds[i].source);
    }
}

int reel_lane_decode(const uint8_t *buf, size_t len, reel_cmd **out, size_t *n,
                     reel_error *err)
{
    *out = NULL;
    *n = 0;
    if (len < REEL_LANE_HEADER || memcmp(buf, magic, 8) != 0)
        return reel_error_set(err, REEL_EFORMAT, "not an automation lane chunk (bad magic)");
    uint32_t count = reel_get_le32(buf + 8);
    if (reel_get_le32(buf + 12) != 0)
        return reel_error_set(err, REEL_EFORMAT, "automation lane chunk: reserved bytes set");
    if (count > REEL_LANE_MAX_EVENTS ||
        len != reel_lane_encoded_size(count))
        return reel_error_set(err, REEL_EFORMAT, "automation lane chunk: %u records do not fit "
                              "%zu bytes", count, len);
    reel_cmd *c = malloc((count ? count : 1) * sizeof *c);
    if (!c)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *r = buf + REEL_LANE_HEADER + (size_t)i * REEL_LANE_RECORD;
        uint32_t bits = reel_get_le32(r + 16);
        reel_cmd k = {.frame = (int64_t)reel_get_le64(r),
                      .ramp_frames = (int64_t)reel_get_le64(r + 8),
                      .type = r[20],
                      .curve = r[21],
                      .source = reel_get_le16(r + 22)};
        memcpy(&k.value, &bits, 4);
        const char *why = NULL;
        if (k.frame < 0)
            why = "a negative frame";
        else if (i && k.frame < c[i - 1].frame)
            why = "a frame before the record ahead of it";
        else if (k.type > REEL_CMD_TRIGGER)
            why = "an unknown type";
        else if (k.curve >= REEL_CURVE_N)
            why = "an unknown curve";
        else if (!isfinite(k.value))
            why = "a value that is not a finite number";
        else if (k.ramp_frames < 0 || k.ramp_frames >= REEL_LANE_MAX_RAMP ||
                 (k.type == REEL_CMD_RAMP) != (k.ramp_frames > 0))
            why = "a ramp length that does not match its type";
        if (why) {
            free(c);
            return reel_error_set(err, REEL_EFORMAT, "automation lane chunk: record %u has %s",
                                  i, why);
        }
        c[i] = k;
    }
    *out = c;
    *n = count;
    return REEL_OK;
}
