/*
 * error.c — the one error type of libreel.
 *
 * Owns: code names and message formatting. Must never: allocate, log, keep
 * state between calls (each error lives in the caller's reel_error), or let
 * a message span more than one line.
 */
#include "reel.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *reel_strerror(int code)
{
    switch (code) {
    case REEL_OK: return "success";
    case REEL_EINVAL: return "invalid argument";
    case REEL_ENOENT: return "not found";
    case REEL_EEXIST: return "already exists";
    case REEL_EIO: return "I/O error";
    case REEL_ENOMEM: return "out of memory";
    case REEL_ECORRUPT: return "corrupt data";
    case REEL_EAMBIG: return "ambiguous";
    case REEL_ERANGE: return "out of range";
    case REEL_EFORMAT: return "unsupported format";
    case REEL_ESTATE: return "illegal state";
    case REEL_EFULL: return "full";
    case REEL_EDB: return "database error";
    case REEL_EDEVICE: return "device error";
    default: return "unknown error";
    }
}

int reel_error_set(reel_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        /* One line, always: messages quote untrusted input (JSON parser
         * excerpts, file names), so control characters become '?'. */
        for (char *p = err->msg; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                *p = '?';
        err->code = code;
    }
    return code;
}

void reel_error_clear(reel_error *err)
{
    if (err) {
        err->code = REEL_OK;
        err->msg[0] = '\0';
    }
}

int reel_error_exit_status(int code)
{
    if (code == REEL_OK)
        return 0;
    return code == REEL_EINVAL ? 2 : 1;
}
