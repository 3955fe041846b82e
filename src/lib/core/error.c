/*
 * error.c — the one error type of libreel.
 *
 * Owns: code names and message formatting. Must never: allocate, log, keep
 * state between calls (each error lives in the caller's reel_error), or let
 * a message span more than one line.
 */
#include "core/error.h"

#include <errno.h>
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
    case REEL_ENOSPC: return "no space left in the store";
    case REEL_ECONFLICT: return "conflict";
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
        err->reason[0] = '\0';
    }
    return code;
}

int reel_error_reason(reel_error *err, int code, const char *reason)
{
    if (err)
        snprintf(err->reason, sizeof err->reason, "%s", reason ? reason : "");
    return code;
}

void reel_error_clear(reel_error *err)
{
    if (err) {
        err->code = REEL_OK;
        err->msg[0] = '\0';
        err->reason[0] = '\0';
    }
}

int reel_error_exit_status(int code)
{
    if (code == REEL_OK)
        return 0;
    return code == REEL_EINVAL ? 2 : 1;
}

/* Stable names for the wire ({"error": {"code": ...}} in HTTP, MCP, OSC),
 * so a client far away gets the same code back as reel_error.code. */
static const struct {
    int code;
    const char *name;
} code_names[] = {
    {REEL_EINVAL, "invalid_argument"}, {REEL_ENOENT, "not_found"},
    {REEL_EEXIST, "already_exists"},   {REEL_EIO, "io_error"},
    {REEL_ENOMEM, "out_of_memory"},    {REEL_ECORRUPT, "corrupt"},
    {REEL_EAMBIG, "ambiguous"},        {REEL_ERANGE, "out_of_range"},
    {REEL_EFORMAT, "unsupported_format"}, {REEL_ESTATE, "illegal_state"},
    {REEL_EFULL, "full"},              {REEL_EDB, "database_error"},
    {REEL_EDEVICE, "device_error"},    {REEL_ENOSPC, "no_space"},
    {REEL_ECONFLICT, "conflict"},
};

const char *reel_error_code_name(int code)
{
    for (size_t i = 0; i < sizeof code_names / sizeof code_names[0]; i++)
        if (code_names[i].code == code)
            return code_names[i].name;
    return "internal_error";
}

int reel_error_code_from_name(const char *name)
{
    for (size_t i = 0; name && i < sizeof code_names / sizeof code_names[0]; i++)
        if (strcmp(code_names[i].name, name) == 0)
            return code_names[i].code;
    return REEL_EIO;
}

int reel_error_code_of_errno(int e)
{
    return e == ENOSPC || e == EDQUOT ? REEL_ENOSPC : REEL_EIO;
}
