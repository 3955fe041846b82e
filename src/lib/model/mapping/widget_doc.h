/*
 * widget_doc.h — widgets (seed 004 sections 2.6 and 10): controls kept in
 * a project document's "widgets", each driving one or more targets the way
 * a controller mapping does (mapping_doc.h: the same target or action and
 * the same transform), from the web page, scripts or agents (widget_set).
 *
 * A widget is {"id", "kind", "name", "targets": [{"target" | "action",
 * "lane", "transform", "axis"}]} (1 to REEL_WIDGET_TARGETS_MAX targets):
 *   slider  one position x in [0, 1] to every target (a macro when several);
 *   macro   the same, named for what it is: one knob, many targets;
 *   toggle  off (0) or on (1); a set without a value flips it;
 *   button  pressed (1) or released (0): parameters follow, actions fire on
 *           the press;
 *   xy      two positions; each target takes its "axis", "x" (default) or "y".
 *
 * Owns: the widget document's rules. Must never: accept a widget one of
 * whose targets it could not carry out.
 */
#ifndef REEL_MODEL_WIDGET_DOC_H
#define REEL_MODEL_WIDGET_DOC_H

#include "model/mapping/mapping_doc.h"

#define REEL_WIDGET_TARGETS_MAX 32

typedef enum reel_widget_kind {
    REEL_WIDGET_SLIDER = 0,
    REEL_WIDGET_MACRO,
    REEL_WIDGET_TOGGLE,
    REEL_WIDGET_BUTTON,
    REEL_WIDGET_XY,
} reel_widget_kind;

typedef struct reel_widget {
    char id[REEL_MAPPING_ID_MAX];
    reel_widget_kind kind;
    size_t n;
    reel_mapping target[REEL_WIDGET_TARGETS_MAX];
    bool axis_y[REEL_WIDGET_TARGETS_MAX];
} reel_widget;

/* The document `doc` as a widget (one error naming the first wrong field;
 * targets are named by index). `id` may be absent. */
int reel_widget_parse(json_t *doc, reel_widget *w, reel_error *err);

#endif
