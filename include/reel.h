/*
 * reel.h — the public C API of libreel (DESIGN.md section 13).
 *
 * One opaque context per store and one entry point for every operation:
 * reel_call(ctx, "grab", "{\"seconds\": 10}", &result) runs the op `grab`
 * exactly as `reel call grab '{"seconds": 10}'`, `POST /api/ops/grab`, OSC
 * and MCP run it: same JSON Schema for the arguments, same result, same
 * error. reel_ops() lists every op with its summary and argument schema
 * (what `reel call --list`, GET /api/ops and MCP's tools/list show).
 *
 * Where an op runs: if a `reel serve` is recording the store (it writes
 * <store>/serve.json), every call goes to it over its HTTP API, because it
 * owns the devices and the recorder; otherwise the op runs in this process
 * against the store, and ops that need a recorder (stream_start,
 * session_play...) fail with REEL_ESTATE naming the fix. This is checked
 * on every call, so a context opened before `reel serve` started reaches it.
 *
 * Conventions (libuv style): functions return 0 (REEL_OK) on success or a
 * negative reel_err code. Strings the library returns through a `char **`
 * are allocated by it and released with reel_free(). Errors come back as
 * JSON of the same shape every surface uses:
 *     {"error": {"code": "invalid_argument", "message": "grab: ..."}}
 * where "code" is a stable name of the reel_err code and "message" is one
 * line for a person.
 *
 * Threads: noted per function. A reel_ctx may be shared by any number of
 * threads for reel_call; opening and closing it are not concurrent with
 * anything else on the same context.
 *
 * Only the functions declared here are exported from libreel.so.
 */
#ifndef REEL_H
#define REEL_H

#ifdef __cplusplus
extern "C" {
#endif

#define REEL_VERSION_MAJOR 0
#define REEL_VERSION_MINOR 1
#define REEL_VERSION_PATCH 0

/* Every failure's code; the JSON error's "code" is its stable name. */
typedef enum reel_err {
    REEL_OK = 0,
    REEL_EINVAL = -1,   /* "invalid_argument": bad argument or malformed input */
    REEL_ENOENT = -2,   /* "not_found": no such op, stream, artifact, blob or file */
    REEL_EEXIST = -3,   /* "already_exists" */
    REEL_EIO = -4,      /* "io_error": I/O failure (disk, permissions, network) */
    REEL_ENOMEM = -5,   /* "out_of_memory" */
    REEL_ECORRUPT = -6, /* "corrupt": stored data does not match its name or format */
    REEL_EAMBIG = -7,   /* "ambiguous": a hash prefix matches more than one blob */
    REEL_ERANGE = -8,   /* "out_of_range": a time range outside the recording */
    REEL_EFORMAT = -9,  /* "unsupported_format": audio or file format */
    REEL_ESTATE = -10,  /* "illegal_state": illegal in the current state */
    REEL_EFULL = -11,   /* "full": a ring or chunk has no room */
    REEL_EDB = -12,     /* "database_error": the SQLite index failed */
    REEL_EDEVICE = -13, /* "device_error": an audio or MIDI device failed */
    REEL_ENOSPC = -14,  /* "no_space": the store's filesystem is full (or over quota) */
    REEL_ECONFLICT = -15, /* "conflict": an edit computed from a version that is no longer the head */
} reel_err;

/* A store and the service over it. Opaque. */
typedef struct reel_ctx reel_ctx;

/* reel_open flags. */
enum reel_open_flags {
    REEL_OPEN_CREATE = 1 << 0, /* create the store if it does not exist (`reel init`) */
};

/* Library version, "MAJOR.MINOR.PATCH"; static, never NULL.
 * Thread-safe. */
const char *reel_version(void);

/* A code's description ("invalid argument", ...); static, never NULL (an
 * unknown code is "unknown error"). Thread-safe. */
const char *reel_strerror(int code);

/* Open the store at `store_root` (NULL: $REEL_HOME, else
 * ${XDG_DATA_HOME:-$HOME/.local/share}/reel). `flags`: 0 or
 * REEL_OPEN_CREATE. On success *out is the context and *error (when
 * `error` is not NULL) is NULL; on failure *out is NULL and *error is the
 * error JSON (release it with reel_free). Opening does not start recording
 * and does not need a running `reel serve`.
 * Thread-safe (independent contexts may be opened concurrently). */
int reel_open(reel_ctx **out, const char *store_root, unsigned flags, char **error);

/* Run op `op` with `json_args` (a JSON object as text; NULL or "" means
 * {}). *json_result is always set to a new string the caller releases with
 * reel_free: the op's result as JSON on success, the error JSON on failure
 * (unknown op: REEL_ENOENT; malformed JSON or arguments outside the op's
 * schema: REEL_EINVAL naming the field). Only if even the error cannot be
 * allocated is *json_result NULL (REEL_ENOMEM).
 * Thread-safe: any number of threads may call it on one context at once;
 * ops that change what is recorded are serialized by the recorder. A call
 * blocks until its op finishes (a grab of the live edge waits for the
 * data). Must not race with reel_close on the same context. */
int reel_call(reel_ctx *ctx, const char *op, const char *json_args, char **json_result);

/* Every op: *json_result is a new string (release with reel_free), a JSON
 * array of {"name", "summary", "input_schema"} in a stable order; on
 * failure it is the error JSON, or NULL if even that cannot be allocated.
 * Needs no context: the ops are the library's. Thread-safe. */
int reel_ops(char **json_result);

/* Release a string libreel returned (NULL is fine). Thread-safe. */
void reel_free(char *s);

/* Close the context (NULL is fine): releases its store handles. A running
 * `reel serve` is not affected. Every reel_call on `ctx` must have
 * returned; not thread-safe with respect to other calls on `ctx`. */
void reel_close(reel_ctx *ctx);


/* ---- The engine functions (reel_audio_*; seed 004 section 5.2) ----------
 *
 * Each is a thin wrapper over one op, run through reel_call on `ctx` (so
 * routed to a running `reel serve` like every call, validated by the op's
 * schema, answered with the op's result or error JSON). They act on the
 * project reel_audio_init bound to the context; the other ops stay
 * reachable through reel_call.
 *
 * Common shape: return 0 or a negative reel_err. `json_result` may be
 * NULL (no answer wanted); otherwise *json_result is set as reel_call sets
 * it (the op's result JSON, or the error JSON; release with reel_free).
 * Every failure also sets the context's last error line
 * (reel_audio_get_last_error), "reel_audio_FN: message". Malformed JSON or
 * a missing argument is REEL_EINVAL and changes nothing. Functions that
 * need the binding fail with REEL_ESTATE before reel_audio_init.
 * A JSON object argument may name "project" only as the bound project.
 *
 * Threads: every function is thread-safe on one context (the binding and
 * the last error are guarded; ops run as reel_call runs them), except that
 * calls racing reel_audio_init/reel_audio_shutdown may see either binding,
 * and none may race reel_close. */

/* Bind `ctx` to a project. `project_json` is either {"project": "ID"} (an
 * existing project, checked with op project_get) or op project_create's
 * arguments {"name", "rate", "seed"} (a new project; {} is fine). Binding
 * again replaces the binding. Result: {"project", "name", "head" (the head
 * version), "created"}. Thread-safe (see above). */
int reel_audio_init(reel_ctx *ctx, const char *project_json, char **json_result);

/* Unbind: stops the transport first if it plays the bound project
 * (transport_stop). Unbound: nothing to do, 0. Thread-safe (see above). */
int reel_audio_shutdown(reel_ctx *ctx);

/* The tempo map as one segment from beat 0 at `bpm`, keeping the meter of
 * the head's first segment (4/4 if none): op tempo_set. A new version.
 * Thread-safe. */
int reel_audio_set_tempo(reel_ctx *ctx, double bpm, char **json_result);

/* The tempo map: `segments_json` is a JSON array of
 * {"beat", "bpm", "num", "den"} (op tempo_set's "tempo"). Thread-safe. */
int reel_audio_set_tempo_segments(reel_ctx *ctx, const char *segments_json, char **json_result);

/* Play the bound project's head through JACK: op transport_play.
 * `options_json` (NULL: {}) takes that op's other arguments: "from" (a
 * timeline position), "timeline", "node", "version", "ports" (JACK input
 * ports to connect). Thread-safe. */
int reel_audio_play(reel_ctx *ctx, const char *options_json, char **json_result);

/* Stop playback, the position stays: op transport_stop. Thread-safe. */
int reel_audio_stop(reel_ctx *ctx, char **json_result);

/* Move the playhead: op transport_seek {"to": position}. `position` is in
 * the playing timeline's timebase: seconds on a seconds timeline, beats on
 * a beats one. REEL_ESTATE if nothing was played yet. Thread-safe. */
int reel_audio_seek(reel_ctx *ctx, double position, char **json_result);

/* Import an audio file into the store: op import {"path"} (a relative
 * path is made absolute here). Result: the op's, with "artifact", the id
 * add_clip's "source" takes. Needs no binding. Thread-safe. */
int reel_audio_load_file(reel_ctx *ctx, const char *path, char **json_result);

/* Add a clip: `clip_json` is op clip_add's arguments ({"track", "at",
 * "source", "gain"...}). Result: the op's (the new version, the clip's
 * id). Thread-safe. */
int reel_audio_add_clip(reel_ctx *ctx, const char *clip_json, char **json_result);

/* Remove clip `clip_id`: op clip_remove. Thread-safe. */
int reel_audio_remove_clip(reel_ctx *ctx, const char *clip_id, char **json_result);

/* Change clip `clip_id` (NULL: the changes' own "clip"): `changes_json` is
 * op clip_update's arguments ({"gain", "pan", "mute", "fade_in"...}).
 * Thread-safe. */
int reel_audio_update_clip(reel_ctx *ctx, const char *clip_id, const char *changes_json,
                           char **json_result);

/* Set the routing graph: `graph_json` is {"nodes": [...], "connections":
 * [...]} (op graph_set's "graph"). Thread-safe. */
int reel_audio_set_routing_graph(reel_ctx *ctx, const char *graph_json, char **json_result);

/* Change the routing: {"node", "param", "value"} changes one parameter of
 * the graph playing in place, without a rebuild (op node_param_set: gain,
 * pan, mute, solo of a track or bus node, or an LV2 plugin's control input
 * by symbol); any other object is a whole new graph, as
 * reel_audio_set_routing_graph (op graph_set: a new version, compiled and
 * swapped in by the next reel_audio_play). Thread-safe. */
int reel_audio_update_routing(reel_ctx *ctx, const char *graph_json, char **json_result);

/* Record into a track while the transport plays (op track_record_start:
 * `record_json` is {"track", "stream" (a stream `reel serve` records), and
 * optionally "port"}); stop (op track_record_stop; `record_id` is unused:
 * one take at a time) places the take, the stream's window, as a clip by
 * the shared frame clock and the round-trip latency. Needs the store's
 * running `reel serve`. Thread-safe. */
int reel_audio_start_record(reel_ctx *ctx, const char *record_json, char **json_result);
int reel_audio_stop_record(reel_ctx *ctx, const char *record_id, char **json_result);

/* Scheduling an action event: not supported yet (no engine op); always
 * REEL_ESTATE, "not supported yet". Thread-safe. */
int reel_audio_schedule_action(reel_ctx *ctx, const char *action_json, char **json_result);

/* Place an action clip: op clip_add with "kind": "action" (`clip_json` is
 * clip_add's arguments; a "kind" other than "action" is REEL_EINVAL).
 * Thread-safe. */
int reel_audio_load_action_clip(reel_ctx *ctx, const char *clip_json, char **json_result);

/* The state: *json_result (not NULL; release with reel_free) is
 * {"project", "name", "head" (the bound project's head version, op
 * project_get), "transport" (op transport_state: "playing",
 * "position_frame", "position_seconds", "project" and "version" playing,
 * ports...)}. Thread-safe. */
int reel_audio_get_state_json(reel_ctx *ctx, char **json_result);

/* The last failing reel_audio_ call's error on `ctx`, one line
 * ("reel_audio_FN: message"; "" if none failed). The string belongs to the
 * calling thread and stays valid until its next reel_audio_get_last_error;
 * thread-safe, but "last" is across every thread using `ctx` (a thread
 * wanting its own call's error reads that call's json_result). */
const char *reel_audio_get_last_error(reel_ctx *ctx);

#ifdef __cplusplus
}
#endif

#endif /* REEL_H */
