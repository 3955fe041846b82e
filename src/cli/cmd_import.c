/*
 * cmd_import.c — `reel import FILE [--name N]`: the import op (model/import/)
 * for people: stores an audio file libsndfile reads as an "audio" artifact
 * and prints the op's reply (artifact, hash, format, rate, frames...) as
 * JSON.
 *
 * FILE is made absolute here, against this process's directory, because
 * the op may run in the store's `reel serve`, whose directory is another.
 *
 * Must never: read or store the file itself (the op does, wherever it runs).
 */
#include "cli.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define USAGE "usage: reel import FILE [--name NAME]"

int cmd_import(cli *c)
{
    const char *file = NULL, *name = NULL;
    int rc = 0;
    bool operands = false; /* after "--": FILE may start with '-' */
    for (int i = 1; i < c->argc && rc == 0; i++) {
        const char *a = c->argv[i];
        if (!operands && strcmp(a, "--") == 0) {
            operands = true;
        } else if (!operands && opt_value(c, &i, "--name", &name, &rc)) {
            if (!rc && !*name)
                rc = fail(REEL_EINVAL, "import: --name needs a non-empty name");
        } else if (!operands && a[0] == '-' && a[1]) {
            rc = fail(REEL_EINVAL, "import: unknown option '%s' (" USAGE ")", a);
        } else if (file) {
            rc = fail(REEL_EINVAL, "import: unexpected argument '%s' (one FILE: " USAGE ")", a);
        } else {
            file = a;
        }
    }
    if (rc)
        return rc;
    if (!file)
        return fail(REEL_EINVAL, "import: no FILE given (" USAGE ")");
    if (!*file)
        return fail(REEL_EINVAL, "import: FILE is an empty path (" USAGE ")");
    char abs[PATH_MAX];
    if (file[0] == '/') {
        snprintf(abs, sizeof abs, "%s", file);
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd))
            return fail(REEL_EIO, "import: cannot tell the current directory to resolve '%s'",
                        file);
        if ((size_t)snprintf(abs, sizeof abs, "%s/%s", cwd, file) >= sizeof abs)
            return fail(REEL_EINVAL, "import: path too long: '%s'", file);
    }
    json_t *args = json_pack("{s:s}", "path", abs), *out = NULL;
    if (!args)
        return fail(REEL_ENOMEM, "out of memory");
    if (name)
        json_object_set_new(args, "name", json_string(name));
    rc = cli_call(c, "import", args, &out);
    json_decref(args);
    if (rc == 0)
        print_json(out);
    return rc;
}
