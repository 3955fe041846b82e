/*
 * transport.h — what the engine's other ops files may ask of the transport
 * (transport.c) besides its ops: the controller mappings it carries
 * (mapping_live.h) and the JACK client they need.
 *
 * Owns: nothing. Must never: expose the transport's state itself.
 */
#ifndef REEL_RENDER_TRANSPORT_H
#define REEL_RENDER_TRANSPORT_H

#include "core/op.h"
#include "render/engine/mapping_live.h"

/* The transport's live mappings (NULL before the service is up). */
reel_map_live *reel_transport_maps(reel_service *s);
/* Make sure the transport has its JACK client and the controller ports on
 * it (REEL_EDEVICE naming the fix when no JACK server runs). */
int reel_transport_controller(reel_service *s, reel_error *err);

#endif
