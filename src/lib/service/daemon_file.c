/*
 * daemon_file.c — <store>/serve.json: the running daemon's pid and URL
 * (see daemon_file.h).
 *
 * Liveness is kill(pid, 0): a pid reused by an unrelated process would
 * look alive, so callers still treat a refused connection as "no daemon".
 */
#include "service/daemon_file.h"

#include "core/fsutil.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void file_path(const char *root, char *out)
{
    snprintf(out, PATH_MAX, "%s/serve.json", root);
}

int reel_daemon_file_write(const char *root, const char *url, const char *token_file,
                           reel_error *err)
{
    json_t *j = json_pack("{s:I, s:s, s:s}", "pid", (json_int_t)getpid(), "url", url,
                          "token_file", token_file ? token_file : "");
    char *txt = j ? json_dumps(j, JSON_SORT_KEYS) : NULL;
    json_decref(j);
    if (!txt)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    char path[PATH_MAX], tmp[PATH_MAX];
    file_path(root, path);
    snprintf(tmp, sizeof tmp, "%s/cas/tmp", root);
    int rc = reel_fs_write_atomic(path, tmp, txt, strlen(txt), err);
    free(txt);
    return rc;
}

void reel_daemon_file_remove(const char *root)
{
    reel_daemon_info d;
    if (reel_daemon_find(root, &d, NULL) == 0 && d.pid == (long)getpid()) {
        char path[PATH_MAX];
        file_path(root, path);
        unlink(path);
    }
}

int reel_daemon_find(const char *root, reel_daemon_info *out, reel_error *err)
{
    memset(out, 0, sizeof *out);
    char path[PATH_MAX];
    file_path(root, path);
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    if (!j)
        return reel_error_set(err, REEL_ENOENT, "no reel serve is running on %s", root);
    json_t *pid = json_object_get(j, "pid");
    const char *url = json_string_value(json_object_get(j, "url"));
    const char *tf = json_string_value(json_object_get(j, "token_file"));
    int rc = REEL_OK;
    if (!json_is_integer(pid) || json_integer_value(pid) <= 0 || !url ||
        strncmp(url, "http://", 7) != 0 || strlen(url) >= sizeof out->url) {
        rc = reel_error_set(err, REEL_ENOENT, "%s is malformed: ignored", path);
    } else if (kill((pid_t)json_integer_value(pid), 0) != 0 && errno == ESRCH) {
        rc = reel_error_set(err, REEL_ENOENT,
                            "no reel serve is running on %s (pid %lld is gone)", root,
                            (long long)json_integer_value(pid));
    } else {
        out->pid = (long)json_integer_value(pid);
        snprintf(out->url, sizeof out->url, "%s", url);
        snprintf(out->token_file, sizeof out->token_file, "%s", tf ? tf : "");
    }
    json_decref(j);
    return rc;
}
