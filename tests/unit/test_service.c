/*
 * test_service.c — the op table and argument checking: every op's schema
 * parses and uses only what the checker implements, unknown fields, wrong
 * types, enums and ranges are refused with a message naming the field,
 * unknown ops are REEL_ENOENT, control ops offline are REEL_ESTATE, and a
 * store op runs offline.
 */
#include "service/service.h"
#include "store/store.h"
#include "test_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

static int check(const char *schema, const char *args, reel_error *e)
{
    json_t *s = json_loads(schema, 0, NULL), *a = json_loads(args, 0, NULL);
    assert_non_null(s);
    assert_non_null(a);
    reel_error_clear(e);
    int rc = reel_schema_check(s, a, e);
    json_decref(s);
    json_decref(a);
    return rc;
}

static void every_schema_is_usable(void **state)
{
    (void)state;
    const reel_op *op;
    size_t n = 0;
    for (size_t i = 0; (op = reel_service_op_at(i)); i++, n++) {
        json_t *s = json_loads(reel_op_schema(op), 0, NULL);
        assert_non_null(s);
        assert_ptr_equal(reel_service_op_find(op->name), op);
        assert_true(strlen(op->summary) > 10);
        /* An empty call is either fine or names a required field: never a
         * schema fault (EIO) from a keyword the checker lacks. */
        json_t *empty = json_object();
        reel_error e;
        int rc = reel_schema_check(s, empty, &e);
        assert_true(rc == 0 || (rc == REEL_EINVAL && strstr(e.msg, "required")));
        json_decref(empty);
        json_decref(s);
    }
    assert_true(n >= 6);
    assert_null(reel_service_op_find("no_such_op"));
}

static const char *SCHEMA =
    "{\"type\": \"object\", \"properties\": {"
    "\"name\": {\"type\": \"string\", \"minLength\": 1, \"maxLength\": 8},"
    "\"n\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 10},"
    "\"x\": {\"type\": \"number\"},"
    "\"mode\": {\"type\": \"string\", \"enum\": [\"passive\", \"request-response\"]},"
    "\"list\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}, \"maxItems\": 2},"
    "\"flag\": {\"type\": \"boolean\"}}, \"required\": [\"name\"]}";

static void refusals_name_the_field(void **state)
{
    (void)state;
    reel_error e;
    assert_int_equal(check(SCHEMA, "{\"name\": \"a\", \"n\": 3, \"x\": 1.5, \"flag\": true, "
                                   "\"mode\": \"passive\", \"list\": [\"p\"]}", &e), 0);
    assert_int_equal(check(SCHEMA, "{\"name\": \"a\", \"nme\": 1}", &e), REEL_EINVAL);
    assert_non_null(strstr(e.msg, "unknown field \"nme\""));
    assert_int_equal(check(SCHEMA, "{}", &e), REEL_EINVAL);
    assert_non_null(strstr(e.msg, "\"name\" is required"));
    assert_int_equal(check(SCHEMA, "{\"name\": 5}", &e), REEL_EINVAL);
    assert_non_null(strstr(e.msg, "\"name\" must be a string"));
    assert_int_equal(check(SCHEMA, "{\"name\": \"\"}", &e), REEL_EINVAL);
    assert_int_equal(check(SCHEMA, "{\"name\": \"123456789\"}", &e), REEL_EINVAL);
    assert_int_equal(check(SCHEMA, "{\"name\": \"a\", \"n\": 11}", &e), REEL_EINVAL);
    assert_non_null(strstr(e.msg, "\"n\""));
    assert_int_equal(check(SCHEMA, "{\"name\": \"a\", \"n\": 2.5}", &e), REEL_EINVAL);
    assert_int_equal(check(SCHEMA, "{\"name\": \"a\", \"n\": 2.0}", &e), 0);
    assert_int_equal(check(SCHEMA, "{\"name\": \"a\", \"mode\": \"loud\"}", &e), REEL_EINVAL);
    assert_non_null(strstr(e.msg, "passive"));
    assert_int_equal(check(SCHEMA, "{\"name\": \"a\", \"list\": [\"a\", 1]}", &e), REEL_EINVAL);
    assert_non_null(strstr(e.msg, "list[1]"));
    assert_int_equal(check(SCHEMA, "{\"name\": \"a\", \"list\": [\"a\", \"b\", \"c\"]}", &e),
                     REEL_EINVAL);
    assert_int_equal(check(SCHEMA, "{\"name\": \"a\", \"flag\": 1}", &e), REEL_EINVAL);
    assert_int_equal(check(SCHEMA, "[]", &e), REEL_EINVAL);
    /* A schema keyword the checker does not implement is a schema bug. */
    assert_int_equal(check("{\"type\": \"object\", \"properties\": {\"a\": {\"type\": "
                           "\"string\", \"pattern\": \"x\"}}}", "{\"a\": \"x\"}", &e), REEL_EIO);
}

static void calls_offline(void **state)
{
    char *dir = *state;
    reel_store *st;
    reel_error e;
    assert_int_equal(reel_store_open(&st, dir, true, &e), 0);
    reel_store_close(st);
    reel_service *s;
    assert_int_equal(reel_service_open(&s, dir, &e), 0);
    json_t *out = NULL;
    assert_int_equal(reel_service_call(s, "nope", NULL, "test", &out, &e), REEL_ENOENT);
    assert_null(out);
    assert_int_equal(reel_service_call(s, "streams", NULL, "test", &out, &e), 0);
    assert_true(json_is_array(out) && json_array_size(out) == 0);
    json_decref(out);
    json_t *bad = json_pack("{s:i}", "seconds", 3);
    assert_int_equal(reel_service_call(s, "grab", bad, "test", &out, &e), REEL_ENOENT);
    assert_non_null(strstr(e.msg, "no stream"));
    json_decref(bad);
    bad = json_pack("{s:s}", "seconds", "3");
    assert_int_equal(reel_service_call(s, "grab", bad, "test", &out, &e), REEL_EINVAL);
    assert_non_null(strstr(e.msg, "grab: \"seconds\" must be a number"));
    json_decref(bad);
    /* Control ops (if any are registered) need a recorder. */
    const reel_op *op;
    for (size_t i = 0; (op = reel_service_op_at(i)); i++) {
        if (!(op->flags & REEL_OP_CONTROL))
            continue;
        json_t *schema = json_loads(reel_op_schema(op), 0, NULL);
        json_t *args = json_object();
        reel_error ce;
        if (reel_schema_check(schema, args, &ce) == 0) {
            assert_int_equal(reel_service_call(s, op->name, args, "test", &out, &e),
                             REEL_ESTATE);
            assert_non_null(strstr(e.msg, "reel serve"));
        }
        json_decref(args);
        json_decref(schema);
    }
    reel_service_close(s);
}

static int setup(void **state) { return test_tmpdir_setup(state, "service"); }
static int teardown(void **state) { return test_tmpdir_teardown(state); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_schema_is_usable),
        cmocka_unit_test(refusals_name_the_field),
        cmocka_unit_test_setup_teardown(calls_offline, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
