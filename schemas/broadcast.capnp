# broadcast.capnp — events published on reel's PUB socket, one frame each.
#
# Mirrors hootenanny's schemas/broadcast.capnp: the same file id and every
# member of the Broadcast union at hootenanny's ordinal (stable since they
# were introduced), so discriminants on the wire match; Broadcast is one
# pointer plus a 16-bit discriminant, as in hootenanny.
#
# Only the stream events 10..12 are real. The other members are
# PLACEHOLDERS pointing to the empty struct Placeholder: they keep their
# name and ordinal, reel never publishes them and its decoder rejects them
# (REEL_EFORMAT, naming the member).

@0xab20a00d32798739;

using Common = import "common.capnp";
using Streams = import "streams.capnp";

# Broadcast messages via PUB/SUB
struct Broadcast {
  union {
    configUpdate @0 :Placeholder;
    shutdown @1 :Placeholder;
    scriptInvalidate @2 :Placeholder;
    jobStateChanged @3 :Placeholder;
    progress @4 :Placeholder;
    artifactCreated @5 :Placeholder;
    transportStateChanged @6 :Placeholder;
    markerReached @7 :Placeholder;
    beatTick @8 :Placeholder;
    log @9 :Placeholder;

    # === Stream capture events (engine -> control plane; used by reel) ===
    streamHeadPosition @10 :Streams.StreamHeadPosition;
    streamChunkFull @11 :Streams.StreamChunkFull;
    streamError @12 :Streams.StreamError;

    # === Device hot-plug events (placeholders) ===
    deviceConnected @13 :Placeholder;
    deviceDisconnected @14 :Placeholder;

    # === Audio output attachment events (placeholders) ===
    audioAttached @15 :Placeholder;
    audioDetached @16 :Placeholder;
    audioUnderrun @17 :Placeholder;
  }
}

# Stand-in for hootenanny types reel never publishes nor accepts.
struct Placeholder {}
