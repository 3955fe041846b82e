/*
 * session_marks.h — a session's marks on its streams' timelines: the frame
 * of each stream at a mark, and the chunks each segment spans.
 *
 * Owns: nothing beyond the marks it fills. Must never: change what is
 * recorded, or be called off the control thread (it reads the control
 * plane's heads).
 */
#ifndef REEL_SESSION_MARKS_H
#define REEL_SESSION_MARKS_H

#include "core/op.h"
#include "model/session/session.h"

/* Every stream's clocks at the op's instant (x->received_ns, or now). */
void reel_session_take_mark(reel_op_ctx *x, const reel_session *s, reel_session_mark *m);

/* The first (and, once ended, last) chunk index of `g` on each stream. */
void reel_session_fill_chunks(reel_store *st, reel_session *s, reel_session_segment *g);

#endif
