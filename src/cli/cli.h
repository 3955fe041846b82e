/*
 * cli.h — shared by the `reel` command's files: the parsed command line and
 * the helpers every command uses. Each command is `int cmd_<name>(cli *c)`,
 * returning the process exit status (0, 1 runtime failure, 2 usage error).
 */
#ifndef REEL_CLI_H
#define REEL_CLI_H

#include "reel.h"
#include "store.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct cli {
    const char *store; /* --store, or NULL for the default */
    bool json;
    int argc;          /* command arguments (global options removed) */
    char **argv;
} cli;

/* Print "reel: <message>" on stderr; returns the exit status for `code`. */
int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int fail_err(const reel_error *e);
/* Print `j` (indented, sorted keys) and release it. */
void print_json(json_t *j);
const char *hs(const reel_hash *h, char *buf);
/* `--name VALUE` or `--name=VALUE` at argv[*i]: true if it matched (then
 * *rc is set on a missing value). */
bool opt_value(cli *c, int *i, const char *name, const char **out, int *rc);
int parse_u64(const char *s, const char *what, uint64_t *out);
int open_store(cli *c, reel_store **st, bool create);

/* Commands in files of their own. */
int cmd_serve(cli *c);
int cmd_engine(cli *c);
int cmd_http(cli *c);
int cmd_sync(cli *c);
int cmd_call(cli *c);
int cmd_mcp(cli *c);

/* Run a service op (service.h) in the store's running `reel serve`, or in
 * this process when none runs; prints the failure. *out: a new reference. */
int cli_call(cli *c, const char *op, json_t *args, json_t **out);
/* The same without printing: the failure is left in *e for the caller to
 * report (as `reel mcp` does, in its answer). `origin` names the creator
 * of what the op makes when it runs in this process. */
int cli_call_err(cli *c, const char *op, json_t *args, const char *origin, json_t **out,
                 reel_error *e);

#endif
