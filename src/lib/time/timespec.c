/*
 * timespec.c — parsing durations and time specs, and resolving specs to
 * frames (see timespec.h for the forms).
 *
 * Owns: the grammar of every time form the surfaces accept and the exact
 * integer arithmetic that turns them into nanoseconds and frames. Must
 * never: read past the terminating NUL, use floating point (a 24-hour
 * stream needs every nanosecond), depend on the locale or the TZ variable,
 * or accept trailing garbage, NaN, infinities or values beyond 64 bits.
 *
 * Every scanner walks the string one character at a time and stops at the
 * first character it does not expect, so no input can make it read past the
 * NUL. Failures are described in a short reason that the public functions
 * wrap as "bad time spec '<input>': <reason>".
 */
#include "time/timespec.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

#define NS_PER_SEC 1000000000LL
#define WHY_MAX 256
#define QUOTE_MAX 64 /* input characters shown in a message */
#define UNIT_HINT "(use h, m, s, ms, us, ns)"
#define FORMS_HINT                                                                          \
    "use head, start, -30s, 2026-11-20T10:00:00Z, @EPOCH, #FRAME, session:ID:start|end or " \
    "moment:ID[+-DUR]"
#define ISO_HINT "expected YYYY-MM-DDTHH:MM:SS[.fff] and Z or +hh:mm"

/* Duration units, largest first: components must appear in this order. */
static const struct {
    const char *name;
    int64_t ns;
} units[] = {
    {"h", 3600 * NS_PER_SEC}, {"m", 60 * NS_PER_SEC}, {"s", NS_PER_SEC},
    {"ms", 1000000},          {"us", 1000},           {"ns", 1},
};
#define N_UNITS (sizeof units / sizeof units[0])

/* Locale-free character classes (<ctype.h> depends on the locale and is
 * undefined for negative chars). */
static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_id_char(char c)
{
    return is_digit(c) || is_alpha(c) || c == '.' || c == '_' || c == '-';
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Copy at most QUOTE_MAX characters of `s` into `buf` for a one-line
 * message: control and non-ASCII bytes become \xNN, a longer input ends in
 * "...". `buf` must hold QUOTE_BUF bytes. */
#define QUOTE_BUF (QUOTE_MAX * 4 + 4)
static const char *quote(const char *s, char *buf)
{
    size_t o = 0;
    size_t i;
    for (i = 0; i < QUOTE_MAX && s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f)
            buf[o++] = (char)c;
        else
            o += (size_t)snprintf(buf + o, 5, "\\x%02x", c);
    }
    if (s[i]) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}

static int why_set(char *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int why_set(char *why, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, WHY_MAX, fmt, ap);
    va_end(ap);
    return -1;
}

/* Case-insensitive "does s start with word" (for nan / inf). */
static bool starts_with_ci(const char *s, const char *word)
{
    for (; *word; s++, word++)
        if (lower(*s) != *word)
            return false;
    return true;
}

static bool non_finite_word(const char *s)
{
    return starts_with_ci(s, "nan") || starts_with_ci(s, "inf");
}

/* A decimal number "123", "1.25" or ".5": the integer part (saturating, with
 * a flag) and up to 18 fraction digits. More fraction digits are consumed
 * and dropped: they are below 1e-18 of the unit, far below a nanosecond. */
typedef struct number {
    uint64_t ip;
    bool ip_overflow;
    uint64_t frac;
    int frac_digits;
} number;

static int scan_number(const char **pp, number *num, char *why)
{
    const char *p = *pp;
    char q[QUOTE_BUF];
    bool any = false;

    memset(num, 0, sizeof *num);
    for (; is_digit(*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        if (num->ip > (UINT64_MAX - d) / 10)
            num->ip_overflow = true;
        else
            num->ip = num->ip * 10 + d;
        any = true;
    }
    if (*p == '.') {
        p++;
        if (!is_digit(*p))
            return why_set(why, "missing digits after '.' in '%s'", quote(*pp, q));
        for (; is_digit(*p); p++) {
            if (num->frac_digits < 18) {
                num->frac = num->frac * 10 + (uint64_t)(*p - '0');
                num->frac_digits++;
            }
        }
        any = true;
    }
    if (!any) {
        if (non_finite_word(p))
            return why_set(why, "'%s' is not a finite number", quote(p, q));
        return why_set(why, "expected a number at '%s'", quote(p, q));
    }
    *pp = p;
    return 0;
}

/* num * unit_ns, rounded to the nearest ns; > INT64_MAX means overflow. */
static u128 number_times(const number *num, int64_t unit_ns)
{
    u128 v = (u128)num->ip * (uint64_t)unit_ns;
    if (num->frac_digits > 0) {
        uint64_t scale = 1;
        for (int i = 0; i < num->frac_digits; i++)
            scale *= 10;
        v += ((u128)num->frac * (uint64_t)unit_ns + scale / 2) / scale;
    }
    return v;
}

/* The duration grammar shared by reel_duration_parse and "-D" specs: one
 * or more <number><unit> with units in decreasing order, each at most once,
 * or a single bare number of seconds. */
static int scan_duration(const char *s, int64_t *out, char *why)
{
    char q[QUOTE_BUF];
    const char *p = s;
    u128 total = 0;
    int last_unit = -1;

    if (*p == '\0')
        return why_set(why, "empty duration");
    if (*p == '-')
        return why_set(why, "negative durations are not allowed");

    while (*p) {
        const char *start = p;
        number num;
        if (scan_number(&p, &num, why))
            return -1;
        int numlen = (int)(p - start);

        size_t len = 0;
        while (is_alpha(p[len]))
            len++;
        int unit = -1;
        if (len == 0) {
            if (*p != '\0')
                return why_set(why, "unexpected '%s' after '%.*s'", quote(p, q),
                               numlen > 32 ? 32 : numlen, start);
            if (start != s)
                return why_set(why, "missing unit after '%.*s' " UNIT_HINT,
                               numlen > 32 ? 32 : numlen, start);
            unit = 2; /* a bare number means seconds */
        } else {
            for (size_t u = 0; u < N_UNITS; u++)
                if (strlen(units[u].name) == len && memcmp(units[u].name, p, len) == 0)
                    unit = (int)u;
            if (unit < 0)
                return why_set(why, "unknown unit '%.*s' " UNIT_HINT,
                               len > 16 ? 16 : (int)len, p);
            if (unit == last_unit)
                return why_set(why, "unit '%s' repeated", units[unit].name);
            if (unit < last_unit)
                return why_set(why, "unit '%s' after '%s' (write larger units first, each once)",
                               units[unit].name, units[last_unit].name);
            p += len;
        }
        last_unit = unit;

        if (num.ip_overflow)
            return why_set(why, "too large (the limit is about 292 years)");
        total += number_times(&num, units[unit].ns);
        if (total > INT64_MAX)
            return why_set(why, "too large (the limit is about 292 years)");
    }
    *out = (int64_t)total;
    return 0;
}

int reel_duration_parse(const char *s, int64_t *ns, reel_error *err)
{
    char why[WHY_MAX], q[QUOTE_BUF];
    if (!s || !ns)
        return reel_error_set(err, REEL_EINVAL, "no duration given");
    if (scan_duration(s, ns, why))
        return reel_error_set(err, REEL_EINVAL, "bad duration '%s': %s", quote(s, q), why);
    return REEL_OK;
}

/* ".ddd" after a seconds field, rounded to the nearest ns: the first nine
 * digits count, the tenth rounds, the rest are consumed. May return 1e9. */
static int scan_frac_ns(const char **pp, int64_t *ns, char *why)
{
    const char *p = *pp + 1; /* past the '.' */
    int64_t v = 0;
    int digits = 0;
    bool round_up = false;

    if (!is_digit(*p))
        return why_set(why, "missing digits after '.'");
    for (; is_digit(*p); p++, digits++) {
        if (digits < 9)
            v = v * 10 + (*p - '0');
        else if (digits == 9)
            round_up = *p >= '5';
    }
    for (; digits < 9; digits++)
        v *= 10;
    *ns = v + round_up;
    *pp = p;
    return 0;
}

/* "@<seconds>[.<fraction>]", optionally negative for instants before 1970. */
static int scan_epoch(const char *s, int64_t *wall_ns, char *why)
{
    char q[QUOTE_BUF];
    const char *p = s + 1;
    bool neg = false;
    uint64_t secs = 0;
    int64_t frac = 0;

    if (*p == '-') {
        neg = true;
        p++;
    }
    if (non_finite_word(p))
        return why_set(why, "'%s' is not a finite number", quote(p, q));
    if (!is_digit(*p))
        return why_set(why, "expected UNIX epoch seconds after '@' (e.g. @1763632800.25)");
    for (; is_digit(*p); p++) {
        /* Anything past 2^63 ns is out of range anyway; stop growing early
         * so the multiplication below cannot overflow. */
        if (secs <= (uint64_t)INT64_MAX / NS_PER_SEC + 1)
            secs = secs * 10 + (uint64_t)(*p - '0');
    }
    if (*p == '.' && scan_frac_ns(&p, &frac, why))
        return -1;
    if (*p != '\0')
        return why_set(why, "unexpected '%s' after the epoch seconds", quote(p, q));

    i128 v = (i128)secs * NS_PER_SEC + frac;
    if (neg)
        v = -v;
    if (v > INT64_MAX || v < INT64_MIN)
        return why_set(why, "outside the representable range (years 1677 to 2262)");
    *wall_ns = (int64_t)v;
    return 0;
}

/* Exactly `count` digits as an int; stops (safely) at a NUL. */
static bool fixed_digits(const char **pp, int count, int *val)
{
    const char *p = *pp;
    int v = 0;
    for (int i = 0; i < count; i++, p++) {
        if (!is_digit(*p))
            return false;
        v = v * 10 + (*p - '0');
    }
    *pp = p;
    *val = v;
    return true;
}

static bool expect(const char **pp, char c)
{
    if (**pp != c)
        return false;
    (*pp)++;
    return true;
}

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return (m == 2 && is_leap(y)) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil): pure arithmetic, so no TZ, no libc. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;                                 /* [0, 399] */
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;         /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

/* YYYY-MM-DDTHH:MM:SS[.fff](Z|+hh:mm|+hhmm); 't' and 'z' also accepted. A
 * zone is required: a local time would depend on the TZ of the machine. */
static int scan_iso(const char *s, int64_t *wall_ns, char *why)
{
    char q[QUOTE_BUF];
    const char *p = s;
    int y, mo, d, h, mi, sec, oh = 0, om = 0, osign = 0;
    int64_t frac = 0;

    if (!(fixed_digits(&p, 4, &y) && expect(&p, '-') && fixed_digits(&p, 2, &mo) &&
          expect(&p, '-') && fixed_digits(&p, 2, &d) && (expect(&p, 'T') || expect(&p, 't')) &&
          fixed_digits(&p, 2, &h) && expect(&p, ':') && fixed_digits(&p, 2, &mi) &&
          expect(&p, ':') && fixed_digits(&p, 2, &sec)))
        return why_set(why, ISO_HINT);
    if (*p == '.' && scan_frac_ns(&p, &frac, why))
        return -1;

    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        osign = *p == '+' ? 1 : -1;
        p++;
        if (!fixed_digits(&p, 2, &oh))
            return why_set(why, "bad zone offset (use Z, +hh:mm or -hh:mm)");
        expect(&p, ':');
        if (!fixed_digits(&p, 2, &om))
            return why_set(why, "bad zone offset (use Z, +hh:mm or -hh:mm)");
    } else if (*p == '\0') {
        return why_set(why, "missing zone: add Z for UTC or an offset like +01:00");
    } else {
        return why_set(why, "unexpected '%s' after the seconds (" ISO_HINT ")", quote(p, q));
    }
    if (*p != '\0')
        return why_set(why, "unexpected '%s' after the zone", quote(p, q));

    if (mo < 1 || mo > 12)
        return why_set(why, "month %02d out of range", mo);
    if (d < 1 || d > days_in_month(y, mo))
        return why_set(why, "day %02d out of range for %04d-%02d", d, y, mo);
    if (h > 23)
        return why_set(why, "hour %02d out of range", h);
    if (mi > 59)
        return why_set(why, "minute %02d out of range", mi);
    if (sec > 59) /* POSIX time has no leap seconds to map :60 onto */
        return why_set(why, "second %02d out of range", sec);
    if (oh > 23 || om > 59)
        return why_set(why, "zone offset %02d:%02d out of range", oh, om);

    int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    secs -= (int64_t)osign * (oh * 3600 + om * 60); /* local = UTC + offset */
    i128 v = (i128)secs * NS_PER_SEC + frac;
    if (v > INT64_MAX || v < INT64_MIN)
        return why_set(why, "outside the representable range (years 1677 to 2262)");
    *wall_ns = (int64_t)v;
    return 0;
}

/* "#<frame>": decimal digits only, no sign, no spaces, no overflow. */
static int scan_frame(const char *s, uint64_t *frame, char *why)
{
    char q[QUOTE_BUF];
    const char *p = s + 1;
    uint64_t v = 0;

    if (!is_digit(*p))
        return why_set(why, "expected a frame number after '#' (e.g. #480000)");
    for (; is_digit(*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return why_set(why, "frame number does not fit 64 bits");
        v = v * 10 + d;
    }
    if (*p != '\0')
        return why_set(why, "unexpected '%s' after the frame number", quote(p, q));
    *frame = v;
    return 0;
}

/* One id of [A-Za-z0-9._-]{1,127} into dst; `what` names it in messages. */
static int scan_id(const char **pp, char *dst, const char *what, char *why)
{
    char q[QUOTE_BUF];
    const char *p = *pp;
    size_t n = 0;

    while (is_id_char(*p)) {
        if (n + 1 >= REEL_SESSION_ID_MAX)
            return why_set(why, "%s id longer than %d characters", what,
                           REEL_SESSION_ID_MAX - 1);
        dst[n++] = *p++;
    }
    dst[n] = '\0';
    if (n == 0) {
        if (*p == '\0' || *p == ':' || *p == '/')
            return why_set(why, "missing %s id", what);
        return why_set(why, "bad character in %s id at '%s' (use A-Z a-z 0-9 . _ -)", what,
                       quote(p, q));
    }
    /* Ids also name things on disk and in URLs, where these two mean
     * something else entirely. */
    if (strcmp(dst, ".") == 0 || strcmp(dst, "..") == 0)
        return why_set(why, "%s id '%s' is not allowed", what, dst);
    *pp = p;
    return 0;
}

/* "session:<id>[/<segment>]:start|end". */
static int scan_session(const char *s, reel_timespec *out, char *why)
{
    char q[QUOTE_BUF];
    const char *p = s + strlen("session:");

    if (scan_id(&p, out->session, "session", why))
        return -1;
    if (*p == '/') {
        p++;
        if (scan_id(&p, out->segment, "segment", why))
            return -1;
    }
    if (*p == '\0')
        return why_set(why, "missing ':start' or ':end'");
    if (*p != ':')
        return why_set(why, "bad character in %s id at '%s' (use A-Z a-z 0-9 . _ -)",
                       out->segment[0] ? "segment" : "session", quote(p, q));
    p++;
    if (strcmp(p, "start") == 0)
        out->session_end = false;
    else if (strcmp(p, "end") == 0)
        out->session_end = true;
    else
        return why_set(why, "expected 'start' or 'end' after ':', got '%s'", quote(p, q));
    return 0;
}

/* "moment:<id>[(+|-)<duration>]": id a positive decimal integer. */
static int scan_moment(const char *s, reel_timespec *out, char *why)
{
    char q[QUOTE_BUF];
    const char *p = s + strlen("moment:");
    int64_t id = 0;

    if (!is_digit(*p))
        return why_set(why, "expected a moment id after 'moment:' (e.g. moment:12-5s)");
    for (; is_digit(*p); p++) {
        int d = *p - '0';
        if (id > (INT64_MAX - d) / 10)
            return why_set(why, "moment id does not fit 64 bits");
        id = id * 10 + d;
    }
    if (id == 0)
        return why_set(why, "moment ids start at 1");
    out->moment_id = id;
    if (*p == '\0')
        return 0;
    if (*p != '+' && *p != '-')
        return why_set(why, "unexpected '%s' after the moment id (use +DUR or -DUR)",
                       quote(p, q));
    bool neg = *p == '-';
    p++;
    if (*p == '\0')
        return why_set(why, "missing duration after '%c' (e.g. moment:%lld-5s)", neg ? '-' : '+',
                       (long long)id);
    if (*p == '+' || *p == '-')
        return why_set(why, "one sign before the offset, not '%s'", quote(p - 1, q));
    if (scan_duration(p, &out->offset_ns, why))
        return -1;
    if (neg)
        out->offset_ns = -out->offset_ns;
    return 0;
}

/* Four digits and a dash: the start of an ISO date rather than a number. */
static bool looks_iso(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (!is_digit(s[i]))
            return false;
    return s[4] == '-';
}

int reel_timespec_parse(const char *s, reel_timespec *out, reel_error *err)
{
    char why[WHY_MAX], q[QUOTE_BUF];
    int rc = 0;

    if (!s || !out)
        return reel_error_set(err, REEL_EINVAL, "no time spec given");
    memset(out, 0, sizeof *out);

    if (*s == '\0')
        return reel_error_set(err, REEL_EINVAL, "empty time spec (" FORMS_HINT ")");
    if (strcmp(s, "head") == 0) {
        out->kind = REEL_TS_HEAD;
    } else if (strcmp(s, "start") == 0) {
        out->kind = REEL_TS_START;
    } else if (*s == '-') {
        out->kind = REEL_TS_AGO;
        if (s[1] == '\0')
            rc = why_set(why, "missing duration after '-' (e.g. -30s)");
        else
            rc = scan_duration(s + 1, &out->ago_ns, why);
    } else if (*s == '@') {
        out->kind = REEL_TS_WALL;
        rc = scan_epoch(s, &out->wall_ns, why);
    } else if (*s == '#') {
        out->kind = REEL_TS_FRAME;
        rc = scan_frame(s, &out->frame, why);
    } else if (strncmp(s, "session:", strlen("session:")) == 0) {
        out->kind = REEL_TS_SESSION;
        rc = scan_session(s, out, why);
    } else if (strncmp(s, "moment:", strlen("moment:")) == 0) {
        out->kind = REEL_TS_MOMENT;
        rc = scan_moment(s, out, why);
    } else if (is_digit(*s) && looks_iso(s)) {
        out->kind = REEL_TS_WALL;
        rc = scan_iso(s, &out->wall_ns, why);
    } else {
        int64_t ns;
        /* "30s" is most likely a "-30s" with the dash forgotten. */
        if ((is_digit(*s) || *s == '.') && scan_duration(s, &ns, why) == 0)
            rc = why_set(why, "a duration counts back from head: write '-%s'", quote(s, q));
        else
            rc = why_set(why, "unknown form (" FORMS_HINT ")");
    }
    if (rc) {
        memset(out, 0, sizeof *out);
        return reel_error_set(err, REEL_EINVAL, "bad time spec '%s': %s", quote(s, q), why);
    }
    return REEL_OK;
}

static int store_frame(i128 v, int64_t *frame, const char *what, reel_error *err)
{
    if (v > INT64_MAX || v < INT64_MIN)
        return reel_error_set(err, REEL_ERANGE, "%s is outside the 64-bit frame range", what);
    *frame = (int64_t)v;
    return REEL_OK;
}

int reel_timespec_resolve(const reel_timespec *ts, const reel_time_context *ctx, int64_t *frame,
                          reel_error *err)
{
    if (!ts || !ctx || !frame)
        return reel_error_set(err, REEL_EINVAL, "no time spec or stream to resolve it against");

    switch (ts->kind) {
    case REEL_TS_HEAD:
        return store_frame(ctx->head, frame, "the head", err);
    case REEL_TS_START:
        *frame = 0;
        return REEL_OK;
    case REEL_TS_AGO: {
        if (ts->ago_ns < 0)
            return reel_error_set(err, REEL_EINVAL, "negative duration before head");
        if (ctx->rate == 0)
            return reel_error_set(err, REEL_EINVAL, "the stream's sample rate is 0");
        /* Exact integer rounding: a double loses frames past ~52 days. */
        i128 back = ((i128)ts->ago_ns * ctx->rate + NS_PER_SEC / 2) / NS_PER_SEC;
        return store_frame((i128)ctx->head - back, frame, "that time before head", err);
    }
    case REEL_TS_WALL:
        if (ctx->rate == 0)
            return reel_error_set(err, REEL_EINVAL, "the stream's sample rate is 0");
        if (!ctx->snaps || ctx->n_snaps == 0)
            return reel_error_set(err, REEL_ERANGE,
                                  "cannot place a wall-clock time: the stream has no clock "
                                  "snapshots yet");
        return reel_clock_wall_to_frame(ctx->snaps, ctx->n_snaps, ctx->rate, ts->wall_ns, frame,
                                        err);
    case REEL_TS_FRAME:
        return store_frame(ts->frame, frame, "that frame number", err);
    case REEL_TS_SESSION:
        return reel_error_set(err, REEL_EINVAL,
                              "time spec 'session:%.*s%s%.*s:%s' is resolved by sessions, not "
                              "by a stream's clock",
                              QUOTE_MAX, ts->session, ts->segment[0] ? "/" : "", QUOTE_MAX,
                              ts->segment, ts->session_end ? "end" : "start");
    case REEL_TS_MOMENT:
        return reel_error_set(err, REEL_EINVAL,
                              "time spec 'moment:%lld' is resolved by the moments of a store, "
                              "not by a stream's clock",
                              (long long)ts->moment_id);
    }
    return reel_error_set(err, REEL_EINVAL, "unknown time spec kind %d", (int)ts->kind);
}

int reel_timespec_offset_frame(int64_t base, int64_t offset_ns, uint32_t rate, int64_t *frame,
                               reel_error *err)
{
    if (rate == 0)
        return reel_error_set(err, REEL_EINVAL, "the stream's sample rate is 0");
    /* Round half away from zero, so -0.5 s and +0.5 s are mirror images. */
    i128 v = (i128)offset_ns * rate;
    i128 d = v >= 0 ? (v + NS_PER_SEC / 2) / NS_PER_SEC : -((-v + NS_PER_SEC / 2) / NS_PER_SEC);
    return store_frame((i128)base + d, frame, "that offset from the moment", err);
}
