/*
 * cli_progress.c — a progress line on stderr for long work, redrawn in place
 * ("\r...\033[K") at most ten times a second, and only when stderr is a
 * terminal: piped or redirected, nothing is printed at all.
 */
#include "cli.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void cli_progress_begin(cli_progress *p, const char *what)
{
    p->on = isatty(STDERR_FILENO) == 1;
    p->shown = false;
    p->last_ns = 0;
    p->what = what;
    p->start_ns = now_ns();
    p->delay_ns = 0;
}

void cli_progress_update(cli_progress *p, uint64_t done, uint64_t total, const char *unit)
{
    if (!p->on)
        return;
    if (total && done > total)
        done = total;
    int64_t t = now_ns();
    if (t - p->start_ns < p->delay_ns)
        return;
    if (p->shown && t - p->last_ns < 100000000 && (total == 0 || done < total))
        return;
    p->last_ns = t;
    if (total)
        fprintf(stderr, "\r%s: %llu/%llu %s (%d%%)\033[K", p->what, (unsigned long long)done,
                (unsigned long long)total, unit, (int)(done * 100 / total));
    else
        fprintf(stderr, "\r%s: %llu %s\033[K", p->what, (unsigned long long)done, unit);
    fflush(stderr);
    p->shown = true;
}

void cli_progress_end(cli_progress *p)
{
    if (p->on && p->shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    p->shown = false;
}
