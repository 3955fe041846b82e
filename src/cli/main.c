/*
 * main.c — the `reel` command's entry: global options (--store, --json,
 * logging), the table of commands and the top-level usage text. Each
 * command lives in its own cmd_*.c file (declared in cli.h).
 *
 * Exit status: 0 success, 1 runtime failure, 2 usage error. Every failure
 * prints exactly one line on stderr: "reel: <what was wrong>".
 *
 * Must never: implement a command here (a new one is a cmd_*.c file and a
 * row in the table), or touch the store itself.
 */
#include "cli.h"
#include "core/log.h"

#include "io/jack_backend.h"
#include "io/source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- dispatch ------------------------------------------------------------ */

typedef struct cli_command {
    const char *name;
    int (*run)(cli *c);
} cli_command;

static const cli_command commands[] = {
    {"init", cmd_init},
    {"record", cmd_record},
    {"streams", cmd_streams},
    {"status", cmd_status},
    {"slice", cmd_slice},
    {"render", cmd_render},
    {"artifacts", cmd_artifacts},
    {"show", cmd_show},
    {"cas", cmd_cas},
    {"fsck", cmd_fsck},
    {"gc", cmd_gc},
    {"serve", cmd_serve},
    {"engine", cmd_engine},
    {"http", cmd_http},
    {"sync", cmd_sync},
    {"call", cmd_call},
    {"session", cmd_session},
    {"moments", cmd_moments},
    {"marker", cmd_marker},
    {"recover", cmd_recover},
    {"mcp", cmd_mcp},
    {"import", cmd_import},
    {"project", cmd_project},
    {"track", cmd_track},
    {"timeline", cmd_timeline},
    {"tempo", cmd_tempo},
    {"event", cmd_event},
    {"clip", cmd_clip},
    {"take", cmd_take},
    {"graph", cmd_graph},
    {"lane", cmd_lane},
    {"automation", cmd_automation},
    {"scene", cmd_scene},
    {"mapping", cmd_mapping},
    {"widget", cmd_widget},
    {"follow", cmd_follow},
    {"play", cmd_play},
};

static void usage(FILE *f)
{
    fputs("usage: reel [--store DIR] [--json] [--log-level LEVEL] [--log-json] COMMAND ...\n"
          "       reel COMMAND --help               that command's help\n"
          "  init                                   create the store\n"
          "  record (--source SRC [SOURCE OPTIONS])... [--seconds N] [--fast] [--retain SPEC]...\n"
          "         [--staging-grace DUR] [--jack-server NAME]\n"
          "                                         serve in the foreground: each stream records\n"
          "                                         N s (a file: to its end; --fast: at once)\n"
          "  streams                                list streams\n"
          "  status STREAM                          one stream's state\n"
          "  slice STREAM (--last DUR | --from T --to T) [--virtual] [--out PATH]\n"
          "        [--format wav|rf64|w64|flac|raw|mid] [--sample-format f32|i16|i24] [--tag T]...\n"
          "  render ARTIFACT --out PATH             render a virtual slice\n"
          "  render PROJECT [--version V] [--from X --to X] [--format F] [--block N] [--stems]\n"
          "         [--out PATH]\n"
          "                                         a project version through its graph, offline\n"
          "  artifacts [--tag T]...                 list artifacts\n"
          "  show ARTIFACT                          an artifact with its lineage\n"
          "  cas put FILE | get HASH [--out PATH] | has HASH | verify [HASH]\n"
          "  fsck                                   check every blob and reference\n"
          "  gc [--dry-run] [--grace DUR]           delete content nothing references (also\n"
          "                                         `cas gc`); safe while recording\n"
          "  recover [--dry-run] [--staging-grace DUR]  seal streams a dead recorder left,\n"
          "                                         drop unknown staging files (default 10m old)\n"
          "  serve [--source SRC [SOURCE OPTIONS]]... [--engine EP] [--publish EP]\n"
          "        [--seconds N] [--listen ADDR:PORT | --no-http] [--token-file F]\n"
          "        [--osc PORT | --no-osc] [--staging-grace DUR] [--retain RULE]... [--play P]\n"
          "                                         record until stopped (default source: jack\n"
          "                                         if a server runs, else alsa, else tone);\n"
          "                                         HTTP API on 127.0.0.1:7070, OSC on UDP 5005\n"
          "  engine --control EP                    the realtime engine for serve --engine EP\n"
          "  http [--listen ADDR:PORT] [--token-file F]  serve the store over HTTP\n"
          "  sync push|pull URL [HASH...] [--token-file F]  copy the blobs the other side lacks\n"
          "  call OP ['{JSON}'] | call --list       any operation (the ones HTTP, OSC and MCP\n"
          "                                         offer), in the running serve if there is one\n"
          "  session create [--mode passive|request-response] [--stream URI]... | play ID |\n"
          "          stop ID | status [ID] | export ID --format json|archive [--out PATH]\n"
          "  session request --midi FILE.mid|ARTIFACT --out PORT --audio STREAM [--tail 2s]\n"
          "        [--session ID] [--preroll D] [--threshold DB] [--tag T]...\n"
          "                                         play MIDI to a JACK port, store the response\n"
          "  moments STREAM                         the stream's moments (detected, marked)\n"
          "  marker STREAM [--name N]               a moment by hand at the stream's head\n"
          "  import FILE [--name N]                 store an audio file libsndfile reads (WAV,\n"
          "                                         FLAC, OGG, AIFF...) as an audio artifact\n"
          "  project create [NAME] [--rate N] [--seed N] | list | show P [--version V] |\n"
          "          history P | undo P | redo P | prune P --keep N\n"
          "                                         projects: versioned documents in the store\n"
          "  track add P [--name N] [--kind audio|midi] [--channels N] [--gain G] [--mute] |\n"
          "        update P T [--no-mute] ... | remove P T\n"
          "  timeline add P [--name N] [--timebase seconds|beats] |\n"
          "           update P TL [--loop-from X --loop-to Y | --loop-clear] ... | remove P TL\n"
          "  timeline play P [TL] [--from X | --marker M] [--to X] | stop | seek --to X |\n"
          "           loop P TL --start-marker M --end-marker M | state [P [TL]] |\n"
          "           segment P --start-marker M --end-marker M [--loop] | asset P ARTIFACT\n"
          "                                         a timeline through the transport\n"
          "  marker add P --at X [--name N] [--tag T]... | marker remove P M\n"
          "                                         a marker on a project's timeline\n"
          "  tempo set P --tempo '[{\"beat\":0,\"bpm\":120,\"num\":4,\"den\":4},...]'\n"
          "  event add P --at X --type TYPE [--target T] [--payload JSON] | remove P E\n"
          "  clip add P --track T --at X --source ARTIFACT|blake3:HASH [--start F] [--end F] |\n"
          "       update P C [--gain G] [--mute] ... | remove P C | split P C --at X |\n"
          "       join P C1 C2 | trim P C [--start F] [--end F] | move P C [--at X] [--track T]\n"
          "       | group P C1 C2... [--group G]\n"
          "  take place STREAM --from T --to T --project P --track T --at X [--timeline TL]\n"
          "                                         a stream's window on a track, no frame copied\n"
          "  play P [--version V] [--from X] [--port PORT]... [--seconds N]  play a project\n"
          "                                         to JACK (in the running serve, if any)\n"
          "  graph set P --graph '{\"nodes\":[...],\"connections\":[...]}'  the routing graph\n"
          "  lane add P --target NODE:PARAM [--mode M] | write P L --events JSON [--replace]\n"
          "       [--from X --to X] | list P | get P L [--from-frame F] [--to-frame F]\n"
          "       [--limit N] | clear P L | mode P L MODE | remove P L | compact P L\n"
          "                                         automation lanes, played by render and play\n"
          "  automation schedule --target T --value V [--type T] [--frame F | --at X]\n"
          "       [--ramp-frames N | --ramp L] [--curve C] [--touch] | arm L [--no-on]\n"
          "       [--punch-from X] [--punch-to X] [--touch-timeout S] [--quantize-frames N]\n"
          "       | values [--targets T,...]      the graph playing: commands, recorder\n"
          "  scene capture P [--name N] [--targets T,...] | recall P S [--mode M] [--time S]\n"
          "       [--quantize none|beat|bar] | remove P S | push P S ... | pop ...\n"
          "                                         scenes of parameter values\n"
          "  mapping add P --mapping JSON | remove P M | list P | learn P --mapping JSON\n"
          "       [--timeout S] | input --osc /ADDR --value V [--touch] | --midi B,B,B\n"
          "                                         controller mappings (MIDI, OSC), feedback\n"
          "  widget add P --widget JSON | update P W ... | remove P W | set P W [--value X |\n"
          "       --x X --y Y] [--touch]            sliders, toggles, buttons, XY pads, macros\n"
          "  follow set P --scope clip|group|timeline --target ID --a JSON [--b JSON]\n"
          "       [--chance PCT] [--loops N | --no-linked --after X] [--quantize Q]\n"
          "       | clear P [--follow F | --target ID | --all] | enable P true|false\n"
          "                                         follow actions, seeded and gapless\n"
          "    (project, track, timeline, marker add, tempo, event, clip, take: each option is\n"
          "    the op's argument; an edit takes --base V; `reel clip split --help`)\n"
          "SRC: tone[:FREQ] | file:PATH | alsa[:DEVICE] | alsa-midi[:CLIENT:PORT] |\n"
          "     jack[:PORT,...] | jack-midi[:PORT]\n"
          "SOURCE OPTIONS (serve, record; after a --source: that source only, before any:\n"
          "  every source): --stream URI, --rate R, --channels C, --sample-format f32|i16|i24,\n"
          "  --chunk-bytes N | --chunk-frames N, --trigger level|midi|level,midi|off,\n"
          "  --trigger-db DB (default -30), --trigger-hold DUR (default 250ms),\n"
          "  --trigger-hysteresis DB (default 6)\n"
          "  mcp                                    MCP server on stdin/stdout (JSON-RPC lines)\n"
          "time specs T: head, start, -30s, -1m30s, 2026-11-20T10:00:00.250Z, @EPOCH, #FRAME,\n"
          "              session:ID:start|end, session:ID/SEGMENT:start|end (segments 1, 2...),\n"
          "              moment:ID, moment:ID-5s, moment:ID+10s\n"
          "store: --store DIR, else $REEL_HOME, else $XDG_DATA_HOME/reel\n"
          "logging: --log-level error|warn|info|debug (default info, or $REEL_LOG),\n"
          "         --log-json for JSON lines {\"ts\",\"level\",\"module\",\"msg\"} on stderr\n",
          f);
}

int main(int argc, char **argv)
{
    cli c = {0};
    /* The application's choice, process-wide: libjack and alsa-lib print
     * nothing; reel reports every device failure once, as one line. */
    reel_jack_silence_messages();
    reel_source_alsa_quiet();
    const char *log_level = NULL;
    bool log_json = false;
    char **args = calloc((size_t)argc + 1, sizeof *args);
    if (!args)
        return fail(REEL_ENOMEM, "out of memory");
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            c.json = true;
        } else if (strcmp(argv[i], "--store") == 0) {
            if (i + 1 >= argc) {
                free(args);
                return fail(REEL_EINVAL, "--store needs a directory");
            }
            c.store = argv[++i];
        } else if (strncmp(argv[i], "--store=", 8) == 0) {
            c.store = argv[i] + 8;
        } else if (strcmp(argv[i], "--log-json") == 0) {
            log_json = true;
        } else if (strcmp(argv[i], "--log-level") == 0 || strncmp(argv[i], "--log-level=", 12) == 0) {
            if (argv[i][11] == '=')
                log_level = argv[i] + 12;
            else if (i + 1 < argc)
                log_level = argv[++i];
            else {
                free(args);
                return fail(REEL_EINVAL, "--log-level needs a level (error, warn, info or debug)");
            }
        } else {
            args[c.argc++] = argv[i];
        }
    }
    c.argv = args;
    /* The one logger (core/log.h), configured before any thread starts. */
    reel_log_config lc;
    reel_error le;
    reel_error_clear(&le);
    if (reel_log_config_from_env(&lc, &le) && !log_level) {
        free(args);
        return fail_err(&le);
    }
    if (log_level && reel_log_level_parse(log_level, &lc.level, &le)) {
        free(args);
        return fail(REEL_EINVAL, "--log-level: %s", le.msg);
    }
    lc.json = log_json;
    reel_log_configure(&lc);
    int rc;
    const char *cmd = c.argc ? c.argv[0] : NULL;
    if (!cmd) {
        usage(stderr);
        rc = 2;
    } else if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        rc = 0;
    } else if (strcmp(cmd, "--version") == 0) {
        puts("reel 0.1.0");
        rc = 0;
    } else if (c.store && !*c.store) {
        rc = fail(REEL_EINVAL, "--store needs a directory");
    } else {
        const cli_command *k = NULL;
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
            if (strcmp(cmd, commands[i].name) == 0)
                k = &commands[i];
        if (!k && cmd[0] == '-')
            rc = fail(REEL_EINVAL, "unknown option '%s' (see 'reel --help')", cmd);
        else if (!k)
            rc = fail(REEL_EINVAL, "unknown command '%s' (see 'reel --help')", cmd);
        else if (cli_help_wanted(&c))
            rc = cli_op_help(&c, stdout) == 0 || cli_help(cmd, stdout) == 0 ? 0 : 2;
        else
            rc = k->run(&c);
    }
    free(args);
    return rc;
}
