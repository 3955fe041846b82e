/*
 * cli_help.c — `reel CMD --help`: one command's usage, options and what it
 * does, on stdout. The overview (`reel --help`) is usage() in main.c.
 */
#include "cli.h"

#include <string.h>

typedef struct cmd_help {
    const char *name, *text;
} cmd_help;

static const cmd_help HELP[] = {
    {"init", "usage: reel init\n  create the store ($REEL_HOME or --store DIR)\n"},
    {"record",
     "usage: reel record (--source SRC [SOURCE OPTIONS])... [--seconds N] [--fast]\n"
     "                   [--retain RULE]... [--staging-grace DUR] [--jack-server NAME]\n"
     "  `reel serve` in the foreground for a bounded time, through the same engine and\n"
     "  control plane: each SRC (tone[:FREQ], file:PATH, alsa[:DEV], alsa-midi[:C:P],\n"
     "  jack[:PORT,...], jack-midi[:PORT]) into its stream (default stream://tone/main for\n"
     "  a tone, numbered from 2 when two sources would share one). --seconds N: tone, file\n"
     "  ALSA and JACK streams stop after exactly N seconds of frames (JACK's counted on\n"
     "  the device's clock); --fast ingests a file as fast as the store seals it\n"
     "  (exact samples). One summary line per stream once it is sealed (--json: JSON).\n"
     "  On a terminal a progress line is shown on stderr.\n"
     "  SOURCE OPTIONS, after a --source: that source's; before any: every source's:\n"
     "    --stream URI, --rate R, --channels C, --sample-format f32|i16|i24,\n"
     "    --chunk-bytes N | --chunk-frames N, --trigger level|midi|level,midi|off,\n"
     "    --trigger-db DB, --trigger-hold DUR, --trigger-hysteresis DB\n"},
    {"streams", "usage: reel streams\n  every stream: state, head, chunks, xruns, overruns\n"},
    {"status", "usage: reel status STREAM\n  one stream's state\n"},
    {"slice",
     "usage: reel slice STREAM (--last DUR | --from T --to T) [--virtual] [--out PATH]\n"
     "                  [--format wav|rf64|w64|flac|raw|mid] [--sample-format f32|i16|i24]\n"
     "                  [--tag T]...\n"
     "  cut a window of a stream (the live edge too) into a file, or with --virtual a\n"
     "  slice of references only; MIDI streams give a Standard MIDI File.\n"
     "  time specs T: head, start, -30s, -1m30s, 2026-11-20T10:00:00.250Z, @EPOCH, #FRAME,\n"
     "  session:ID:start|end, session:ID/SEGMENT:start|end, moment:ID, moment:ID-5s\n"},
    {"render", "usage: reel render ARTIFACT --out PATH\n"
               "       reel render PROJECT [--version V] [--timeline TL] [--node OUT] [--from X]\n"
               "                   [--to X] [--format wav|w64|rf64|flac|raw] [--sample-format S]\n"
               "                   [--block N] [--stems] [--out PATH]\n"
               "  render a virtual slice, byte-identical to materializing it; or a project\n"
               "  version (default: the head) through its routing graph, offline, into a\n"
               "  \"render\" artifact whose parent is the version (--stems: one \"stem\"\n"
               "  artifact per track and bus too). --from/--to are timeline positions\n"
               "  (default: 0 to the end of the last clip). The same version renders to the\n"
               "  same bytes; the speed-up over real time is reported.\n"},
    {"artifacts", "usage: reel artifacts [--tag T]...\n  artifacts, newest first\n"},
    {"show", "usage: reel show ARTIFACT\n  one artifact with its lineage (parent, children, "
             "chunks)\n"},
    {"cas", "usage: reel cas put FILE | get HASH [--out PATH] | has HASH | verify [HASH] |\n"
            "                gc [--dry-run] [--grace DUR]\n"
            "  the content-addressed store itself\n"},
    {"fsck", "usage: reel fsck\n  re-hash every blob, check every reference (progress on a "
             "terminal)\n"},
    {"gc", "usage: reel gc [--dry-run] [--grace DUR]\n"
           "  delete content nothing references (default grace 10m); safe while recording\n"},
    {"recover", "usage: reel recover [--dry-run] [--staging-grace DUR]\n"
                "  after a crash: seal what a dead recorder left, drop unknown staging files\n"
                "  (default 10m old)\n"},
    {"serve",
     "usage: reel serve [--source SRC [SOURCE OPTIONS]]... [--engine EP] [--publish EP]\n"
     "                  [--seconds N] [--listen ADDR:PORT | --no-http] [--token-file F]\n"
     "                  [--osc PORT | --no-osc] [--staging-grace DUR] [--retain RULE]...\n"
     "                  [--jack-server NAME] [--play PROJECT]\n"
     "  record until Ctrl-C (default source: jack if a server runs, else alsa, else tone),\n"
     "  HTTP API and web page on 127.0.0.1:7070, OSC on UDP 5005, events on ZMQ.\n"
     "  --retain 24h | --retain stream://URI=500chunks: retention. SOURCE OPTIONS as for\n"
     "  `reel record` (after a --source: that source's; before any: every source's).\n"
     "  --play PROJECT: once every stream records, play the project's head to JACK on\n"
     "  the same client (transport_play; stop and seek with the transport ops).\n"},
    {"play", "usage: reel play PROJECT [--version V] [--timeline TL] [--node OUT] [--from X]\n"
             "                 [--port JACK-PORT]... [--seconds N]\n"
             "  play a project version (default: the head) through its graph to JACK: in the\n"
             "  store's running `reel serve` if there is one, else on a client of its own;\n"
             "  until the last clip ends (or N seconds, or Ctrl-C), then stop. --port: the\n"
             "  JACK inputs to connect, one per output channel. Prints the final state.\n"},
    {"engine", "usage: reel engine --control EP\n"
               "  the realtime engine in its own process, for `reel serve --engine EP`\n"},
    {"http", "usage: reel http [--listen ADDR:PORT] [--token-file F]\n"
             "  serve the store over HTTP (first line: the URL); beyond loopback needs\n"
             "  --token-file\n"},
    {"sync", "usage: reel sync push|pull URL [HASH...] [--token-file F]\n"
             "  copy the blobs the other side lacks\n"},
    {"call", "usage: reel call OP ['{JSON}'] | reel call --list\n"
             "  run one operation (the ones HTTP, OSC and MCP offer), in the running serve\n"
             "  if there is one\n"},
    {"session",
     "usage: reel session create [--mode passive|request-response] [--stream URI]...\n"
     "       reel session play ID | stop ID | status [ID]\n"
     "       reel session export ID --format json|archive [--out PATH]\n"
     "       reel session request --midi FILE.mid|ARTIFACT --out PORT --audio STREAM\n"
     "                            [--tail 2s] [--session ID] [--preroll D] [--lead D]\n"
     "                            [--threshold DB] [--max-latency D] [--tag T]...\n"
     "                            [--jack-server NAME]\n"
     "  sessions of segments; request plays MIDI to a JACK port and keeps the response\n"},
    {"moments", "usage: reel moments STREAM\n"
                "  the stream's interesting moments (id, time, frame, kind, peak level)\n"},
    {"marker", "usage: reel marker STREAM [--name N]\n"
               "       reel marker add P --at X [--name N] [--tag T]... [--timeline TL] [--base V]\n"
               "       reel marker remove P M [--base V]\n"
               "  a moment by hand, at the stream's head; add/remove: a marker on a project's\n"
               "  timeline (`reel marker add --help`)\n"},
    {"import", "usage: reel import FILE [--name NAME]\n"
               "  store FILE (any audio file libsndfile reads: WAV, FLAC, OGG, AIFF...) byte for\n"
               "  byte as an \"audio\" artifact with its format, subtype, rate, channels, frames\n"
               "  and duration; prints the artifact and hash as JSON. The same bytes twice: one\n"
               "  blob, the same hash, a new artifact. --name: the name recorded (default the\n"
               "  file's base name)\n"},
    {"mcp", "usage: reel mcp\n  MCP server on stdin/stdout (JSON-RPC lines, for agents)\n"},
};

static const char GLOBAL[] =
    "global options: --store DIR, --json, --log-level error|warn|info|debug (or REEL_LOG),\n"
    "  --log-json\n";

void cli_help_global(FILE *f)
{
    fputs(GLOBAL, f);
}

bool cli_help_wanted(const cli *c)
{
    for (int i = 1; i < c->argc; i++) {
        if (strcmp(c->argv[i], "--") == 0)
            return false;
        if (strcmp(c->argv[i], "--help") == 0 || strcmp(c->argv[i], "-h") == 0)
            return true;
    }
    return false;
}

int cli_help(const char *cmd, FILE *f)
{
    for (size_t i = 0; i < sizeof HELP / sizeof HELP[0]; i++)
        if (strcmp(HELP[i].name, cmd) == 0) {
            fputs(HELP[i].text, f);
            cli_help_global(f);
            return 0;
        }
    return -1;
}
