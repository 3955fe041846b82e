/*
 * take_name.c — safe take file names and their creation in exports/ (see
 * take_name.h). Refusing is preferred to rewriting when a name looks like
 * a path: a person who sent "/etc/x" or "../x" expects it written there,
 * and quietly putting it elsewhere would hide the mistake.
 */
#include "model/take/take_name.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NUMBERED_MAX 9999

static bool safe_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
}

int reel_take_name_sanitize(const char *requested, int64_t wall_ns, char *out, size_t cap,
                            reel_error *err)
{
    if (cap < REEL_TAKE_FILE_MAX)
        return reel_error_set(err, REEL_EINVAL, "take name buffer too small");
    if (!requested || !requested[0]) {
        time_t t = (time_t)(wall_ns / 1000000000);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(out, cap, "take-%Y%m%d-%H%M%S.wav", &tm);
        return REEL_OK;
    }
    size_t n = strlen(requested);
    /* Quote at most 60 bytes of it, with unprintable bytes shown as '?'. */
    char shown[64];
    size_t k = 0;
    for (; k < sizeof shown - 1 && requested[k]; k++)
        shown[k] = (unsigned char)requested[k] >= 0x20 && (unsigned char)requested[k] < 0x7f
                       ? requested[k] : '?';
    shown[k] = '\0';
    if (strchr(requested, '/') || strchr(requested, '\\'))
        return reel_error_set(err, REEL_EINVAL,
                              "take name '%s' is a path: give a plain file name (takes are "
                              "written to the store's exports/ folder)", shown);
    if (requested[0] == '.')
        return reel_error_set(err, REEL_EINVAL, "take name '%s' must not start with '.'", shown);
    if (n > REEL_TAKE_NAME_MAX)
        return reel_error_set(err, REEL_EINVAL, "take name '%s...' is too long (%zu bytes, at "
                              "most %d)", shown, n, REEL_TAKE_NAME_MAX);
    for (size_t i = 0; i < n; i++)
        out[i] = safe_char((unsigned char)requested[i]) ? requested[i] : '_';
    out[n] = '\0';
    if (n < 4 || strcasecmp(out + n - 4, ".wav") != 0)
        memcpy(out + n, ".wav", 5);
    return REEL_OK;
}

/* The exports directory of root, opened without following a symlink. */
static int open_exports(const char *root, int *dfd, reel_error *err)
{
    int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rfd < 0)
        return reel_error_set(err, REEL_EIO, "cannot open the store %s: %s", root,
                              strerror(errno));
    if (mkdirat(rfd, "exports", 0755) != 0 && errno != EEXIST) {
        int rc = reel_error_set(err, REEL_EIO, "cannot create %s/exports: %s", root,
                                strerror(errno));
        close(rfd);
        return rc;
    }
    *dfd = openat(rfd, "exports", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int e = errno;
    close(rfd);
    if (*dfd < 0)
        return reel_error_set(err, REEL_EIO, "cannot open %s/exports%s: %s", root,
                              e == ELOOP || e == ENOTDIR ? " (it must be a directory, not a "
                                                           "symlink)" : "", strerror(e));
    return REEL_OK;
}

int reel_take_name_create(const char *root, const char *name, char *used, char *path, int *fd,
                          reel_error *err)
{
    *fd = -1;
    size_t n = strlen(name);
    if (n < 5 || n > REEL_TAKE_NAME_MAX + 4 || strchr(name, '/') || name[0] == '.')
        return reel_error_set(err, REEL_EINVAL, "take file name '%.64s' is not sanitized", name);
    int dfd = -1;
    int rc = open_exports(root, &dfd, err);
    if (rc)
        return rc;
    const char *ext = name + n - 4; /* ".wav", whatever its case */
    for (int i = 0; i <= NUMBERED_MAX; i++) {
        if (i == 0)
            snprintf(used, REEL_TAKE_FILE_MAX, "%s", name);
        else
            snprintf(used, REEL_TAKE_FILE_MAX, "%.*s-%d%s", (int)(n - 4), name, i, ext);
        /* O_EXCL also refuses a symlink (even a dangling one) at the name. */
        *fd = openat(dfd, used, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (*fd >= 0) {
            snprintf(path, PATH_MAX, "%s/exports/%s", root, used);
            fsync(dfd); /* the name is durable before anything is written to it */
            close(dfd);
            return REEL_OK;
        }
        if (errno != EEXIST)
            break;
    }
    int e = errno;
    close(dfd);
    if (e == EEXIST)
        return reel_error_set(err, REEL_EEXIST, "%s/exports/%s and %d numbered variants exist",
                              root, name, NUMBERED_MAX);
    return reel_error_set(err, REEL_EIO, "cannot create %s/exports/%s: %s", root, used,
                          strerror(e));
}
