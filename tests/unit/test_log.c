/* test_log.c — core/log.h: levels filter, JSON lines, REEL_LOG, bad levels. */
#include "core/log.h"

#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static char *buf;
static size_t buf_len;
static FILE *mem;

static void sink(reel_log_level level, bool json)
{
    if (mem)
        fclose(mem);
    free(buf);
    buf = NULL;
    buf_len = 0;
    mem = open_memstream(&buf, &buf_len);
    assert_non_null(mem);
    reel_log_config cfg = {.level = level, .json = json, .out = mem};
    reel_log_configure(&cfg);
}

static const char *text(void)
{
    fflush(mem);
    return buf ? buf : "";
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void test_levels_filter(void **state)
{
    (void)state;
    sink(REEL_LOG_WARN, false);
    reel_log_error("engine", "e%d", 1);
    reel_log_warn("engine", "w%d", 2);
    reel_log_info("engine", "i%d", 3);
    reel_log_debug("engine", "d%d", 4);
    const char *t = text();
    assert_int_equal(count_lines(t), 2);
    assert_non_null(strstr(t, "reel engine: error: e1\n"));
    assert_non_null(strstr(t, "reel engine: warning: w2\n"));
    assert_null(strstr(t, "i3"));
    assert_null(strstr(t, "d4"));
    assert_true(reel_log_enabled(REEL_LOG_ERROR));
    assert_false(reel_log_enabled(REEL_LOG_INFO));

    sink(REEL_LOG_DEBUG, false);
    reel_log_debug("control", "d");
    reel_log_info("control", "engine connected (x)\n");
    t = text();
    assert_int_equal(count_lines(t), 2);
    assert_non_null(strstr(t, "reel control: engine connected (x)\n"));

    sink(REEL_LOG_ERROR, false);
    reel_log_warn("x", "dropped");
    assert_string_equal(text(), "");
}

static void test_json_lines(void **state)
{
    (void)state;
    sink(REEL_LOG_INFO, true);
    reel_log_info("control", "quote \" and\nnewline");
    reel_log_error("engine", "bad \\ thing");
    reel_log_debug("engine", "not shown");
    char *copy = strdup(text());
    assert_int_equal(count_lines(copy), 2);
    const char *want_level[] = {"info", "error"};
    const char *want_module[] = {"control", "engine"};
    const char *want_msg[] = {"quote \" and newline", "bad \\ thing"};
    char *save = NULL;
    int i = 0;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
        json_error_t je;
        json_t *o = json_loads(line, 0, &je);
        assert_non_null(o);
        assert_true(json_is_object(o));
        assert_int_equal(json_object_size(o), 4);
        const char *ts = json_string_value(json_object_get(o, "ts"));
        assert_non_null(ts);
        assert_int_equal(strlen(ts), strlen("2026-12-02T04:37:29.123Z"));
        assert_int_equal(ts[10], 'T');
        assert_int_equal(ts[23], 'Z');
        assert_string_equal(json_string_value(json_object_get(o, "level")), want_level[i]);
        assert_string_equal(json_string_value(json_object_get(o, "module")), want_module[i]);
        assert_string_equal(json_string_value(json_object_get(o, "msg")), want_msg[i]);
        json_decref(o);
    }
    assert_int_equal(i, 2);
    free(copy);
}

static void test_env(void **state)
{
    (void)state;
    reel_log_config cfg;
    reel_error err;
    unsetenv("REEL_LOG");
    assert_int_equal(reel_log_config_from_env(&cfg, &err), 0);
    assert_int_equal(cfg.level, REEL_LOG_INFO);
    assert_false(cfg.json);
    setenv("REEL_LOG", "debug", 1);
    assert_int_equal(reel_log_config_from_env(&cfg, &err), 0);
    assert_int_equal(cfg.level, REEL_LOG_DEBUG);
    setenv("REEL_LOG", "WARN", 1);
    assert_int_equal(reel_log_config_from_env(&cfg, &err), 0);
    assert_int_equal(cfg.level, REEL_LOG_WARN);
    setenv("REEL_LOG", "", 1);
    assert_int_equal(reel_log_config_from_env(&cfg, &err), 0);
    assert_int_equal(cfg.level, REEL_LOG_INFO);
    setenv("REEL_LOG", "loud", 1);
    reel_error_clear(&err);
    assert_int_equal(reel_log_config_from_env(&cfg, &err), REEL_EINVAL);
    assert_non_null(strstr(err.msg, "REEL_LOG"));
    assert_non_null(strstr(err.msg, "'loud'"));
    assert_int_equal(cfg.level, REEL_LOG_INFO);
    unsetenv("REEL_LOG");
}

static void test_parse(void **state)
{
    (void)state;
    const char *names[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++) {
        reel_log_level lv = (reel_log_level)-1;
        assert_int_equal(reel_log_level_parse(names[i], &lv, NULL), 0);
        assert_int_equal(lv, i);
        assert_string_equal(reel_log_level_name(lv), names[i]);
    }
    reel_log_level lv;
    assert_int_equal(reel_log_level_parse("warning", &lv, NULL), 0);
    assert_int_equal(lv, REEL_LOG_WARN);
    reel_error err;
    reel_error_clear(&err);
    assert_int_equal(reel_log_level_parse("verbose", &lv, &err), REEL_EINVAL);
    assert_string_equal(err.msg,
                        "unknown log level 'verbose' (expected error, warn, info or debug)");
    assert_int_equal(reel_log_level_parse("", &lv, &err), REEL_EINVAL);
    assert_int_equal(reel_log_level_parse(NULL, &lv, &err), REEL_EINVAL);
    assert_int_equal(reel_error_exit_status(REEL_EINVAL), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_levels_filter),
        cmocka_unit_test(test_json_lines),
        cmocka_unit_test(test_env),
        cmocka_unit_test(test_parse),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    reel_log_config cfg = {.level = REEL_LOG_INFO};
    reel_log_configure(&cfg);
    if (mem)
        fclose(mem);
    free(buf);
    return rc;
}
