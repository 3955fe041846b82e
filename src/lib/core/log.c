/* log.c — the process-wide log sink (log.h). */
#include "core/log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Written by reel_log_configure before threads start, read-only afterwards. */
static reel_log_config g_sink = {.level = REEL_LOG_INFO, .json = false, .out = NULL};

static const char *const NAMES[] = {"error", "warn", "info", "debug"};

int reel_log_level_parse(const char *name, reel_log_level *out, reel_error *err)
{
    if (name) {
        for (int i = 0; i <= REEL_LOG_DEBUG; i++)
            if (strcasecmp(name, NAMES[i]) == 0) {
                *out = (reel_log_level)i;
                return 0;
            }
        if (strcasecmp(name, "warning") == 0) {
            *out = REEL_LOG_WARN;
            return 0;
        }
    }
    return reel_error_set(err, REEL_EINVAL,
                          "unknown log level '%s' (expected error, warn, info or debug)",
                          name ? name : "");
}

const char *reel_log_level_name(reel_log_level level)
{
    return (level >= REEL_LOG_ERROR && level <= REEL_LOG_DEBUG) ? NAMES[level] : "info";
}

int reel_log_config_from_env(reel_log_config *cfg, reel_error *err)
{
    cfg->level = REEL_LOG_INFO;
    cfg->json = false;
    cfg->out = NULL;
    const char *env = getenv("REEL_LOG");
    if (!env || !*env)
        return 0;
    reel_log_level lv;
    int rc = reel_log_level_parse(env, &lv, err);
    if (rc) {
        if (err)
            reel_error_set(err, REEL_EINVAL,
                           "REEL_LOG: unknown log level '%s' (expected error, warn, info or debug)",
                           env);
        return rc;
    }
    cfg->level = lv;
    return 0;
}

void reel_log_configure(const reel_log_config *cfg)
{
    g_sink = *cfg;
}

bool reel_log_enabled(reel_log_level level)
{
    return level <= g_sink.level;
}

void reel_log(reel_log_level level, const char *module, const char *fmt, ...)
{
    if (!reel_log_enabled(level))
        return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (msg[i] == '\n' || msg[i] == '\r')
            msg[i] = ' ';
    if (!module || !*module)
        module = "reel";
    FILE *out = g_sink.out ? g_sink.out : stderr;
    char line[4096];
    int len;
    if (g_sink.json) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        char when[40];
        snprintf(when, sizeof when, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 ts.tv_nsec / 1000000L);
        json_t *o = json_pack("{s:s, s:s, s:s, s:s?}", "ts", when, "level",
                              reel_log_level_name(level), "module", module, "msg", msg);
        char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        json_decref(o);
        if (!s) /* invalid UTF-8 in msg: say so rather than drop it */
            len = snprintf(line, sizeof line,
                           "{\"ts\":\"%s\",\"level\":\"%s\",\"module\":\"reel\","
                           "\"msg\":\"(a message that is not UTF-8)\"}\n",
                           when, reel_log_level_name(level));
        else {
            len = snprintf(line, sizeof line, "%s\n", s);
            free(s);
        }
    } else if (level <= REEL_LOG_WARN) {
        len = snprintf(line, sizeof line, "reel %s: %s%s\n", module,
                       level == REEL_LOG_ERROR ? "error: " : "warning: ", msg);
    } else {
        len = snprintf(line, sizeof line, "reel %s: %s\n", module, msg);
    }
    if (len < 0)
        return;
    if ((size_t)len >= sizeof line) {
        len = (int)sizeof line - 1;
        line[len - 1] = '\n';
    }
    fwrite(line, 1, (size_t)len, out);
    fflush(out);
}
