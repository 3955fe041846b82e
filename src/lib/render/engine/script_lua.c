/*
 * script_lua.c — the Lua sandbox (script_lua.h) and the script_run op:
 * run a script given as text (stored in CAS and recorded as a "script"
 * artifact, once per content) or by the hash of a stored one.
 */
#include "render/engine/script_lua.h"

#include "core/hash.h"
#include "store/cas.h"
#include "store/store.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEPTH_MAX 32 /* nesting of tables <-> JSON */
#define OUTPUT_MAX 1000 /* print lines kept */

typedef struct run_ctx {
    reel_service *service;
    const char *origin;
    size_t used;      /* bytes the state holds */
    int64_t ops_left; /* instructions, counted by the hook in steps of HOOK_STEP */
    bool refused;     /* an allocation was refused: the memory limit was reached */
    json_t *output;
} run_ctx;

#define HOOK_STEP 1000

static void *sandbox_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    run_ctx *r = ud;
    if (!ptr)
        osize = 0;
    if (nsize == 0) {
        free(ptr);
        r->used -= osize;
        return NULL;
    }
    if (nsize > osize && r->used + (nsize - osize) > REEL_SCRIPT_MEMORY) {
        r->refused = true;
        return NULL; /* Lua raises "not enough memory" */
    }
    void *p = realloc(ptr, nsize);
    if (p)
        r->used = r->used - osize + nsize;
    return p;
}

static run_ctx *ctx_of(lua_State *L)
{
    void *ud;
    lua_getallocf(L, &ud);
    return ud;
}

static void count_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    run_ctx *r = ctx_of(L);
    r->ops_left -= HOOK_STEP;
    if (r->ops_left < 0)
        luaL_error(L, "script stopped: it ran past its instruction limit");
}

/* ---- Lua values <-> JSON -------------------------------------------------------- */

static json_t *to_json(lua_State *L, int idx, int depth);

/* A table with keys 1..n (n >= 1) is an array; any other, an object. */
static json_t *table_json(lua_State *L, int idx, int depth)
{
    idx = lua_absindex(L, idx);
    lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
    size_t count = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        count++;
        lua_pop(L, 1);
    }
    if (n > 0 && (size_t)n == count) {
        json_t *a = json_array();
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(L, idx, i);
            json_array_append_new(a, to_json(L, -1, depth + 1));
            lua_pop(L, 1);
        }
        return a;
    }
    json_t *o = json_object();
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) == LUA_TSTRING) {
            json_object_set_new(o, lua_tostring(L, -2), to_json(L, -1, depth + 1));
        } else if (lua_type(L, -2) == LUA_TNUMBER) {
            char k[32];
            lua_pushvalue(L, -2); /* a copy: tostring on the key itself confuses next */
            snprintf(k, sizeof k, "%s", lua_tostring(L, -1));
            lua_pop(L, 1);
            json_object_set_new(o, k, to_json(L, -1, depth + 1));
        }
        lua_pop(L, 1);
    }
    return o;
}

static json_t *to_json(lua_State *L, int idx, int depth)
{
    if (depth > DEPTH_MAX)
        luaL_error(L, "a table nested more than %d deep", DEPTH_MAX);
    switch (lua_type(L, idx)) {
    case LUA_TBOOLEAN:
        return json_boolean(lua_toboolean(L, idx));
    case LUA_TNUMBER:
        return lua_isinteger(L, idx) ? json_integer((json_int_t)lua_tointeger(L, idx))
                                     : json_real(lua_tonumber(L, idx));
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        return json_stringn(s, n);
    }
    case LUA_TTABLE:
        return table_json(L, idx, depth);
    default:
        return json_null();
    }
}

static void push_json(lua_State *L, json_t *v, int depth)
{
    if (depth > DEPTH_MAX)
        luaL_error(L, "a reply nested more than %d deep", DEPTH_MAX);
    luaL_checkstack(L, 4, "reply too deep");
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        lua_createtable(L, 0, (int)json_object_size(v));
        const char *k;
        json_t *e;
        json_object_foreach(v, k, e) {
            push_json(L, e, depth + 1);
            lua_setfield(L, -2, k);
        }
        break;
    }
    case JSON_ARRAY: {
        lua_createtable(L, (int)json_array_size(v), 0);
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) {
            push_json(L, e, depth + 1);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        break;
    }
    case JSON_STRING:
        lua_pushlstring(L, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        lua_pushinteger(L, (lua_Integer)json_integer_value(v));
        break;
    case JSON_REAL:
        lua_pushnumber(L, json_real_value(v));
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        lua_pushboolean(L, json_is_true(v));
        break;
    default:
        lua_pushnil(L);
    }
}

/* ---- what a script may call ----------------------------------------------------- */

/* reel.call(op, args): the op's reply as a table, or a Lua error. */
static int l_call(lua_State *L)
{
    const char *op = luaL_checkstring(L, 1);
    if (!lua_isnoneornil(L, 2))
        luaL_checktype(L, 2, LUA_TTABLE);
    json_t *args = lua_isnoneornil(L, 2) ? json_object() : to_json(L, 2, 0);
    if (!json_is_object(args)) { /* an empty table is an object too */
        json_decref(args);
        args = json_object();
    }
    if (strcmp(op, "script_run") == 0) {
        json_decref(args);
        return luaL_error(L, "a script cannot run scripts");
    }
    run_ctx *r = ctx_of(L);
    json_t *out = NULL;
    reel_error e;
    reel_error_clear(&e);
    int rc = reel_service_run_op(r->service, op, args, r->origin, &out, &e);
    json_decref(args);
    if (rc) {
        json_decref(out);
        lua_pushfstring(L, "%s: %s", op, e.msg[0] ? e.msg : "failed");
        return lua_error(L);
    }
    push_json(L, out, 0);
    json_decref(out);
    return 1;
}

static int l_print(lua_State *L)
{
    run_ctx *r = ctx_of(L);
    int n = lua_gettop(L); /* before the buffer takes its place on the stack */
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        if (i > 1)
            luaL_addchar(&b, '\t');
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    if (json_array_size(r->output) < OUTPUT_MAX)
        json_array_append_new(r->output, json_string(lua_tostring(L, -1)));
    return 0;
}

/* load(chunk [, name]): text only, in the sandbox's environment. */
static int l_load(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    const char *name = luaL_optstring(L, 2, "=(load)");
    if (luaL_loadbufferx(L, s, n, name, "t") != LUA_OK) {
        lua_pushnil(L);
        lua_insert(L, -2);
        return 2;
    }
    return 1;
}

static int open_sandbox(lua_State *L)
{
    luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
    luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
    luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
    luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
    luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 1);
    lua_settop(L, 0);
    static const char *const gone[] = {"dofile", "loadfile", "require", "collectgarbage",
                                       "rawequal", "rawget", "rawset", "rawlen"};
    for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++) {
        lua_pushnil(L);
        lua_setglobal(L, gone[i]);
    }
    lua_pushcfunction(L, l_load);
    lua_setglobal(L, "load");
    lua_pushcfunction(L, l_print);
    lua_setglobal(L, "print");
    /* string.dump makes bytecode, which load refuses anyway: gone too */
    lua_getglobal(L, LUA_STRLIBNAME);
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    lua_pop(L, 1);
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, l_call);
    lua_setfield(L, -2, "call");
    lua_setglobal(L, "reel");
    return 0;
}

int reel_script_run(reel_service *s, const char *origin, const char *name, const char *source,
                    size_t len, json_t *args, int64_t max_ops, json_t **out, reel_error *err)
{
    *out = NULL;
    if (len > REEL_SCRIPT_SOURCE_MAX)
        return reel_error_set(err, REEL_EINVAL, "a script is at most %u bytes (this one %zu)",
                              REEL_SCRIPT_SOURCE_MAX, len);
    run_ctx r = {.service = s, .origin = origin, .ops_left = max_ops > 0 ? max_ops
                                                                          : REEL_SCRIPT_OPS,
                 .output = json_array()};
    lua_State *L = lua_newstate(sandbox_alloc, &r);
    if (!L || !r.output) {
        json_decref(r.output);
        if (L)
            lua_close(L);
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    }
    lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_STEP);
    int rc = REEL_OK;
    char chunk[96];
    /* "script blake3:1c751aefd1c9": enough of the hash to know it by */
    snprintf(chunk, sizeof chunk, "=script%s%.19s", name && *name ? " " : "", name ? name : "");
    /* the libraries open under the limits too, but they fit */
    lua_pushcfunction(L, open_sandbox);
    if (lua_pcall(L, 0, 0, 0) != LUA_OK ||
        luaL_loadbufferx(L, source, len, chunk, "t") != LUA_OK) {
        rc = reel_error_set(err, REEL_EINVAL, "%s", lua_tostring(L, -1));
        goto done;
    }
    if (args)
        push_json(L, args, 0);
    else
        lua_newtable(L);
    lua_setglobal(L, "args");
    if (lua_pcall(L, 0, 1, 0) != LUA_OK) {
        const char *m = lua_tostring(L, -1);
        rc = reel_error_set(err, REEL_EINVAL, "%s%s", m ? m : "script failed (a non-string "
                            "error)", r.refused ? " (its memory limit: "
                            "32 MiB)" : "");
        goto done;
    }
    json_t *result = to_json(L, -1, 0);
    *out = json_pack("{s:o, s:O}", "result", result, "output", r.output);
done:
    lua_close(L);
    json_decref(r.output);
    if (!rc && !*out)
        rc = reel_error_set(err, REEL_ENOMEM, "out of memory");
    return rc;
}

int reel_script_load(reel_store *st, const char *hash, char **text, size_t *len,
                     reel_error *err)
{
    reel_hash h;
    int fd;
    int rc = reel_cas_resolve(reel_store_cas(st), hash, &h, err);
    if (rc || (rc = reel_cas_open_content(reel_store_cas(st), &h, &fd, err)))
        return rc;
    char *buf = malloc(REEL_SCRIPT_SOURCE_MAX + 1);
    size_t n = 0;
    ssize_t k = 1;
    while (buf && n <= REEL_SCRIPT_SOURCE_MAX &&
           (k = read(fd, buf + n, REEL_SCRIPT_SOURCE_MAX + 1 - n)) > 0)
        n += (size_t)k;
    close(fd);
    if (!buf)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    if (k < 0 || n > REEL_SCRIPT_SOURCE_MAX) {
        free(buf);
        return k < 0 ? reel_error_set(err, REEL_EIO, "reading script %.80s: %s", hash,
                                      strerror(errno))
                     : reel_error_set(err, REEL_EINVAL, "%.80s is more than %u bytes: not a "
                                      "script", hash, REEL_SCRIPT_SOURCE_MAX);
    }
    buf[n] = 0;
    *text = buf;
    *len = n;
    return REEL_OK;
}

/* ---- the op --------------------------------------------------------------------- */

static int found_one(const reel_artifact *a, void *ud)
{
    (void)a;
    *(bool *)ud = true;
    return 1;
}

/* `source` into CAS, and a "script" artifact for it unless one exists. */
static int store_script(reel_op_ctx *x, const char *source, size_t len, char hex[80],
                        char art[REEL_ARTIFACT_ID_MAX], reel_error *err)
{
    reel_hash h;
    int rc = reel_cas_put_buf(reel_store_cas(x->st), source, len, &h, err);
    if (rc)
        return rc;
    reel_hash_to_string(&h, hex);
    char tag[96];
    snprintf(tag, sizeof tag, "script:%s", hex);
    const char *tags[] = {tag};
    bool have = false;
    art[0] = 0;
    rc = reel_db_artifact_list(reel_store_db(x->st), tags, 1, found_one, &have, err);
    if (rc < 0 || (rc > 0 && !have))
        return rc;
    if (have)
        return REEL_OK;
    reel_artifact a;
    memset(&a, 0, sizeof a);
    a.content = h;
    snprintf(a.mime, sizeof a.mime, "text/x-lua");
    snprintf(a.kind, sizeof a.kind, "script");
    snprintf(a.creator, sizeof a.creator, "%s", x->origin ? x->origin : "reel");
    a.from_frame = a.to_frame = -1;
    reel_artifact_refs refs = {.tags = tags, .n_tags = 1};
    rc = reel_store_artifact_put(x->st, &a, &refs, err);
    if (!rc)
        snprintf(art, REEL_ARTIFACT_ID_MAX, "%s", a.id);
    return rc;
}

static int op_script_run(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    const char *source = reel_arg_str(args, "source", NULL);
    const char *hash = reel_arg_str(args, "script", NULL);
    if (!!source == !!hash)
        return reel_error_set(err, REEL_EINVAL, "script_run takes \"source\" (Lua text) or "
                              "\"script\" (the hash of a stored one), one of them%s", "");
    char *text = NULL, hex[80] = "", art[REEL_ARTIFACT_ID_MAX] = "";
    size_t len;
    int rc;
    if (source) {
        len = json_string_length(json_object_get(args, "source"));
        rc = store_script(x, source, len, hex, art, err);
    } else {
        rc = reel_script_load(x->st, hash, &text, &len, err);
        snprintf(hex, sizeof hex, "%s", hash);
        source = text;
    }
    if (!rc)
        rc = reel_script_run(x->service, x->origin, hex, source, len,
                             json_object_get(args, "args"),
                             reel_arg_int(args, "max_instructions", 0), out, err);
    free(text);
    if (!rc) {
        json_object_set_new(*out, "script", json_string(hex));
        if (art[0])
            json_object_set_new(*out, "artifact", json_string(art));
    }
    return rc;
}

static const reel_op ops[] = {
    {"script_run", "Run a Lua 5.4 script in a sandbox (no files, no processes, bounded memory "
     "and instructions) that may call reel's ops with reel.call(op, args): given as source "
     "(stored in CAS as a script artifact) or by the hash of a stored one; returns what it "
     "returns and what it printed.", 0, op_script_run},
};

static const reel_op_table script_ops = {
    .name = "script",
    .order = 21,
    .ops = ops,
    .n = sizeof ops / sizeof ops[0],
};
REEL_OP_TABLE(script_ops);
