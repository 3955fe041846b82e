/*
 * fault.c — the armed half of the file-I/O seam (see fault.h): the spec
 * parser and the per-call decision. Nothing here runs for an unarmed
 * context; the inline wrappers in fault.h never call in.
 */
#include "core/fault.h"

#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    reel_fault_op op;
} op_names[] = {
    {"write", REEL_FAULT_WRITE},   {"fsync", REEL_FAULT_FSYNC},
    {"rename", REEL_FAULT_RENAME}, {"fallocate", REEL_FAULT_FALLOCATE},
    {"any", REEL_FAULT_ANY},
};

static const struct {
    const char *name;
    int errnum;
} err_names[] = {
    {"ENOSPC", ENOSPC}, {"EIO", EIO},   {"EDQUOT", EDQUOT},         {"EROFS", EROFS},
    {"EFBIG", EFBIG},   {"EXDEV", EXDEV}, {"EOPNOTSUPP", EOPNOTSUPP},
};

static int parse_count(const char *s, size_t n, uint64_t *out)
{
    if (n == 0 || n > 18)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return 0;
}

/* A rule as parsed, before it is published into a context. */
typedef struct prule {
    int op, errnum;
    uint64_t after, times;
} prule;

/* One RULE of length n at s. */
static int parse_rule(prule *r, const char *s, size_t n, reel_error *err)
{
    memset(r, 0, sizeof *r);
    const char *end = s + n;
    const char *p = s;
    int field = 0;
    while (p <= end) {
        const char *q = memchr(p, ':', (size_t)(end - p));
        if (!q)
            q = end;
        size_t len = (size_t)(q - p);
        if (field == 0) {
            bool found = false;
            for (size_t i = 0; i < sizeof op_names / sizeof op_names[0] && !found; i++)
                if (strlen(op_names[i].name) == len && memcmp(op_names[i].name, p, len) == 0) {
                    r->op = (int)op_names[i].op;
                    found = true;
                }
            if (!found)
                return reel_error_set(err, REEL_EINVAL,
                                      "REEL_FAULT '%.*s': unknown call '%.*s' (write, fsync, "
                                      "rename, fallocate, any)",
                                      (int)n, s, (int)len, p);
        } else if (field == 1) {
            bool found = false;
            if (len == 5 && memcmp(p, "short", 5) == 0) {
                if (r->op != REEL_FAULT_WRITE && r->op != REEL_FAULT_ANY)
                    return reel_error_set(err, REEL_EINVAL,
                                          "REEL_FAULT '%.*s': only write can be short", (int)n,
                                          s);
                r->errnum = REEL_FAULT_SHORT;
                found = true;
            }
            for (size_t i = 0; i < sizeof err_names / sizeof err_names[0] && !found; i++)
                if (strlen(err_names[i].name) == len && memcmp(err_names[i].name, p, len) == 0) {
                    r->errnum = err_names[i].errnum;
                    found = true;
                }
            if (!found)
                return reel_error_set(err, REEL_EINVAL,
                                      "REEL_FAULT '%.*s': unknown fault '%.*s' (ENOSPC, EIO, "
                                      "EDQUOT, EROFS, EFBIG, EXDEV, EOPNOTSUPP or short)",
                                      (int)n, s, (int)len, p);
        } else if (len > 6 && memcmp(p, "after=", 6) == 0) {
            if (parse_count(p + 6, len - 6, &r->after))
                return reel_error_set(err, REEL_EINVAL, "REEL_FAULT '%.*s': bad after=", (int)n,
                                      s);
        } else if (len > 6 && memcmp(p, "times=", 6) == 0) {
            if (parse_count(p + 6, len - 6, &r->times) || r->times == 0)
                return reel_error_set(err, REEL_EINVAL,
                                      "REEL_FAULT '%.*s': bad times= (a count of at least 1)",
                                      (int)n, s);
        } else {
            return reel_error_set(err, REEL_EINVAL,
                                  "REEL_FAULT '%.*s': unknown option '%.*s' (after=N, times=M)",
                                  (int)n, s, (int)len, p);
        }
        field++;
        p = q + 1;
    }
    if (field < 2)
        return reel_error_set(err, REEL_EINVAL,
                              "REEL_FAULT '%.*s': want CALL:FAULT[:after=N][:times=M]", (int)n, s);
    return REEL_OK;
}

void reel_fault_disarm(reel_fault *f)
{
    atomic_store_explicit(&f->armed, false, memory_order_release);
    atomic_store(&f->n_rules, 0);
    atomic_store(&f->injected, 0);
}

int reel_fault_arm(reel_fault *f, const char *spec, reel_error *err)
{
    reel_fault_disarm(f);
    if (!spec || !*spec)
        return REEL_OK;
    prule rules[REEL_FAULT_RULES];
    size_t n_rules = 0;
    const char *p = spec;
    for (;;) {
        const char *q = strchr(p, ',');
        size_t n = q ? (size_t)(q - p) : strlen(p);
        if (n_rules == REEL_FAULT_RULES)
            return reel_error_set(err, REEL_EINVAL, "REEL_FAULT: at most %d rules",
                                  REEL_FAULT_RULES);
        int rc = parse_rule(&rules[n_rules], p, n, err);
        if (rc)
            return rc;
        n_rules++;
        if (!q)
            break;
        p = q + 1;
    }
    for (size_t i = 0; i < n_rules; i++) {
        atomic_store(&f->rules[i].op, rules[i].op);
        atomic_store(&f->rules[i].errnum, rules[i].errnum);
        atomic_store(&f->rules[i].after, rules[i].after);
        atomic_store(&f->rules[i].times, rules[i].times);
        atomic_store(&f->rules[i].seen, 0);
    }
    atomic_store(&f->n_rules, n_rules);
    atomic_store_explicit(&f->armed, true, memory_order_release);
    return REEL_OK;
}

int reel_fault_arm_env(reel_fault *f, reel_error *err)
{
    return reel_fault_arm(f, getenv("REEL_FAULT"), err);
}

uint64_t reel_fault_injected(const reel_fault *f)
{
    return f ? atomic_load(&((reel_fault *)f)->injected) : 0;
}

int reel_fault_check(reel_fault *f, reel_fault_op op, size_t *len)
{
    int fire = 0; /* the errno of the first rule that faults this call, or short */
    bool fired = false;
    size_t n = atomic_load(&f->n_rules);
    for (size_t i = 0; i < n && i < REEL_FAULT_RULES; i++) {
        reel_fault_rule *r = &f->rules[i];
        int rop = atomic_load(&r->op), e = atomic_load(&r->errnum);
        if (rop != (int)op && rop != (int)REEL_FAULT_ANY)
            continue;
        if (e == REEL_FAULT_SHORT && (!len || *len < 2))
            continue; /* nothing to shorten: not a call of this rule */
        uint64_t k = atomic_fetch_add(&r->seen, 1);
        uint64_t after = atomic_load(&r->after), times = atomic_load(&r->times);
        if (!fired && k >= after && (times == 0 || k - after < times)) {
            fired = true;
            fire = e;
        }
    }
    if (!fired)
        return 0;
    atomic_fetch_add(&f->injected, 1);
    if (fire == REEL_FAULT_SHORT) {
        *len /= 2;
        return 0;
    }
    return fire;
}
