/*
 * moment_table.c — see moment_table.h.
 */
#include "store/moment_table.h"

#include "media/moment_detect.h"
#include "time/clock.h"

#include <math.h>

int reel_moment_add(reel_db *db, reel_db_moment *m, reel_error *err)
{
    reel_moment_kind k;
    int rc = reel_moment_kind_parse(m->kind, &k, err);
    if (rc)
        return rc;
    if (m->has_level && !isfinite(m->level_db))
        return reel_error_set(err, REEL_EINVAL, "moment level is not a finite number");
    m->created_ns = reel_clock_wall_now();
    return reel_db_moment_insert(db, m, err);
}
