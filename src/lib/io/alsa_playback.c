/*
 * alsa_playback.c — a graph player on an ALSA PCM (alsa_playback.h).
 */
#include "io/alsa_playback.h"

#include "rt/rt_mem.h"

#include <alsa/asoundlib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct reel_alsa_player {
    char device[256];
    snd_pcm_t *pcm;
    reel_player *player;
    uint32_t channels, period;
    float *planar, *inter;
    float *bufs[REEL_PLAN_CH_MAX];
    pthread_t th;
    bool started;
    _Atomic bool stop;
    _Atomic uint64_t underruns;
    _Atomic bool rt;
};

/* The period thread: realtime once it runs (after the buffers exist). */
static void *period_main(void *arg)
{
    reel_alsa_player *a = arg;
    atomic_store(&a->rt, reel_rt_promote_self(70));
    uint64_t dev = 0;
    while (!atomic_load_explicit(&a->stop, memory_order_acquire)) {
        reel_player_period(a->player, a->bufs, a->period, dev);
        for (uint32_t ch = 0; ch < a->channels; ch++)
            for (uint32_t t = 0; t < a->period; t++)
                a->inter[(size_t)t * a->channels + ch] = a->bufs[ch][t];
        snd_pcm_uframes_t done = 0;
        while (done < a->period && !atomic_load(&a->stop)) {
            snd_pcm_sframes_t w =
                snd_pcm_writei(a->pcm, a->inter + done * a->channels, a->period - done);
            if (w == -EPIPE || w == -ESTRPIPE) {
                atomic_fetch_add(&a->underruns, 1);
                if (snd_pcm_recover(a->pcm, (int)w, 1) < 0)
                    break;
                continue;
            }
            if (w < 0) {
                if (snd_pcm_recover(a->pcm, (int)w, 1) < 0) {
                    atomic_store(&a->stop, true);
                    break;
                }
                continue;
            }
            done += (snd_pcm_uframes_t)w;
        }
        dev += a->period;
    }
    return NULL;
}

int reel_alsa_player_open(const char *device, uint32_t rate, uint32_t period, reel_player *player,
                          reel_alsa_player **out, reel_error *err)
{
    if (!device || !*device || strlen(device) >= 256 || period == 0 ||
        period > REEL_PLAN_BLOCK_MAX || player->channels == 0 ||
        player->channels > REEL_PLAN_CH_MAX)
        return reel_error_set(err, REEL_EINVAL, "bad ALSA playback device, period or channels");
    reel_alsa_player *a = calloc(1, sizeof *a);
    if (!a)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    snprintf(a->device, sizeof a->device, "%s", device);
    a->player = player;
    a->channels = player->channels;
    a->period = period;
    atomic_init(&a->stop, false);
    atomic_init(&a->underruns, 0);
    atomic_init(&a->rt, false);
    int rc = snd_pcm_open(&a->pcm, device, SND_PCM_STREAM_PLAYBACK, 0);
    if (rc < 0) {
        a->pcm = NULL;
        reel_error_set(err, REEL_EDEVICE, "cannot open ALSA playback device '%s': %s", device,
                       snd_strerror(rc));
        goto fail;
    }
    /* 4 periods of latency, 32-bit float interleaved */
    rc = snd_pcm_set_params(a->pcm, SND_PCM_FORMAT_FLOAT_LE, SND_PCM_ACCESS_RW_INTERLEAVED,
                            a->channels, rate, 0, (unsigned)((uint64_t)period * 4 * 1000000 / rate));
    if (rc < 0) {
        reel_error_set(err, REEL_EDEVICE, "ALSA device '%s' refuses %u Hz, %u channels of float: "
                       "%s", device, rate, a->channels, snd_strerror(rc));
        goto fail;
    }
    a->planar = calloc((size_t)period * a->channels, sizeof(float));
    a->inter = calloc((size_t)period * a->channels, sizeof(float));
    if (!a->planar || !a->inter) {
        reel_error_set(err, REEL_ENOMEM, "out of memory");
        goto fail;
    }
    for (uint32_t ch = 0; ch < a->channels; ch++)
        a->bufs[ch] = a->planar + (size_t)ch * period;
    if (pthread_create(&a->th, NULL, period_main, a) != 0) {
        reel_error_set(err, REEL_EIO, "cannot start the ALSA playback thread");
        goto fail;
    }
    a->started = true;
    *out = a;
    return REEL_OK;
fail:
    rc = err ? err->code : REEL_EDEVICE;
    if (a->pcm)
        snd_pcm_close(a->pcm);
    free(a->planar);
    free(a->inter);
    free(a);
    return rc;
}

void reel_alsa_player_close(reel_alsa_player *a)
{
    if (!a)
        return;
    atomic_store_explicit(&a->stop, true, memory_order_release);
    if (a->started)
        pthread_join(a->th, NULL);
    snd_pcm_drain(a->pcm);
    snd_pcm_close(a->pcm);
    free(a->planar);
    free(a->inter);
    free(a);
}

const char *reel_alsa_player_device(const reel_alsa_player *a)
{
    return a->device;
}

uint64_t reel_alsa_player_underruns(const reel_alsa_player *a)
{
    return atomic_load(&((reel_alsa_player *)a)->underruns);
}

bool reel_alsa_player_realtime(const reel_alsa_player *a)
{
    return atomic_load(&((reel_alsa_player *)a)->rt);
}
