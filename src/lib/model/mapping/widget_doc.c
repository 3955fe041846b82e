/*
 * widget_doc.c — widget documents (see widget_doc.h).
 */
#include "model/mapping/widget_doc.h"

#include <stdio.h>
#include <string.h>

static const char *const kind_names[] = {"slider", "macro", "toggle", "button", "xy"};

int reel_widget_parse(json_t *doc, reel_widget *w, reel_error *err)
{
    memset(w, 0, sizeof *w);
    if (!json_is_object(doc))
        return reel_error_set(err, REEL_EINVAL, "widget: not an object");
    int rc = reel_mapping_id_parse(doc, w->id, "widget", err);
    if (rc)
        return rc;
    const char *kind = json_string_value(json_object_get(doc, "kind"));
    int k = -1;
    for (int i = 0; kind && i < 5; i++)
        if (strcmp(kind, kind_names[i]) == 0)
            k = i;
    if (k < 0)
        return reel_error_set(err, REEL_EINVAL, "widget: kind '%.40s' is not one of slider, "
                              "macro, toggle, button, xy", kind ? kind : "?");
    w->kind = (reel_widget_kind)k;
    json_t *targets = json_object_get(doc, "targets");
    size_t n = json_array_size(targets);
    if (!json_is_array(targets) || n == 0 || n > REEL_WIDGET_TARGETS_MAX)
        return reel_error_set(err, REEL_EINVAL, "widget: 'targets' must list 1 to %d targets",
                              REEL_WIDGET_TARGETS_MAX);
    for (size_t i = 0; i < n; i++) {
        json_t *t = json_array_get(targets, i);
        reel_error e;
        if (reel_mapping_parse_output(t, &w->target[i], &e))
            return reel_error_set(err, e.code, "widget: targets[%zu]: %s", i, e.msg);
        const char *axis = json_string_value(json_object_get(t, "axis"));
        if (json_object_get(t, "axis") && (!axis || (strcmp(axis, "x") && strcmp(axis, "y"))))
            return reel_error_set(err, REEL_EINVAL, "widget: targets[%zu]: 'axis' is x or y", i);
        if (axis && strcmp(axis, "y") == 0 && w->kind != REEL_WIDGET_XY)
            return reel_error_set(err, REEL_EINVAL, "widget: targets[%zu]: only an xy pad has "
                                  "a y axis", i);
        w->axis_y[i] = axis && strcmp(axis, "y") == 0;
    }
    w->n = n;
    return REEL_OK;
}
