/*
 * project_ops.c — the project ops: project_create, project_list,
 * project_get, project_history, project_undo, project_redo, project_prune;
 * and the edit sequence every edit op of the feature runs through
 * (project_edit.h). Track, timeline, marker, tempo and event edits:
 * project_edit_ops.c; clips and take placement: clip_ops.c.
 *
 * Owns: the feature's state (the edit lock) and its op table. Must never:
 * answer an edit with a version it did not store.
 */
#include "model/project/project_db.h"
#include "model/project/project_edit.h"

#include "core/hash.h"
#include "time/clock.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* The heads edits were last made on, kept loaded so that the next edit of
 * a large project neither reads nor checks nor writes again what it does
 * not change. Only touched under edit_lock. */
#define HEADS_CACHED 8

typedef struct cached_head {
    char project[REEL_PROJECT_ID_MAX];
    reel_project_loaded l;
    uint64_t used; /* edit counter when last used: the oldest goes */
} cached_head;

typedef struct project_state {
    pthread_mutex_t edit_lock;
    cached_head heads[HEADS_CACHED];
    uint64_t edits;
} project_state;

/* The cached head of `project` if it is `version`, else NULL. */
static reel_project_loaded *cache_get(project_state *ps, const char *project, const char *version)
{
    for (size_t i = 0; ps && i < HEADS_CACHED; i++) {
        cached_head *c = &ps->heads[i];
        if (c->l.doc && strcmp(c->project, project) == 0 && strcmp(c->l.version, version) == 0) {
            c->used = ++ps->edits;
            return &c->l;
        }
    }
    return NULL;
}

/* Keep `l` (taken over) as the cached head of `project`. */
static void cache_put(project_state *ps, const char *project, reel_project_loaded *l)
{
    if (!ps) {
        reel_project_loaded_free(l);
        return;
    }
    /* Its own slot, else a free one, else the least recently used. */
    cached_head *slot = NULL;
    for (size_t i = 0; i < HEADS_CACHED && !slot; i++)
        if (ps->heads[i].l.doc && strcmp(ps->heads[i].project, project) == 0)
            slot = &ps->heads[i];
    for (size_t i = 0; i < HEADS_CACHED && !slot; i++)
        if (!ps->heads[i].l.doc)
            slot = &ps->heads[i];
    if (!slot) {
        slot = &ps->heads[0];
        for (size_t i = 1; i < HEADS_CACHED; i++)
            if (ps->heads[i].used < slot->used)
                slot = &ps->heads[i];
    }
    reel_project_loaded_free(&slot->l);
    snprintf(slot->project, sizeof slot->project, "%s", project);
    slot->l = *l;
    slot->used = ++ps->edits;
    memset(l, 0, sizeof *l);
}

static const reel_op_table project_ops;

static int project_init(reel_service *s, reel_error *err)
{
    project_state *ps = calloc(1, sizeof *ps);
    if (!ps)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    pthread_mutex_init(&ps->edit_lock, NULL);
    reel_service_state_set(s, &project_ops, ps);
    return REEL_OK;
}

static void project_fini(reel_service *s)
{
    project_state *ps = reel_service_state(s, &project_ops);
    if (ps) {
        for (size_t i = 0; i < HEADS_CACHED; i++)
            reel_project_loaded_free(&ps->heads[i].l);
        pthread_mutex_destroy(&ps->edit_lock);
        free(ps);
    }
    reel_service_state_set(s, &project_ops, NULL);
}

static void publish(reel_op_ctx *x, const char *project, const char *version, const char *op)
{
    json_t *ev = json_pack("{s:s, s:s, s:s}", "project", project, "version", version, "op", op);
    if (ev)
        reel_service_publish(x->service, "project", ev);
    json_decref(ev);
}

json_t *reel_project_arg_timeline(json_t *doc, json_t *args, reel_error *err)
{
    json_t *tls = json_object_get(doc, "timelines");
    const char *id = reel_arg_str(args, "timeline", NULL);
    json_t *tl = id ? reel_project_find(tls, id, NULL) : json_array_get(tls, 0);
    if (!tl)
        reel_error_set(err, REEL_ENOENT, id ? "no timeline '%.64s' in this project"
                                            : "this project has no timeline%s",
                       id ? id : "");
    return tl;
}

int reel_project_edit(reel_op_ctx *x, json_t *args, const char *op, reel_project_edit_fn fn,
                      json_t **out, reel_error *err)
{
    const char *id = reel_arg_str(args, "project", "");
    const char *base = reel_arg_str(args, "base", NULL);
    project_state *ps = reel_service_state(x->service, &project_ops);
    if (ps)
        pthread_mutex_lock(&ps->edit_lock);
    reel_project_row row;
    json_t *doc = NULL, *reply = NULL;
    reel_project_loaded loaded, made;
    memset(&loaded, 0, sizeof loaded);
    memset(&made, 0, sizeof made);
    char version[REEL_PROJECT_VERSION_MAX];
    int rc = reel_project_get_row(reel_store_db(x->st), id, &row, err);
    if (rc)
        goto out;
    if (base && strcmp(base, row.head) != 0) {
        rc = reel_error_set(err, REEL_ECONFLICT,
                            "project %.64s: the edit names version %.71s but the head is %.71s "
                            "(read the project again and redo the edit)",
                            id, base, row.head);
        goto out;
    }
    const reel_project_loaded *head = cache_get(ps, id, row.head);
    if (!head) {
        if ((rc = reel_project_load_full(x->st, row.head, &loaded, err)))
            goto out;
        head = &loaded;
    }
    doc = reel_project_doc_cow(head->doc);
    reply = json_object();
    if (!doc || !reply) {
        rc = reel_error_set(err, REEL_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = fn(x, doc, args, reply, err)) ||
        (rc = reel_project_commit(x->st, id, row.name, doc, op, x->origin, row.head, head, &made,
                                  version, NULL, err)))
        goto out;
    cache_put(ps, id, &made);
    json_object_set_new(reply, "project", json_string(id));
    json_object_set_new(reply, "version", json_string(version));
    json_object_set_new(reply, "parent", json_string(row.head));
    *out = reply;
    reply = NULL;
    publish(x, id, version, op);
out:
    if (ps)
        pthread_mutex_unlock(&ps->edit_lock);
    reel_project_loaded_free(&loaded);
    reel_project_loaded_free(&made);
    json_decref(doc);
    json_decref(reply);
    return rc;
}

/* ---- project-level ops ------------------------------------------------------ */

static int op_project_create(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    uint8_t rnd[8];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        return reel_error_set(err, REEL_EIO, "no random bytes for a project id");
    char id[REEL_PROJECT_ID_MAX] = "prj-";
    for (size_t i = 0; i < sizeof rnd; i++)
        snprintf(id + 4 + 2 * i, 3, "%02x", rnd[i]);
    uint64_t seed = 0;
    memcpy(&seed, rnd, sizeof seed);
    json_t *sj = json_object_get(args, "seed");
    if (sj)
        seed = (uint64_t)json_integer_value(sj);
    const char *name = reel_arg_str(args, "name", "untitled");
    json_t *doc = reel_project_doc_new(id, name, (uint32_t)reel_arg_int(args, "rate", 48000),
                                       seed);
    if (!doc)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    char version[REEL_PROJECT_VERSION_MAX];
    int rc = reel_project_commit(x->st, id, name, doc, "project_create", x->origin, NULL, NULL,
                                 NULL, version, NULL, err);
    json_decref(doc);
    if (rc)
        return rc;
    publish(x, id, version, "project_create");
    *out = json_pack("{s:s, s:s, s:s}", "project", id, "name", name, "version", version);
    return *out ? REEL_OK : reel_error_set(err, REEL_ENOMEM, "out of memory");
}

static json_t *row_json(const reel_project_row *r)
{
    return json_pack("{s:s, s:s, s:I, s:s}", "project", r->id, "name", r->name, "created_ns",
                     (json_int_t)r->created_ns, "head", r->head);
}

static int list_one(const reel_project_row *r, void *ud)
{
    json_t *j = row_json(r);
    return j ? json_array_append_new(ud, j) : REEL_ENOMEM;
}

static int op_project_list(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    (void)args;
    json_t *all = json_array();
    int rc = all ? reel_project_list_rows(reel_store_db(x->st), list_one, all, err) : REEL_ENOMEM;
    if (rc) {
        json_decref(all);
        return rc == REEL_ENOMEM ? reel_error_set(err, rc, "out of memory") : rc;
    }
    *out = json_pack("{s:o}", "projects", all);
    return REEL_OK;
}

static int op_project_get(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    const char *id = reel_arg_str(args, "project", "");
    reel_project_row row;
    int rc = reel_project_get_row(reel_store_db(x->st), id, &row, err);
    if (rc)
        return rc;
    const char *version = reel_arg_str(args, "version", row.head);
    reel_project_version v;
    if ((rc = reel_project_version_get(reel_store_db(x->st), id, version, &v, err)))
        return rc;
    json_t *doc;
    if ((rc = reel_project_load(x->st, version, &doc, err)))
        return rc;
    *out = json_pack("{s:s, s:s, s:s, s:b, s:o}", "project", id, "name", row.name, "version",
                     version, "head", strcmp(version, row.head) == 0, "document", doc);
    return *out ? REEL_OK : reel_error_set(err, REEL_ENOMEM, "out of memory");
}

typedef struct history_ctx {
    json_t *arr;
    const char *head;
} history_ctx;

static int history_one(const reel_project_version *v, void *ud)
{
    history_ctx *h = ud;
    json_t *j = json_pack("{s:I, s:s, s:s?, s:s, s:I, s:s, s:b}", "seq", (json_int_t)v->seq,
                          "version", v->version, "parent", v->parent[0] ? v->parent : NULL,
                          "op", v->op, "created_ns", (json_int_t)v->created_ns, "artifact",
                          v->artifact, "head", strcmp(v->version, h->head) == 0);
    return j ? json_array_append_new(h->arr, j) : REEL_ENOMEM;
}

static int redo_one(const reel_project_version *v, void *ud)
{
    return json_array_append_new(ud, json_string(v->version)) ? REEL_ENOMEM : 0;
}

static int op_project_history(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    const char *id = reel_arg_str(args, "project", "");
    reel_project_row row;
    int rc = reel_project_get_row(reel_store_db(x->st), id, &row, err);
    if (rc)
        return rc;
    history_ctx h = {.arr = json_array(), .head = row.head};
    json_t *redo = json_array();
    if (!h.arr || !redo ||
        (rc = reel_project_versions(reel_store_db(x->st), id, history_one, &h, err)) ||
        (rc = reel_project_redo_list(reel_store_db(x->st), id, redo_one, redo, err))) {
        json_decref(h.arr);
        json_decref(redo);
        return rc && rc != REEL_ENOMEM ? rc : reel_error_set(err, REEL_ENOMEM, "out of memory");
    }
    *out = json_pack("{s:s, s:s, s:o, s:o}", "project", id, "head", row.head, "versions", h.arr,
                     "redo", redo);
    return REEL_OK;
}

static int move_head(reel_op_ctx *x, json_t *args, bool undo, json_t **out, reel_error *err)
{
    const char *id = reel_arg_str(args, "project", "");
    const char *base = reel_arg_str(args, "base", NULL);
    project_state *ps = reel_service_state(x->service, &project_ops);
    if (ps)
        pthread_mutex_lock(&ps->edit_lock);
    char head[REEL_PROJECT_VERSION_MAX];
    int rc = undo ? reel_project_undo(reel_store_db(x->st), id, base, head, err)
                  : reel_project_redo(reel_store_db(x->st), id, base, head, err);
    if (ps)
        pthread_mutex_unlock(&ps->edit_lock);
    if (rc)
        return rc;
    publish(x, id, head, undo ? "project_undo" : "project_redo");
    *out = json_pack("{s:s, s:s}", "project", id, "version", head);
    return *out ? REEL_OK : reel_error_set(err, REEL_ENOMEM, "out of memory");
}

static int op_project_undo(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    return move_head(x, args, true, out, err);
}

static int op_project_redo(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    return move_head(x, args, false, out, err);
}

static int op_project_prune(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    const char *id = reel_arg_str(args, "project", "");
    project_state *ps = reel_service_state(x->service, &project_ops);
    if (ps)
        pthread_mutex_lock(&ps->edit_lock);
    int64_t dropped = 0;
    int rc = reel_project_prune(reel_store_db(x->st), id, reel_arg_int(args, "keep", 1), &dropped,
                                err);
    if (ps)
        pthread_mutex_unlock(&ps->edit_lock);
    if (rc)
        return rc;
    *out = json_pack("{s:s, s:I}", "project", id, "dropped", (json_int_t)dropped);
    return *out ? REEL_OK : reel_error_set(err, REEL_ENOMEM, "out of memory");
}

static const reel_op ops[] = {
    {"project_create", "Create a project (one empty timeline, 120 bpm 4/4); answers its id and "
                       "first version.", 0, op_project_create},
    {"project_list", "Every project with its head version.", 0, op_project_list},
    {"project_get", "A project's document at its head or at a given version.", 0,
     op_project_get},
    {"project_history", "A project's versions, oldest first, with the op that made each, and "
                        "its redo stack.", 0, op_project_history},
    {"project_undo", "Move a project's head back to its parent version.", 0, op_project_undo},
    {"project_redo", "Move a project's head forward to the version undo left.", 0,
     op_project_redo},
    {"project_prune", "Drop a project's history but the head's last `keep` versions and the "
                      "redo stack, so GC may reclaim what only they used.", 0, op_project_prune},
};

static const reel_op_table project_ops = {
    .name = "project",
    .order = 10,
    .ops = ops,
    .n = sizeof ops / sizeof ops[0],
    .init = project_init,
    .fini = project_fini,
};
REEL_OP_TABLE(project_ops);
REEL_OP_RESOURCE(((const reel_op_resource){"projects", "project_list", "project_get", "project",
                                           {"version"}, {{"history", "project_history"}}}));
