/*
 * project_pages.h — a project version stored in content-addressed parts.
 *
 * A version's document (project_doc.h, what every op reads and what the
 * schema describes) is stored as a root plus pages: the root is the
 * document with each timeline's "clips" replaced by "clip_pages", a list
 * of {"hash", "clips"} naming pages; a page is a JSON array of consecutive
 * clips. The root's BLAKE3 hash is the version's name.
 *
 * Where a page ends depends only on the ids of its clips (a page ends after
 * a clip whose id hashes to 0 mod REEL_PROJECT_PAGE_SPREAD, or after
 * REEL_PROJECT_PAGE_MAX clips): ids never change, so an edit of one clip,
 * an insert or a removal changes one page (two when it adds a boundary), and
 * every other page keeps its hash and is not written again. That is what
 * makes an edit of a 10 000-clip project write tens of kilobytes, not the
 * whole document.
 *
 * Owns: splitting a document into root and pages, reusing pages a previous
 * version already stored, and assembling a document back from its root.
 * Must never: write a page a previous version already holds, or assemble a
 * document from a page whose content does not match its name.
 */
#ifndef REEL_PROJECT_PAGES_H
#define REEL_PROJECT_PAGES_H

#include "core/hash.h"
#include "store/store.h"

#include <jansson.h>
#include <stdbool.h>

#define REEL_PROJECT_PAGE_SPREAD 64 /* clips per page on average */
#define REEL_PROJECT_PAGE_MAX 256

typedef struct reel_project_page {
    reel_hash hash;
    size_t first, n; /* clips[first .. first + n) of its timeline */
} reel_project_page;

typedef struct reel_project_tl_pages {
    char id[64];   /* the timeline's id */
    json_t *clips; /* the timeline's clips array (a reference) */
    reel_project_page *page;
    size_t n;
} reel_project_tl_pages;

/* The pages of one document, timeline by timeline (in document order). */
typedef struct reel_project_pages {
    reel_project_tl_pages *tl;
    size_t n_tl;
} reel_project_pages;

void reel_project_pages_free(reel_project_pages *p);

/* Split `doc` into pages, reusing those of `prev` (the pages of the
 * version it was made from, or NULL) whose clips are the very same objects;
 * every other page is a "dirty" page: its clips are handed to `check`
 * (which may refuse them) and then it is stored. The root (a new object)
 * into *root, the pages into *out. Nothing is stored if a check fails. */
typedef int (*reel_project_clip_check_fn)(json_t *timeline, json_t *clip, void *ud,
                                          reel_error *err);
int reel_project_pages_store(reel_store *st, json_t *doc, const reel_project_pages *prev,
                             reel_project_clip_check_fn check, void *ud, json_t **root,
                             reel_project_pages *out, size_t *bytes_written, reel_error *err);

/* The document a root names, its pages into *pages (may be NULL). */
int reel_project_pages_assemble(reel_store *st, json_t *root, json_t **doc,
                                reel_project_pages *pages, reel_error *err);

/* Read a stored JSON value by hash (checked against its name). */
int reel_project_blob_load(reel_store *st, const reel_hash *h, json_t **out, reel_error *err);

#endif
