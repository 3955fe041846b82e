# envelope.capnp — the message on reel's request sockets (HOOT01 body).
#
# Mirrors hootenanny's schemas/envelope.capnp: the same file id, and every
# member of the Payload union at hootenanny's ordinal (26..28 for the
# stream commands since hootenanny e01b053), so discriminants on the wire
# match. Envelope and Payload have hootenanny's layout: Payload is one
# pointer plus a 16-bit discriminant, whatever the member.
#
# Members reel does not use are PLACEHOLDERS: they keep their name and
# ordinal, are Void where hootenanny's are Void, and otherwise point to the
# empty struct Placeholder (or to a small struct with hootenanny's fields
# where that costs nothing: Pong, ShutdownRequest, ToolCall). reel never
# sends them and its decoder rejects them (REEL_EFORMAT, naming the member).
#
# Replies: hootenanny's ToolResponse lives in responses.capnp with ~80
# members; reel declares it here, with only `ack @33` real and members
# 0..32 as placeholders, so an ack has hootenanny's discriminant (33) and
# layout. The engine replies toolResponse.ack{message = "stream_started:
# <uri>"} (or chunk_switched / stream_stopped), or error @25 with code
# stream_start_failed, stream_switch_chunk_failed or stream_stop_failed.

@0xd9c43dd35faffe92;

using Common = import "common.capnp";
using Streams = import "streams.capnp";

# Message envelope for all ZMQ communication
struct Envelope {
  id @0 :Common.Uuid;
  traceparent @1 :Text;   # W3C traceparent, "" for none
  payload @2 :Payload;
}

struct Payload {
  union {
    # === Worker management (placeholders) ===
    register @0 :Placeholder;
    ping @1 :Void;
    pong @2 :Pong;
    shutdown @3 :ShutdownRequest;

    # === Tool requests (placeholder) ===
    toolRequest @4 :Placeholder;

    # === Garden (placeholders) ===
    gardenStatus @5 :Void;
    gardenPlay @6 :Void;
    gardenPause @7 :Void;
    gardenStop @8 :Void;
    gardenSeek @9 :Placeholder;
    gardenSetTempo @10 :Placeholder;
    removedGardenQuery @11 :Void;
    gardenEmergencyPause @12 :Void;
    gardenCreateRegion @13 :Placeholder;
    gardenDeleteRegion @14 :Placeholder;
    gardenMoveRegion @15 :Placeholder;
    gardenGetRegions @16 :Placeholder;

    # === Transport (placeholders) ===
    transportPlay @17 :Void;
    transportStop @18 :Void;
    transportSeek @19 :Placeholder;
    transportStatus @20 :Void;

    # === Timeline (placeholders) ===
    timelineQuery @21 :Placeholder;
    timelineAddMarker @22 :Placeholder;
    timelineEvent @23 :Placeholder;

    # === Responses (used by reel) ===
    toolResponse @24 :ToolResponse;
    error @25 :Common.Error;

    # === Stream capture commands (used by reel) ===
    streamStart @26 :Streams.StreamStart;
    streamSwitchChunk @27 :Streams.StreamSwitchChunk;
    streamStop @28 :Streams.StreamStop;

    # === Generic tool call (placeholder) ===
    toolCall @29 :ToolCall;
  }
}

# Stand-in for hootenanny types reel never sends nor accepts.
struct Placeholder {}

struct Pong {
  workerId @0 :Common.Uuid;
  uptimeSecs @1 :UInt64;
}

struct ShutdownRequest {
  reason @0 :Text;
}

struct ToolCall {
  name @0 :Text;
  args @1 :Text;  # JSON string
}

# hootenanny's Responses.ToolResponse, cut down to what reel uses:
# members 0..32 are placeholders that keep the ordinals, ack @33 is real.
struct ToolResponse {
  union {
    casStored @0 :Placeholder;
    casContent @1 :Placeholder;
    casInspected @2 :Placeholder;
    artifactCreated @3 :Placeholder;
    artifactInfo @4 :Placeholder;
    artifactList @5 :Placeholder;
    jobStarted @6 :Placeholder;
    jobStatus @7 :Placeholder;
    jobList @8 :Placeholder;
    jobPollResult @9 :Placeholder;
    abcParsed @10 :Placeholder;
    abcValidated @11 :Placeholder;
    abcTransposed @12 :Placeholder;
    abcConverted @13 :Placeholder;
    soundfontInfo @14 :Placeholder;
    soundfontPresetInfo @15 :Placeholder;
    orpheusGenerated @16 :Placeholder;
    orpheusClassified @17 :Placeholder;
    audioGenerated @18 :Placeholder;
    beatsAnalyzed @19 :Placeholder;
    clapAnalyzed @20 :Placeholder;
    gardenStatus @21 :Placeholder;
    gardenRegions @22 :Placeholder;
    gardenRegionCreated @23 :Placeholder;
    gardenQueryResult @24 :Placeholder;
    graphIdentity @25 :Placeholder;
    graphIdentities @26 :Placeholder;
    graphConnection @27 :Placeholder;
    graphTags @28 :Placeholder;
    graphContext @29 :Placeholder;
    graphQueryResult @30 :Placeholder;
    configValue @31 :Placeholder;
    toolsList @32 :Placeholder;

    # Simple acknowledgement: "stream_started: <uri>" and the like.
    ack @33 :AckResponse;
  }
}

struct AckResponse {
  message @0 :Text;
}
