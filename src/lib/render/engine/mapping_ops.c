/*
 * mapping_ops.c — controller mappings' ops (DESIGN.md section 10):
 * mapping_add, mapping_remove, mapping_list, mapping_learn, mapping_input.
 *
 * Mappings live in the project document ("mappings", mapping_doc.h), so
 * they are versioned, undone and shared like every edit. A mapping is
 * refused whole when its target is not a parameter of the document
 * (reel_auto_target_resolve), its record_arm lane is not in the project,
 * or its JACK port does not exist (checked on the transport's client).
 * An edit of the project whose mappings are in force reloads them
 * (mapping_live.h).
 *
 * mapping_learn waits (at most `timeout` seconds) for the next MIDI
 * message on control_in and adds a mapping from it to the target given.
 * mapping_input feeds the live mappings one OSC or MIDI message (the OSC
 * server forwards addresses outside /reel/ and /record/ here; the web page
 * and scripts use it too).
 *
 * Owns: the ops. Must never: store a mapping it could not carry out.
 */
#include "core/op.h"
#include "model/mapping/mapping_doc.h"
#include "model/project/lane_doc.h"
#include "model/project/project_db.h"
#include "model/project/project_edit.h"
#include "render/engine/mapping_live.h"
#include "render/engine/transport.h"

#include <stdio.h>
#include <string.h>

static int check_mapping(reel_op_ctx *x, json_t *doc, json_t *mj, reel_mapping *m,
                         reel_error *err)
{
    int rc = reel_mapping_parse(mj, m, err);
    if (rc)
        return rc;
    if (m->action == REEL_MAP_PARAM) {
        reel_auto_range r;
        if ((rc = reel_auto_target_resolve(doc, m->target, &r, err)))
            return rc;
    } else if (m->action == REEL_MAP_RECORD_ARM &&
               !reel_project_find(json_object_get(doc, "lanes"), m->target, NULL)) {
        return reel_error_set(err, REEL_ENOENT, "mapping: no lane '%.64s' in this project",
                              m->target);
    }
    const char *port = json_string_value(json_object_get(mj, "port"));
    if (port) {
        if ((rc = reel_transport_controller(x->service, err)))
            return rc;
        if ((rc = reel_map_live_check_port(reel_transport_maps(x->service), port, err)))
            return rc;
    }
    return REEL_OK;
}

static void reload(reel_op_ctx *x, const char *project)
{
    reel_map_live *m = reel_transport_maps(x->service);
    char live[128];
    if (!m)
        return;
    reel_map_live_project(m, live, sizeof live);
    if (strcmp(live, project) != 0)
        return;
    reel_project_version v;
    json_t *doc = NULL;
    if (!reel_project_version_get(reel_store_db(x->st), project, NULL, &v, NULL) &&
        !reel_project_load(x->st, v.version, &doc, NULL))
        reel_map_live_load(m, project, doc);
    json_decref(doc);
}

static int edit_mapping_add(reel_op_ctx *x, json_t *doc, json_t *args, json_t *reply,
                            reel_error *err)
{
    json_t *mj = json_deep_copy(json_object_get(args, "mapping"));
    reel_mapping m;
    int rc = check_mapping(x, doc, mj, &m, err);
    if (!rc && m.id[0] && reel_project_find(json_object_get(doc, "mappings"), m.id, NULL))
        rc = reel_error_set(err, REEL_EEXIST, "mapping '%.64s' exists already", m.id);
    if (!rc) {
        char id[REEL_PROJECT_ID_MAX];
        if (!m.id[0]) {
            reel_project_new_id(doc, "m", id);
            json_object_set_new(mj, "id", json_string(id));
        }
        if (!json_is_array(json_object_get(doc, "mappings")))
            json_object_set_new(doc, "mappings", json_array());
        json_array_append(json_object_get(doc, "mappings"), mj);
        json_object_set(reply, "mapping", json_object_get(mj, "id"));
    }
    json_decref(mj);
    return rc;
}

static int op_mapping_add(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    int rc = reel_project_edit(x, args, "mapping_add", edit_mapping_add, out, err);
    if (!rc)
        reload(x, reel_arg_str(args, "project", ""));
    return rc;
}

static int edit_mapping_remove(reel_op_ctx *x, json_t *doc, json_t *args, json_t *reply,
                               reel_error *err)
{
    (void)x;
    (void)reply;
    return reel_project_remove_item(doc, "mappings", reel_arg_str(args, "mapping", ""), "mapping", err);
}

static int op_mapping_remove(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    int rc = reel_project_edit(x, args, "mapping_remove", edit_mapping_remove, out, err);
    if (!rc)
        reload(x, reel_arg_str(args, "project", ""));
    return rc;
}

static int op_mapping_list(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    const char *project = reel_arg_str(args, "project", "");
    reel_project_version v;
    json_t *doc = NULL;
    int rc = reel_project_version_get(reel_store_db(x->st), project,
                                      reel_arg_str(args, "version", NULL), &v, err);
    if (!rc)
        rc = reel_project_load(x->st, v.version, &doc, err);
    if (rc)
        return rc;
    json_t *maps = json_object_get(doc, "mappings");
    *out = json_pack("{s:s, s:s, s:o}", "project", project, "version", v.version, "mappings",
                     maps ? json_incref(maps) : json_array());
    reel_map_live *m = reel_transport_maps(x->service);
    if (m)
        json_object_set_new(*out, "live", reel_map_live_state(m));
    json_decref(doc);
    return REEL_OK;
}

static int op_mapping_learn(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    int rc = reel_transport_controller(x->service, err);
    if (rc)
        return rc;
    json_t *input = NULL;
    rc = reel_map_live_learn(reel_transport_maps(x->service),
                             json_number_value(json_object_get(args, "timeout")) ?: 30.0, &input,
                             err);
    if (rc)
        return rc;
    json_t *mapping = json_deep_copy(json_object_get(args, "mapping"));
    if (!mapping)
        mapping = json_object();
    json_object_set(mapping, "input", input);
    json_t *eargs = json_deep_copy(args);
    json_object_del(eargs, "timeout");
    json_object_set_new(eargs, "mapping", mapping);
    rc = op_mapping_add(x, eargs, out, err);
    if (!rc)
        json_object_set(*out, "input", input);
    json_decref(eargs);
    json_decref(input);
    return rc;
}

static int op_mapping_input(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    reel_map_live *m = reel_transport_maps(x->service);
    if (!m)
        return reel_error_set(err, REEL_ESTATE, "no transport: mappings are not running");
    json_t *midi = json_object_get(args, "midi");
    const char *osc = reel_arg_str(args, "osc", NULL);
    if ((midi != NULL) == (osc != NULL))
        return reel_error_set(err, REEL_EINVAL, "mapping_input takes exactly one of 'osc' "
                              "and 'midi'");
    if (midi) {
        uint8_t d[3];
        size_t n = json_array_size(midi);
        for (size_t i = 0; i < n && i < 3; i++)
            d[i] = (uint8_t)json_integer_value(json_array_get(midi, i));
        int rc = reel_map_live_midi(m, d, n, err);
        if (!rc)
            *out = json_pack("{s:O}", "midi", midi);
        return rc;
    }
    json_t *tj = json_object_get(args, "touch");
    int applied = 0;
    int rc = reel_map_live_osc(m, osc, json_number_value(json_object_get(args, "value")),
                               tj ? json_is_true(tj) : -1, reel_arg_str(args, "reply_to", NULL),
                               &applied, err);
    if (!rc)
        *out = json_pack("{s:s, s:i}", "osc", osc, "mappings", applied);
    return rc;
}

static const reel_op ops[] = {
    {"mapping_add", "Add a controller mapping to a project: MIDI CC, note, program change, "
                    "pitch bend, NRPN or an OSC address, through a transform, to a parameter or "
                    "an action; with feedback and pickup.", 0, op_mapping_add},
    {"mapping_remove", "Remove a controller mapping.", 0, op_mapping_remove},
    {"mapping_list", "The controller mappings of a project, and the live controller's "
                     "ports and counters.", 0, op_mapping_list},
    {"mapping_learn", "MIDI learn: wait for the next message on the controller input "
                      "(control_in) and map it to the target given.", 0, op_mapping_learn},
    {"mapping_input", "Feed the mappings in force one controller message: an OSC address "
                      "and value, or MIDI bytes.", 0, op_mapping_input},
};

static const reel_op_table mapping_ops = {
    .name = "mappings",
    .order = 17,
    .ops = ops,
    .n = sizeof ops / sizeof ops[0],
};
REEL_OP_TABLE(mapping_ops);
