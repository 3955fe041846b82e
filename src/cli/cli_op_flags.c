/*
 * cli_op_flags.c — command-line words into an op's JSON arguments, typed
 * by the op's own JSON Schema (the one every surface is checked against),
 * so a command for people is a table row, not a hand-written parser:
 *
 *   --key VALUE, --key=VALUE   the property `key` (dashes in a flag are the
 *                              schema's underscores: --fade-in is fade_in)
 *   integer / number           a whole / a finite decimal number; "nan",
 *                              "inf", "0x10", "4s" are refused here, naming
 *                              the flag
 *   boolean                    --mute alone is true; --mute=false, --no-mute
 *   string                     as given (--from -2m: the next word is the
 *                              value even when it starts with '-')
 *   array of scalars           repeated (--tag a --tag b) or comma-separated
 *                              (--clips c1,c2); the singular flag names the
 *                              plural property (--tag for tags)
 *   object, array of objects   a JSON value (--payload '{"a":1}',
 *                              --tempo '[...]'); an object given to an array
 *                              of objects is one more item
 *   operands                   fill the row's operand keys in order, those
 *                              a flag did not already give; an array key
 *                              takes every operand left
 *
 * Only the shape of a value is checked here; its range, enum and the
 * unknown-field rule stay with the service's schema check, which applies
 * as for HTTP, OSC and MCP.
 *
 * Owns: nothing beyond a call. Must never: run the op, or accept a word it
 * cannot place (an unknown flag or an extra operand is one line, exit 2).
 */
#include "cli.h"

#include "service/service.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 64

/* --fade-in: "fade_in" (false when the flag is too long to be a property). */
static bool flag_key(const char *flag, size_t n, char *key)
{
    if (n == 0 || n >= KEY_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        key[i] = flag[i] == '-' ? '_' : flag[i];
    key[n] = '\0';
    return true;
}

/* "fade_in": "--fade-in" */
static void key_flag(const char *key, char *flag, size_t len)
{
    size_t o = (size_t)snprintf(flag, len, "--");
    for (; *key && o + 1 < len; key++)
        flag[o++] = *key == '_' ? '-' : *key;
    flag[o] = '\0';
}

static const char *type_of(json_t *prop)
{
    const char *t = json_string_value(json_object_get(prop, "type"));
    return t ? t : "";
}

/* Every property, as flags: "--name, --rate, --seed". */
static void known_flags(json_t *props, char *buf, size_t len)
{
    size_t o = 0;
    const char *k;
    json_t *v;
    buf[0] = '\0';
    json_object_foreach(props, k, v) {
        char f[KEY_MAX + 3];
        key_flag(k, f, sizeof f);
        int n = snprintf(buf + o, len - o, "%s%s", o ? ", " : "", f);
        if (n < 0 || (size_t)n >= len - o)
            break;
        o += (size_t)n;
    }
}

static int parse_integer(const char *cmd, const char *flag, const char *s, json_t **out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || errno)
        return fail(REEL_EINVAL, "%s: %s wants a whole number, not '%s'", cmd, flag, s);
    *out = json_integer((json_int_t)v);
    return 0;
}

/* Decimal only: strtod's "nan", "inf" and hex forms never reach an op. */
static int parse_number(const char *cmd, const char *flag, const char *s, json_t **out)
{
    bool integral = true;
    for (const char *p = s; *p; p++) {
        if (strchr(".eE", *p))
            integral = false;
        else if (!strchr("0123456789+-", *p))
            return fail(REEL_EINVAL, "%s: %s wants a finite number, not '%s'", cmd, flag, s);
    }
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (!*s || *end || !isfinite(d) || (errno == ERANGE && d != 0))
        return fail(REEL_EINVAL, "%s: %s wants a finite number, not '%s'", cmd, flag, s);
    /* A whole number stays one in the document ("at": 16, not 16.0). */
    if (integral && fabs(d) <= 9007199254740992.0)
        *out = json_integer((json_int_t)strtoll(s, NULL, 10));
    else
        *out = json_real(d);
    return 0;
}

static int parse_bool(const char *cmd, const char *flag, const char *s, json_t **out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no",
                                                                               "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcmp(s, yes[i]) == 0) {
            *out = json_true();
            return 0;
        }
        if (strcmp(s, no[i]) == 0) {
            *out = json_false();
            return 0;
        }
    }
    return fail(REEL_EINVAL, "%s: %s wants true or false, not '%s'", cmd, flag, s);
}

static int parse_json(const char *cmd, const char *flag, const char *s, json_t **out)
{
    json_error_t je;
    *out = json_loads(s, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (!*out)
        return fail(REEL_EINVAL, "%s: %s wants a JSON value: malformed at column %d: %s", cmd,
                    flag, je.column, je.text);
    return 0;
}

/* One value of schema `prop` (not an array). */
static int parse_scalar(const char *cmd, const char *flag, json_t *prop, const char *s,
                        json_t **out)
{
    const char *t = type_of(prop);
    int rc = strcmp(t, "integer") == 0   ? parse_integer(cmd, flag, s, out)
             : strcmp(t, "number") == 0  ? parse_number(cmd, flag, s, out)
             : strcmp(t, "boolean") == 0 ? parse_bool(cmd, flag, s, out)
             : strcmp(t, "string") == 0  ? ((*out = json_string(s)), 0)
                                         : parse_json(cmd, flag, s, out);
    if (rc == 0 && !*out)
        return fail(REEL_EINVAL, "%s: %s: not valid UTF-8 or out of memory", cmd, flag);
    return rc;
}

/* Add `s` to the array property `key` of `args`. */
static int append_items(const char *cmd, const char *flag, json_t *args, const char *key,
                        json_t *prop, const char *s)
{
    json_t *arr = json_object_get(args, key);
    if (!arr) {
        arr = json_array();
        json_object_set_new(args, key, arr);
    }
    json_t *items = json_object_get(prop, "items");
    const char *it = type_of(items);
    if (strcmp(it, "object") == 0 || strcmp(it, "array") == 0 || !*it) {
        json_t *v;
        int rc = parse_json(cmd, flag, s, &v);
        if (rc)
            return rc;
        if (json_is_array(v))
            json_array_extend(arr, v);
        else
            json_array_append(arr, v);
        json_decref(v);
        return 0;
    }
    /* Scalars: "c1,c2" is two items. */
    const char *p = s;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        char *one = strndup(p, n);
        if (!one)
            return fail(REEL_ENOMEM, "out of memory");
        json_t *v;
        int rc = parse_scalar(cmd, flag, items, one, &v);
        free(one);
        if (rc)
            return rc;
        json_array_append_new(arr, v);
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

/* One value of property `key` from the word `s`. */
static int set_value(const char *cmd, const char *flag, json_t *args, const char *key,
                     json_t *prop, const char *s)
{
    if (strcmp(type_of(prop), "array") == 0)
        return append_items(cmd, flag, args, key, prop, s);
    if (json_object_get(args, key))
        return fail(REEL_EINVAL, "%s: %s given twice", cmd, flag);
    json_t *v;
    int rc = parse_scalar(cmd, flag, prop, s, &v);
    if (rc == 0)
        json_object_set_new(args, key, v);
    return rc;
}

static bool is_operand_key(const char *const *operands, const char *key)
{
    for (size_t i = 0; operands && operands[i]; i++)
        if (strcmp(operands[i], key) == 0)
            return true;
    return false;
}

/* The property a flag names: itself, the plural of a singular flag (--tag:
 * tags, --clip: clips when there is no "clip"), or a --no-FLAG boolean.
 * *negated says which. NULL: no such property. */
static json_t *lookup(json_t *props, const char *flag, size_t n, char *key, bool *negated)
{
    *negated = false;
    if (!flag_key(flag, n, key))
        return NULL;
    json_t *p = json_object_get(props, key);
    if (p)
        return p;
    size_t kl = strlen(key);
    if (kl + 1 < KEY_MAX) {
        key[kl] = 's';
        key[kl + 1] = '\0';
        p = json_object_get(props, key);
        if (p && strcmp(type_of(p), "array") == 0)
            return p;
        key[kl] = '\0';
    }
    if (strncmp(key, "no_", 3) == 0) {
        p = json_object_get(props, key + 3);
        if (p && strcmp(type_of(p), "boolean") == 0) {
            memmove(key, key + 3, kl - 2);
            *negated = true;
            return p;
        }
    }
    return NULL;
}

/* A usage text on one line: a failure is one line even when the help
 * wraps the usage over several. */
static void one_line(const char *usage, char *buf, size_t len)
{
    size_t o = 0;
    for (const char *p = usage; *p && o + 1 < len; p++) {
        if (*p == '\n') {
            while (p[1] == ' ')
                p++;
            buf[o++] = ' ';
        } else {
            buf[o++] = *p;
        }
    }
    buf[o] = '\0';
}

int cli_op_args(const char *cmd, const char *op_name, const char *const *operands,
                const char *usage_text, int argc, char **argv, json_t **out)
{
    *out = NULL;
    char usage[512];
    one_line(usage_text, usage, sizeof usage);
    const reel_op *op = reel_service_op_find(op_name);
    const char *text = op ? reel_op_schema(op) : NULL;
    json_t *schema = text ? json_loads(text, 0, NULL) : NULL;
    if (!schema)
        return fail(REEL_EIO, "%s: the op %s has no schema in this build", cmd, op_name);
    json_t *props = json_object_get(schema, "properties");
    json_t *args = json_object();
    char **words = calloc((size_t)argc + 1, sizeof *words);
    int n_words = 0, rc = 0;
    if (!args || !words) {
        rc = fail(REEL_ENOMEM, "out of memory");
        goto out;
    }
    bool only_operands = false;
    for (int i = 0; i < argc && rc == 0; i++) {
        const char *a = argv[i];
        if (only_operands || a[0] != '-' || a[1] == '\0') {
            words[n_words++] = argv[i];
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_operands = true;
            continue;
        }
        const char *name = a + (a[1] == '-' ? 2 : 1), *eq = strchr(name, '=');
        size_t n = eq ? (size_t)(eq - name) : strlen(name);
        char key[KEY_MAX + 1], flag[KEY_MAX + 3];
        bool negated;
        json_t *prop = a[1] == '-' ? lookup(props, name, n, key, &negated) : NULL;
        if (!prop) {
            char known[1024];
            known_flags(props, known, sizeof known);
            rc = fail(REEL_EINVAL, "%s: unknown option '%.*s' (known: %s)", cmd,
                      (int)(name - a + n), a, known[0] ? known : "none");
            break;
        }
        key_flag(key, flag, sizeof flag);
        if (strcmp(type_of(prop), "boolean") == 0) {
            if (negated && eq) {
                rc = fail(REEL_EINVAL, "%s: --no-%s takes no value", cmd, flag + 2);
            } else if (json_object_get(args, key)) {
                rc = fail(REEL_EINVAL, "%s: %s given twice", cmd, flag);
            } else if (!eq) {
                json_object_set_new(args, key, json_boolean(!negated));
            } else {
                rc = set_value(cmd, flag, args, key, prop, eq + 1);
            }
            continue;
        }
        const char *value = eq ? eq + 1 : NULL;
        if (!value && i + 1 >= argc) {
            rc = fail(REEL_EINVAL, "%s: %s needs a value", cmd, flag);
            break;
        }
        if (!value)
            value = argv[++i];
        rc = set_value(cmd, flag, args, key, prop, value);
    }
    /* Operands fill the keys no flag gave, in the row's order. */
    int w = 0;
    for (size_t k = 0; rc == 0 && operands && operands[k]; k++) {
        const char *key = operands[k];
        json_t *prop = json_object_get(props, key);
        char flag[KEY_MAX + 3];
        key_flag(key, flag, sizeof flag);
        if (json_object_get(args, key) || !prop)
            continue;
        if (strcmp(type_of(prop), "array") == 0) {
            for (; w < n_words && rc == 0; w++)
                rc = append_items(cmd, flag, args, key, prop, words[w]);
        } else if (w < n_words) {
            rc = set_value(cmd, flag, args, key, prop, words[w++]);
        }
    }
    if (rc == 0 && w < n_words)
        rc = fail(REEL_EINVAL, "%s: unexpected operand '%s' (usage: reel %s%s%s)", cmd, words[w],
                  cmd, usage[0] ? " " : "", usage);
    /* What the op requires: missing operands and flags named the CLI's way
     * (the service would say the same in JSON terms). */
    size_t i;
    json_t *req;
    json_array_foreach(json_object_get(schema, "required"), i, req) {
        const char *key = json_string_value(req);
        if (rc || !key || json_object_get(args, key))
            continue;
        char flag[KEY_MAX + 3];
        key_flag(key, flag, sizeof flag);
        if (is_operand_key(operands, key)) {
            char up[KEY_MAX + 1];
            size_t j;
            for (j = 0; key[j] && j < KEY_MAX; j++)
                up[j] = (char)(key[j] >= 'a' && key[j] <= 'z' ? key[j] - 32 : key[j]);
            up[j] = '\0';
            rc = fail(REEL_EINVAL, "%s: no %s given (usage: reel %s%s%s)", cmd, up, cmd,
                      usage[0] ? " " : "", usage);
        } else {
            rc = fail(REEL_EINVAL, "%s: %s is required (usage: reel %s%s%s)", cmd, flag, cmd,
                      usage[0] ? " " : "", usage);
        }
    }
out:
    free(words);
    json_decref(schema);
    if (rc)
        json_decref(args);
    else
        *out = args;
    return rc;
}

int cli_op_flags_help(const char *op_name, FILE *f)
{
    const reel_op *op = reel_service_op_find(op_name);
    const char *text = op ? reel_op_schema(op) : NULL;
    json_t *schema = text ? json_loads(text, 0, NULL) : NULL;
    if (!schema)
        return -1;
    fprintf(f, "  %s\n  the op %s; its arguments:\n", op->summary, op->name);
    json_t *props = json_object_get(schema, "properties");
    const char *k;
    json_t *v;
    json_object_foreach(props, k, v) {
        char flag[KEY_MAX + 3];
        key_flag(k, flag, sizeof flag);
        const char *t = type_of(v);
        char what[320];
        json_t *en = json_object_get(v, "enum");
        size_t o = 0, j;
        json_t *e;
        what[0] = '\0';
        json_array_foreach(en, j, e) {
            int n = snprintf(what + o, sizeof what - o, "%s%s", j ? "|" : "",
                             json_string_value(e));
            if (n < 0 || (size_t)n >= sizeof what - o)
                break;
            o += (size_t)n;
        }
        json_t *lo = json_object_get(v, "minimum"), *hi = json_object_get(v, "maximum");
        if (what[0]) {
        } else if (strcmp(t, "array") == 0) {
            const char *it = type_of(json_object_get(v, "items"));
            snprintf(what, sizeof what, "%s",
                     strcmp(it, "object") == 0 ? "a JSON array of objects (an object: one more)"
                                               : "a list: repeat the flag, or a,b,c");
        } else if (strcmp(t, "object") == 0) {
            snprintf(what, sizeof what, "a JSON object");
        } else if (strcmp(t, "boolean") == 0) {
            snprintf(what, sizeof what, "alone: true (--no-%s or =false: false)", flag + 2);
        } else if (lo && hi && json_number_value(hi) < 9007199254740992.0) {
            snprintf(what, sizeof what, "%s, %g to %g", t, json_number_value(lo),
                     json_number_value(hi));
        } else if (lo) {
            snprintf(what, sizeof what, "%s, at least %g", t, json_number_value(lo));
        } else {
            snprintf(what, sizeof what, "%s", t);
        }
        bool req = false;
        size_t ri;
        json_t *r;
        json_array_foreach(json_object_get(schema, "required"), ri, r)
            req |= json_is_string(r) && strcmp(json_string_value(r), k) == 0;
        const char *desc = json_string_value(json_object_get(v, "description"));
        fprintf(f, "    %-20s %s%s%s%s\n", flag, what, req ? " (required)" : "",
                desc ? ", " : "", desc ? desc : "");
    }
    json_decref(schema);
    return 0;
}
