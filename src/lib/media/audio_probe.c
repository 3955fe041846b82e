/*
 * audio_probe.c — reel_audio_probe_path: open a file with libsndfile, name
 * its container and encoding, and count its frames (see audio_probe.h).
 *
 * Owns: the descriptor and SNDFILE it opens, both closed before it returns.
 * Must never: trust a frame count libsndfile marks as unknown (it is then
 * counted by decoding), or open anything but a regular file.
 */
#include "media/audio_probe.h"

#include <errno.h>
#include <fcntl.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct code_name {
    int code;
    const char *name;
} code_name;

/* soundfile's names (python-soundfile's _formats and _subtypes). */
static const code_name MAJORS[] = {
    {SF_FORMAT_WAV, "WAV"},     {SF_FORMAT_AIFF, "AIFF"},   {SF_FORMAT_AU, "AU"},
    {SF_FORMAT_RAW, "RAW"},     {SF_FORMAT_PAF, "PAF"},     {SF_FORMAT_SVX, "SVX"},
    {SF_FORMAT_NIST, "NIST"},   {SF_FORMAT_VOC, "VOC"},     {SF_FORMAT_IRCAM, "IRCAM"},
    {SF_FORMAT_W64, "W64"},     {SF_FORMAT_MAT4, "MAT4"},   {SF_FORMAT_MAT5, "MAT5"},
    {SF_FORMAT_PVF, "PVF"},     {SF_FORMAT_XI, "XI"},       {SF_FORMAT_HTK, "HTK"},
    {SF_FORMAT_SDS, "SDS"},     {SF_FORMAT_AVR, "AVR"},     {SF_FORMAT_WAVEX, "WAVEX"},
    {SF_FORMAT_SD2, "SD2"},     {SF_FORMAT_FLAC, "FLAC"},   {SF_FORMAT_CAF, "CAF"},
    {SF_FORMAT_WVE, "WVE"},     {SF_FORMAT_OGG, "OGG"},     {SF_FORMAT_MPC2K, "MPC2K"},
    {SF_FORMAT_RF64, "RF64"},   {SF_FORMAT_MPEG, "MP3"},
};

static const code_name SUBTYPES[] = {
    {SF_FORMAT_PCM_S8, "PCM_S8"},
    {SF_FORMAT_PCM_16, "PCM_16"},
    {SF_FORMAT_PCM_24, "PCM_24"},
    {SF_FORMAT_PCM_32, "PCM_32"},
    {SF_FORMAT_PCM_U8, "PCM_U8"},
    {SF_FORMAT_FLOAT, "FLOAT"},
    {SF_FORMAT_DOUBLE, "DOUBLE"},
    {SF_FORMAT_ULAW, "ULAW"},
    {SF_FORMAT_ALAW, "ALAW"},
    {SF_FORMAT_IMA_ADPCM, "IMA_ADPCM"},
    {SF_FORMAT_MS_ADPCM, "MS_ADPCM"},
    {SF_FORMAT_GSM610, "GSM610"},
    {SF_FORMAT_VOX_ADPCM, "VOX_ADPCM"},
    {SF_FORMAT_NMS_ADPCM_16, "NMS_ADPCM_16"},
    {SF_FORMAT_NMS_ADPCM_24, "NMS_ADPCM_24"},
    {SF_FORMAT_NMS_ADPCM_32, "NMS_ADPCM_32"},
    {SF_FORMAT_G721_32, "G721_32"},
    {SF_FORMAT_G723_24, "G723_24"},
    {SF_FORMAT_G723_40, "G723_40"},
    {SF_FORMAT_DWVW_12, "DWVW_12"},
    {SF_FORMAT_DWVW_16, "DWVW_16"},
    {SF_FORMAT_DWVW_24, "DWVW_24"},
    {SF_FORMAT_DWVW_N, "DWVW_N"},
    {SF_FORMAT_DPCM_8, "DPCM_8"},
    {SF_FORMAT_DPCM_16, "DPCM_16"},
    {SF_FORMAT_VORBIS, "VORBIS"},
    {SF_FORMAT_OPUS, "OPUS"},
    {SF_FORMAT_ALAC_16, "ALAC_16"},
    {SF_FORMAT_ALAC_20, "ALAC_20"},
    {SF_FORMAT_ALAC_24, "ALAC_24"},
    {SF_FORMAT_ALAC_32, "ALAC_32"},
    {SF_FORMAT_MPEG_LAYER_I, "MPEG_LAYER_I"},
    {SF_FORMAT_MPEG_LAYER_II, "MPEG_LAYER_II"},
    {SF_FORMAT_MPEG_LAYER_III, "MPEG_LAYER_III"},
};

/* The table's name for `code`, else the first word of libsndfile's own
 * (SFC_GET_FORMAT_INFO: "WAV (Microsoft)" -> "WAV"), else "0x<code>". */
static void code_to_name(const code_name *t, size_t n, int code, char out[REEL_AUDIO_NAME_MAX])
{
    for (size_t i = 0; i < n; i++)
        if (t[i].code == code) {
            snprintf(out, REEL_AUDIO_NAME_MAX, "%s", t[i].name);
            return;
        }
    SF_FORMAT_INFO fi = {.format = code};
    if (sf_command(NULL, SFC_GET_FORMAT_INFO, &fi, sizeof fi) == 0 && fi.name && fi.name[0]) {
        size_t len = strcspn(fi.name, " ");
        if (len >= REEL_AUDIO_NAME_MAX)
            len = REEL_AUDIO_NAME_MAX - 1;
        memcpy(out, fi.name, len);
        out[len] = '\0';
        return;
    }
    snprintf(out, REEL_AUDIO_NAME_MAX, "0x%04x", (unsigned)code);
}

/* Frames by decoding to the end: for streams whose header cannot say
 * (libsndfile reports SF_COUNT_MAX or a negative count, or cannot seek). */
static int count_frames(SNDFILE *sf, const char *path, int channels, int64_t *out,
                        reel_error *err)
{
    enum { BLOCK = 4096 };
    float *buf = malloc((size_t)BLOCK * (size_t)channels * sizeof *buf);
    if (!buf)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    int64_t n = 0;
    sf_count_t got;
    while ((got = sf_readf_float(sf, buf, BLOCK)) > 0)
        n += got;
    free(buf);
    if (sf_error(sf) != SF_ERR_NO_ERROR)
        return reel_error_set(err, REEL_EFORMAT, "cannot import '%s': %s", path, sf_strerror(sf));
    *out = n;
    return 0;
}

/* libsndfile's reason without its trailing full stop and spaces. */
static int trimmed_len(const char *why)
{
    size_t n = strlen(why);
    while (n && (why[n - 1] == '.' || why[n - 1] == ' ' || why[n - 1] == '\n'))
        n--;
    return (int)n;
}

int reel_audio_probe_path(const char *path, reel_audio_probe *out, reel_error *err)
{
    return reel_audio_probe_path_flags(path, 0, out, err);
}

int reel_audio_probe_path_flags(const char *path, unsigned flags, reel_audio_probe *out,
                                reel_error *err)
{
    memset(out, 0, sizeof *out);
    if (!path || !*path)
        return reel_error_set(err, REEL_EINVAL, "no file to import (an empty path)");
    /* O_NONBLOCK: opening a FIFO must not wait for a writer; fstat below
     * refuses it before anything is read. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT || e == ENOTDIR)
            return reel_error_set(err, REEL_ENOENT, "cannot import '%s': no such file", path);
        return reel_error_set(err, reel_error_code_of_errno(e), "cannot import '%s': %s", path,
                              strerror(e));
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return reel_error_set(err, REEL_EIO, "cannot import '%s': %s", path, strerror(e));
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return reel_error_set(err, REEL_EINVAL, "cannot import '%s': %s", path,
                              S_ISDIR(sb.st_mode) ? "it is a directory"
                                                  : "not a regular file");
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    SF_INFO info;
    memset(&info, 0, sizeof info);
    /* The descriptor stays ours (SF_FALSE): closed on every path below. */
    SNDFILE *sf = sf_open_fd(fd, SFM_READ, &info, SF_FALSE);
    if (!sf) {
        const char *why = sf_strerror(NULL);
        close(fd);
        return reel_error_set(err, REEL_EFORMAT, "cannot import '%s': not an audio file libsndfile "
                              "reads (%.*s)", path, trimmed_len(why), why);
    }
    int rc = 0;
    if (info.samplerate <= 0 || info.channels <= 0) {
        rc = reel_error_set(err, REEL_EFORMAT, "cannot import '%s': %d Hz, %d channels", path,
                            info.samplerate, info.channels);
        goto out;
    }
    code_to_name(MAJORS, sizeof MAJORS / sizeof MAJORS[0], info.format & SF_FORMAT_TYPEMASK,
                 out->format);
    code_to_name(SUBTYPES, sizeof SUBTYPES / sizeof SUBTYPES[0], info.format & SF_FORMAT_SUBMASK,
                 out->subtype);
    out->rate = (uint32_t)info.samplerate;
    out->channels = (uint32_t)info.channels;
    if ((flags & REEL_PROBE_DECODE) || info.frames < 0 || info.frames == SF_COUNT_MAX ||
        !info.seekable)
        rc = count_frames(sf, path, info.channels, &out->frames, err);
    else
        out->frames = info.frames;
    out->duration_s = (double)out->frames / (double)out->rate;
out:
    sf_close(sf);
    close(fd);
    return rc;
}

int reel_audio_read_fd(int fd, const char *what, float **out, int64_t *frames,
                       uint32_t *channels, uint32_t *rate, reel_error *err)
{
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *sf = sf_open_fd(fd, SFM_READ, &info, SF_FALSE);
    if (!sf) {
        const char *why = sf_strerror(NULL);
        return reel_error_set(err, REEL_EFORMAT, "cannot read %s: not audio libsndfile reads "
                              "(%.*s)", what, trimmed_len(why), why);
    }
    int rc = REEL_OK;
    size_t cap = info.frames > 0 ? (size_t)info.frames : 4096, n = 0;
    size_t ch = info.channels > 0 ? (size_t)info.channels : 0;
    float *x = NULL;
    if (ch == 0 || info.samplerate <= 0) {
        rc = reel_error_set(err, REEL_EFORMAT, "cannot read %s: %d Hz, %d channels", what,
                            info.samplerate, info.channels);
        goto out;
    }
    for (;;) { /* the header's count is a hint: read until the decoder stops */
        if (n == cap)
            cap *= 2;
        float *y = realloc(x, (cap + 1) * ch * sizeof *x);
        if (!y) {
            rc = reel_error_set(err, REEL_ENOMEM, "out of memory decoding %s (%zu frames)", what,
                                cap);
            goto out;
        }
        x = y;
        sf_count_t got = sf_readf_float(sf, x + n * ch, (sf_count_t)(cap - n));
        if (got < 0 || sf_error(sf)) {
            rc = reel_error_set(err, REEL_EIO, "cannot read %s: %s", what, sf_strerror(sf));
            goto out;
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    *out = x;
    x = NULL;
    *frames = (int64_t)n;
    *channels = (uint32_t)ch;
    *rate = (uint32_t)info.samplerate;
out:
    free(x);
    sf_close(sf);
    return rc;
}

const char *reel_audio_probe_mime(const char *format)
{
    static const struct {
        const char *format, *mime;
    } M[] = {
        {"WAV", "audio/wav"}, {"WAVEX", "audio/wav"}, {"FLAC", "audio/flac"},
        {"OGG", "audio/ogg"}, {"AIFF", "audio/aiff"},
    };
    for (size_t i = 0; i < sizeof M / sizeof M[0]; i++)
        if (strcmp(M[i].format, format) == 0)
            return M[i].mime;
    return "application/octet-stream";
}
