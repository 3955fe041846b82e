/*
 * cmd_project.c — the project commands for people: `reel project ...`,
 * `reel track ...`, `reel timeline ...`, `reel marker add|remove ...`,
 * `reel tempo set ...`, `reel event ...`, `reel clip ...` and
 * `reel take place ...`. Each verb is one row: the op it runs
 * (model/project/), the keys its operands fill, its usage line; the words
 * become the op's arguments by cli_op_args (cli_op_flags.c, typed by the
 * op's schema), the op runs through cli_call (the running serve, else this
 * process) and its reply is printed as JSON, as `reel call` prints it.
 *
 * Must never: edit a project itself or check what the op's schema and the
 * op check (one rule, on every surface).
 */
#include "cli.h"

#include "store/cas.h"

#include <stdlib.h>
#include <string.h>

typedef struct op_verb {
    const char *verb;
    const char *op;
    const char *operands[3]; /* the keys operands fill, in order (see cli_op_args) */
    const char *usage;       /* after "reel FAMILY VERB" */
} op_verb;

typedef struct op_family {
    const char *name;
    const char *about; /* one or more lines of help, each starting with two spaces */
    const op_verb *verbs;
    size_t n;
} op_family;

#define EDIT "[--base V]"

static const op_verb project_verbs[] = {
    {"create", "project_create", {"name"}, "[NAME] [--rate N] [--seed N]"},
    {"list", "project_list", {0}, ""},
    {"show", "project_get", {"project"}, "P [--version V]"},
    {"history", "project_history", {"project"}, "P"},
    {"undo", "project_undo", {"project"}, "P " EDIT},
    {"redo", "project_redo", {"project"}, "P " EDIT},
    {"prune", "project_prune", {"project"}, "P --keep N"},
};

static const op_verb track_verbs[] = {
    {"add", "track_add", {"project"},
     "P [--name N] [--kind audio|midi] [--channels N] [--gain G]\n"
     "              [--pan P] [--mute] [--solo] " EDIT},
    {"update", "track_update", {"project", "track"},
     "P T [--name N] [--kind audio|midi] [--channels N] [--gain G]\n"
     "              [--pan P] [--[no-]mute] [--[no-]solo] " EDIT},
    {"remove", "track_remove", {"project", "track"}, "P T " EDIT},
};

static const op_verb timeline_verbs[] = {
    {"add", "timeline_add", {"project"}, "P [--name N] [--timebase seconds|beats] " EDIT},
    {"update", "timeline_update", {"project", "timeline"},
     "P TL [--name N] [--timebase seconds|beats]\n"
     "              [--loop-from X --loop-to Y | --loop-clear] " EDIT},
    {"remove", "timeline_remove", {"project", "timeline"}, "P TL " EDIT},
    {"play", "timeline_play", {"project", "timeline"},
     "P [TL] [--from X | --marker M] [--to X] [--port PORT]..."},
    {"stop", "timeline_stop", {"project", "timeline"}, "[P [TL]]"},
    {"seek", "timeline_seek", {0}, "--to X | --marker M"},
    {"loop", "timeline_set_loop", {"project", "timeline"},
     "P TL --start-marker M --end-marker M (neither: no loop) " EDIT},
    {"state", "timeline_get_state", {"project", "timeline"}, "[P [TL]]"},
    {"segment", "play_marker_segment", {"project"},
     "P [--timeline TL] --start-marker M --end-marker M [--loop]"},
    {"asset", "play_asset_as_timeline", {"project", "artifact"},
     "P ARTIFACT [--track T] [--marker M]   (its reference timeline)"},
};

static const op_verb marker_verbs[] = {
    {"add", "marker_add", {"project"}, "P --at X [--name N] [--tag T]... [--timeline TL] " EDIT},
    {"remove", "marker_remove", {"project", "marker"}, "P M " EDIT},
};

static const op_verb tempo_verbs[] = {
    {"set", "tempo_set", {"project"},
     "P --tempo '[{\"beat\":0,\"bpm\":120,\"num\":4,\"den\":4},...]' " EDIT},
};

static const op_verb event_verbs[] = {
    {"add", "timeline_event_add", {"project"},
     "P --at X --type TYPE [--target T] [--payload '{JSON}']\n"
     "              [--timeline TL] " EDIT},
    {"remove", "timeline_event_remove", {"project", "event"}, "P E " EDIT},
};

static const op_verb clip_verbs[] = {
    {"add", "clip_add", {"project"},
     "P --track T --at X (--source ARTIFACT|blake3:HASH [--start F] [--end F] |\n"
     "              --kind action [--length L] [--events '[JSON]'] | --kind timeline\n"
     "              --nested TL) [--timeline TL] [--group G] [--gain G] [--pan P] [--mute]\n"
     "              [--fade-in F] [--fade-out F] ... " EDIT},
    {"update", "clip_update", {"project", "clip"},
     "P C [--gain G] [--pan P] [--[no-]mute] [--[no-]solo] [--fade-in F]\n"
     "              [--fade-out F] [--stretch R] [--pitch S] [--algorithm A] [--length L]\n"
     "              [--[no-]loop] ... "
     EDIT},
    {"remove", "clip_remove", {"project", "clip"}, "P C " EDIT},
    {"split", "clip_split", {"project", "clip"}, "P C --at X " EDIT},
    {"join", "clip_join", {"project", "clips"}, "P C1 C2 " EDIT},
    {"trim", "clip_trim", {"project", "clip"}, "P C [--start F] [--end F] [--length L] " EDIT},
    {"move", "clip_move", {"project", "clip"}, "P C [--at X] [--track T] [--timeline TL] " EDIT},
    {"group", "clip_group", {"project", "clips"}, "P C1 C2... [--group G] " EDIT},
};

static const op_verb take_verbs[] = {
    {"place", "take_place", {"stream"},
     "STREAM --from T --to T --project P --track T --at X\n"
     "              [--timeline TL] " EDIT},
};

static const op_verb graph_verbs[] = {
    {"set", "graph_set", {"project"},
     "P --graph '{\"nodes\":[...],\"connections\":[...]}' " EDIT},
};

static const op_verb lane_verbs[] = {
    {"add", "lane_add", {"project"},
     "P --target NODE:PARAM|clip:C:gain [--mode M] [--timeline TL] " EDIT},
    {"write", "lane_write", {"project", "lane"},
     "P L --events '[{\"frame\":F,\"value\":V},{\"at\":X,\"type\":\"ramp\",...}]'\n"
     "              [--replace] [--from X --to X] " EDIT},
    {"list", "lane_list", {"project"}, "P [--version V]"},
    {"get", "lane_get", {"project", "lane"},
     "P L [--from-frame F] [--to-frame F] [--limit N] [--version V]"},
    {"clear", "lane_clear", {"project", "lane"}, "P L [--from X --to X] " EDIT},
    {"mode", "lane_mode_set", {"project", "lane", "mode"},
     "P L manual|play|write|touch|latch|overdub " EDIT},
    {"remove", "lane_remove", {"project", "lane"}, "P L " EDIT},
    {"compact", "lane_compact", {"project", "lane"}, "P L " EDIT},
};

static const op_verb automation_verbs[] = {
    {"schedule", "automation_schedule", {0},
     "--target T --value V [--type set|ramp|trigger] [--frame F | --at X]\n"
     "              [--ramp-frames N | --ramp L] [--curve C] [--touch | --no-touch]"},
    {"arm", "record_arm", {"lane"},
     "L [--no-on] [--punch-from X] [--punch-to X] [--touch-timeout S]\n"
     "              [--quantize-frames N]"},
    {"values", "param_values", {0}, "[--targets T,...]"},
};

static const op_verb scene_verbs[] = {
    {"capture", "scene_capture", {"project"}, "P [--name N] [--targets T,...] " EDIT},
    {"recall", "scene_recall", {"project", "scene"},
     "P S [--mode instant|crossfade|morph] [--time SECONDS]\n"
     "              [--quantize none|beat|bar]"},
    {"remove", "scene_remove", {"project", "scene"}, "P S " EDIT},
    {"push", "scene_push", {"project", "scene"}, "P S [--mode M] [--time SECONDS] [--quantize Q]"},
    {"pop", "scene_pop", {0}, "[--mode M] [--time SECONDS] [--quantize Q]"},
};

static const op_verb mapping_verbs[] = {
    {"add", "mapping_add", {"project"},
     "P --mapping '{\"input\":{\"midi\":\"cc\",\"channel\":1,\"number\":7},\n"
     "              \"target\":\"NODE:gain\",\"transform\":{...}}' " EDIT},
    {"remove", "mapping_remove", {"project", "mapping"}, "P M " EDIT},
    {"list", "mapping_list", {"project"}, "P [--version V]"},
    {"learn", "mapping_learn", {"project"},
     "P --mapping '{\"target\":\"NODE:gain\"}' [--timeout SECONDS]"},
    {"input", "mapping_input", {0}, "--osc /ADDRESS --value V [--touch] | --midi B,B,B"},
};

static const op_verb widget_verbs[] = {
    {"add", "widget_add", {"project"},
     "P --widget '{\"kind\":\"slider\",\"targets\":[{\"target\":\"NODE:gain\"}]}' " EDIT},
    {"update", "widget_update", {"project", "widget"},
     "P W [--kind K] [--name N] [--targets JSON] " EDIT},
    {"remove", "widget_remove", {"project", "widget"}, "P W " EDIT},
    {"set", "widget_set", {"project", "widget"},
     "P W [--value X | --x X --y Y] [--touch | --no-touch]"},
};

static const op_verb follow_verbs[] = {
    {"set", "follow_set", {"project"},
     "P --scope clip|group|timeline --target ID [--timeline TL]\n"
     "              --a '{\"action\":\"PlayNextClip\"}' [--b '{\"action\":\"Stop\"}'] [--chance PCT]\n"
     "              [--loops N | --no-linked --after X] [--quantize none|beat|bar] " EDIT},
    {"clear", "follow_clear", {"project"}, "P [--follow F | --target ID | --all] " EDIT},
    {"enable", "follow_enable", {"project", "enabled"}, "P true|false " EDIT},
};

#define FAMILY(n, about, v) {n, about, v, sizeof v / sizeof v[0]}
static const op_family families[] = {
    FAMILY("project",
           "  projects: versioned documents in the store (tracks, timelines, tempo, clips).\n"
           "  Every edit stores a new version and prints it; undo and redo move the head.\n",
           project_verbs),
    FAMILY("track", "  a project's tracks (P: the project id, T: a track id)\n", track_verbs),
    FAMILY("timeline",
           "  a project's timelines (TL: a timeline id; the first is the default), and playing\n"
           "  one through the transport: play, stop, seek, loop between markers, state, a\n"
           "  segment between two markers, an audio artifact as its reference timeline.\n",
           timeline_verbs),
    FAMILY("marker",
           "  markers on a project's timeline (M: a marker id). `reel marker STREAM\n"
           "  [--name N]` marks a moment on a stream instead (see `reel marker --help`).\n",
           marker_verbs),
    FAMILY("tempo", "  a project's tempo map: segments of bpm and time signature from a beat\n",
           tempo_verbs),
    FAMILY("event",
           "  timeline events (seed 004 section 7.4: audio_clip_start, timeline_play,\n"
           "  routing_set, ui_show, script_run...) stored for the engine (E: an event id)\n",
           event_verbs),
    FAMILY("clip",
           "  clips on a project's timelines (C: a clip id). Positions (--at) are seconds or\n"
           "  beats, the timeline's timebase; --start/--end are frames in the source.\n"
           "  split keeps C for the left part; join of two contiguous clips undoes a split.\n",
           clip_verbs),
    FAMILY("graph",
           "  a project's routing graph: nodes (track, bus, output) and connections with\n"
           "  channels and gain; no nodes: every audio track into a stereo output \"master\".\n"
           "  `reel render P` renders it (see `reel render --help`).\n",
           graph_verbs),
    FAMILY("lane",
           "  automation lanes (L: a lane id): commands (set, ramp with a curve, trigger) at\n"
           "  frames for one target (\"NODE:gain|pan|mute|solo\", \"NODE:LV2_SYMBOL\",\n"
           "  \"clip:C:gain\"), stored as chunks in CAS; render and play apply them at their\n"
           "  exact frames. Ramps step every 16 frames; curves: linear, exponential,\n"
           "  logarithmic, s_curve, discrete.\n",
           lane_verbs),
    FAMILY("automation",
           "  the graph playing (transport_play): schedule a command on a target at a frame\n"
           "  or position (default: the next frame played), arm a lane for the recorder\n"
           "  (its mode: write, touch, latch, overdub; each pass is one undo step), read the\n"
           "  parameters' current values.\n",
           automation_verbs),
    FAMILY("scene",
           "  scenes (S: a scene id): values of targets captured from the graph playing or\n"
           "  the document; recalled instantly, crossfaded or morphed, on the next beat or\n"
           "  bar; push saves the current values and recalls, pop restores them.\n",
           scene_verbs),
    FAMILY("mapping",
           "  controller mappings (M: a mapping id): MIDI CC, note, program, bend or NRPN on\n"
           "  the transport's JACK port control_in, or an OSC address, through a transform\n"
           "  (min, max, curve, deadzone, smoothing, quantize, invert) to a parameter or an\n"
           "  action; feedback to control_out and the OSC sender; pickup; learn binds the\n"
           "  next message received.\n",
           mapping_verbs),
    FAMILY("widget",
           "  widgets (W: a widget id): sliders, macros, toggles, buttons and XY pads in the\n"
           "  project, each driving parameters (through a mapping's transform) and actions;\n"
           "  set moves one of the project playing (positions 0..1; a toggle set without a\n"
           "  value flips).\n",
           widget_verbs),
    FAMILY("follow",
           "  follow actions (F: an attachment id) on a clip, a group or a timeline: two\n"
           "  actions A and B with A's chance in percent, after the clip's end N times\n"
           "  (linked) or after a time (unlinked), on a beat or bar if quantized; seeded by\n"
           "  the project's seed, so a render and a realtime run choose alike. enable false\n"
           "  switches them all off while editing.\n",
           follow_verbs),
    FAMILY("take",
           "  a window of a captured stream placed on a track without copying a frame\n"
           "  (a virtual slice; time specs as for `reel slice`: -2m, head, #FRAME...)\n",
           take_verbs),
};

static const op_family *family_find(const char *name)
{
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
        if (strcmp(families[i].name, name) == 0)
            return &families[i];
    return NULL;
}

static const op_verb *verb_find(const op_family *fam, const char *verb)
{
    for (size_t i = 0; verb && i < fam->n; i++)
        if (strcmp(fam->verbs[i].verb, verb) == 0)
            return &fam->verbs[i];
    return NULL;
}

static void verb_list(const op_family *fam, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < fam->n; i++) {
        int n = snprintf(buf + o, len - o, "%s%s", i ? ", " : "", fam->verbs[i].verb);
        if (n < 0 || (size_t)n >= len - o)
            break;
        o += (size_t)n;
    }
}

static int run_family(cli *c, const op_family *fam)
{
    char verbs[256];
    verb_list(fam, verbs, sizeof verbs);
    if (c->argc < 2)
        return fail(REEL_EINVAL, "%s: which one? (%s; see reel %s --help)", fam->name, verbs,
                    fam->name);
    const op_verb *v = verb_find(fam, c->argv[1]);
    if (!v && c->argv[1][0] == '-')
        return fail(REEL_EINVAL, "%s: unknown option '%s' (first a subcommand: %s)", fam->name,
                    c->argv[1], verbs);
    if (!v)
        return fail(REEL_EINVAL, "%s: unknown subcommand '%s' (one of: %s)", fam->name,
                    c->argv[1], verbs);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "%s %s", fam->name, v->verb);
    json_t *args, *out = NULL;
    int rc = cli_op_args(cmd, v->op, v->operands, v->usage, c->argc - 2, c->argv + 2, &args);
    if (rc)
        return rc;
    rc = cli_call(c, v->op, args, &out);
    json_decref(args);
    if (rc == 0)
        print_json(out);
    return rc;
}

static void usage_lines(const op_family *fam, const op_verb *only, FILE *f)
{
    bool first = true;
    for (size_t i = 0; i < fam->n; i++) {
        const op_verb *v = &fam->verbs[i];
        if (only && v != only)
            continue;
        fprintf(f, "%s reel %s %s%s%s\n", first ? "usage:" : "      ", fam->name, v->verb,
                v->usage[0] ? " " : "", v->usage);
        first = false;
    }
}

int cli_op_help(const cli *c, FILE *f)
{
    const op_family *fam = c->argc ? family_find(c->argv[0]) : NULL;
    if (!fam)
        return -1;
    const op_verb *v = c->argc > 1 ? verb_find(fam, c->argv[1]) : NULL;
    if (!v && strcmp(fam->name, "marker") == 0)
        return -1; /* `reel marker STREAM`: its own help (cli_help.c) */
    usage_lines(fam, v, f);
    if (v) {
        cli_op_flags_help(v->op, f);
    } else {
        fputs(fam->about, f);
        fprintf(f, "  `reel %s VERB --help`: that verb's options (from its op's schema).\n",
                fam->name);
    }
    fputs("  Options are the op's arguments: --fade-in is fade_in, a boolean alone is true\n"
          "  (--no-mute: false), a list is repeated or comma-separated, an object is JSON.\n"
          "  An edit takes --base V (refused as a conflict if the head moved) and prints the\n"
          "  reply (the new version) as JSON; it runs in the store's `reel serve` if one runs.\n",
          f);
    cli_help_global(f);
    return 0;
}

int cmd_project(cli *c) { return run_family(c, family_find("project")); }
int cmd_track(cli *c) { return run_family(c, family_find("track")); }
int cmd_timeline(cli *c) { return run_family(c, family_find("timeline")); }
int cmd_tempo(cli *c) { return run_family(c, family_find("tempo")); }
int cmd_event(cli *c) { return run_family(c, family_find("event")); }
int cmd_clip(cli *c) { return run_family(c, family_find("clip")); }
int cmd_take(cli *c) { return run_family(c, family_find("take")); }
int cmd_graph(cli *c) { return run_family(c, family_find("graph")); }
int cmd_lane(cli *c) { return run_family(c, family_find("lane")); }
int cmd_automation(cli *c) { return run_family(c, family_find("automation")); }
int cmd_scene(cli *c) { return run_family(c, family_find("scene")); }
int cmd_mapping(cli *c) { return run_family(c, family_find("mapping")); }
int cmd_widget(cli *c) { return run_family(c, family_find("widget")); }
int cmd_follow(cli *c) { return run_family(c, family_find("follow")); }

int cmd_project_render(cli *c)
{
    static const char usage[] = "PROJECT [--version V] [--timeline TL] [--from X] [--to X]\n"
                                "              [--format F] [--sample-format S] [--block N] "
                                "[--stems] [--out PATH]";
    const char *out_path = NULL;
    int rc = 0, n = 0;
    char **words = calloc((size_t)c->argc + 1, sizeof *words);
    if (!words)
        return fail(REEL_ENOMEM, "out of memory");
    for (int i = 1; i < c->argc && rc == 0; i++) {
        if (!opt_value(c, &i, "--out", &out_path, &rc))
            words[n++] = c->argv[i];
    }
    static const char *const operands[] = {"project", NULL};
    json_t *args = NULL, *res = NULL;
    if (rc == 0 && out_path && !*out_path)
        rc = fail(REEL_EINVAL, "--out needs a path");
    if (rc == 0)
        rc = cli_op_args("render", "render", operands, usage, n, words, &args);
    free(words);
    if (rc)
        return rc;
    rc = cli_call(c, "render", args, &res);
    json_decref(args);
    if (rc)
        return rc;
    if (out_path) {
        reel_store *st;
        reel_hash h;
        reel_error e;
        reel_error_clear(&e);
        if ((rc = open_store(c, &st, false))) {
            json_decref(res);
            return rc;
        }
        const char *content = json_string_value(json_object_get(res, "content"));
        if (reel_cas_resolve(reel_store_cas(st), content ? content : "", &h, &e) ||
            reel_cas_get(reel_store_cas(st), &h, out_path, &e))
            rc = fail_err(&e);
        reel_store_close(st);
        if (rc) {
            json_decref(res);
            return rc;
        }
        json_object_set_new(res, "out", json_string(out_path));
    }
    if (!c->json)
        fprintf(stderr, "reel: rendered %.2f s in %.3f s (%.0fx real time)\n",
                json_number_value(json_object_get(res, "seconds")),
                json_number_value(json_object_get(res, "wall_seconds")),
                json_number_value(json_object_get(res, "speed")));
    print_json(res);
    return 0;
}

bool cli_marker_is_project(const cli *c)
{
    return c->argc > 1 && verb_find(family_find("marker"), c->argv[1]);
}

int cmd_project_marker(cli *c) { return run_family(c, family_find("marker")); }
