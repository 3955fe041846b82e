/*
 * db_schema.h — the one migration registry of reel.db.
 *
 * Every module that keeps tables in reel.db (the artifact index, moments,
 * sessions, and every feature after them) registers its schema where its
 * tables are defined, with REEL_DB_SCHEMA: a module name and the ordered
 * steps that bring its tables from version i to i+1. Opening the index
 * applies, inside one write transaction, every step a module's recorded
 * version (table reel_schema) has not seen yet; a module recorded at a
 * version newer than this reel knows makes the open fail, naming it, so an
 * old reel never writes into a newer index. A new feature adds its tables by
 * registering a schema: it edits no shared list.
 *
 * Steps must be idempotent (CREATE ... IF NOT EXISTS, ALTER guarded by the
 * version): stores made before the registry (PRAGMA user_version 1 and 2)
 * are brought in by running every module from version 0.
 *
 * Owns: the reel_schema table and the order steps run in. Must never: run a
 * step outside the transaction, or skip one.
 */
#ifndef REEL_DB_SCHEMA_H
#define REEL_DB_SCHEMA_H

#include "core/registry.h"
#include "store/artifact_db.h"

typedef struct reel_db_schema {
    const char *module;       /* "artifacts", "moments", "sessions"... */
    int order;                /* lower first: tables that others reference */
    const char *const *steps; /* steps[i] brings the module from version i to i+1 */
    size_t n_steps;
} reel_db_schema;

#define REEL_DB_SCHEMA(object) REEL_REGISTER(db_schemas, reel_db_schema, object)

/* Bring `db` up to every registered module's newest version (see above).
 * Called by reel_db_open. */
int reel_db_schema_apply(reel_db *db, reel_error *err);

/* The version this reel expects of `module` (its step count), -1 if no
 * module of that name is registered. */
int reel_db_schema_version(const char *module);

#endif
