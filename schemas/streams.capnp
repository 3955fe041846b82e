# streams.capnp — stream capture commands and events.
#
# Mirrors hootenanny's schemas/streams.capnp exactly (file id, type names,
# field names, ordinals and types), so messages reel sends are read by
# hootenanny and the `capnp` tool, and the other way round.
#
# reel adds fields after hootenanny's, at new ordinals (Cap'n Proto's
# evolution rules: a reader of the original schema skips them, and a message
# without them reads as zeros): AudioFormat.channelsWide (channels is a
# UInt8, reel records up to 4096), StreamStart.startFrame and clockRate (a
# resumed stream goes on at its old position; a MIDI definition carries no
# rate), and the clocks and counters of StreamHeadPosition/StreamChunkFull.

@0xf6c97ca6e0cdcd69;

using Common = import "common.capnp";

# Stream definition stored in CAS
struct StreamDefinition {
  uri @0 :Text;
  deviceIdentity @1 :Text;
  format @2 :StreamFormat;
  chunkSizeBytes @3 :UInt64;
}

struct StreamFormat {
  union {
    audio @0 :AudioFormat;
    midi @1 :Void;
  }
}

struct AudioFormat {
  sampleRate @0 :UInt32;
  channels @1 :UInt8;       # 0 when the count does not fit: see channelsWide
  sampleFormat @2 :SampleFormat;
  channelsWide @3 :UInt32;  # reel: the channel count (read channels when 0)
}

enum SampleFormat {
  f32 @0;
  i16 @1;
  i24 @2;
}

# Stream commands (control plane -> engine, in the Envelope payload)
struct StreamStart {
  uri @0 :Text;
  definition @1 :StreamDefinition;
  chunkPath @2 :Text;
  startFrame @3 :UInt64;    # reel: the stream position of the first frame written
  clockRate @4 :UInt32;     # reel: a MIDI stream's frame clock rate (Hz)
}

struct StreamSwitchChunk {
  uri @0 :Text;
  newChunkPath @1 :Text;
}

struct StreamStop {
  uri @0 :Text;
}

# Stream events (engine -> control plane, in the Broadcast union)
struct StreamHeadPosition {
  streamUri @0 :Text;
  samplePosition @1 :UInt64;
  bytePosition @2 :UInt64;
  wallClock @3 :Common.Timestamp;
  # reel's additions (new ordinals after hootenanny's: readers of the
  # original schema skip them). What the control plane needs to keep clock
  # snapshots, counters and the live edge without another message.
  clockFrame @4 :UInt64;        # the stream frame wallClock and the clocks below refer to
  monotonicNanos @5 :Int64;     # CLOCK_MONOTONIC at clockFrame
  deviceFrame @6 :UInt64;       # the device's frame clock (JACK frame time) at clockFrame
  events @7 :UInt64;            # MIDI events written
  xruns @8 :UInt64;             # device xruns
  overrunFrames @9 :UInt64;     # internal overruns: frames written as silence
  overrunEvents @10 :UInt64;    # internal overruns: MIDI events dropped
  gaps @11 :UInt64;             # device losses and format changes
  chunkBytes @12 :UInt64;       # bytes written into the current chunk
  chunkFrames @13 :UInt64;      # frames (audio) or events (MIDI) in the current chunk
  eventsLost @14 :UInt64;       # writer events that had no room (the recorder fails on any)
  midiClockTicks @15 :UInt64;   # MIDI: clock pulses (0xF8) in the events written
}

struct StreamChunkFull {
  streamUri @0 :Text;
  path @1 :Text;
  bytesWritten @2 :UInt64;
  samplesWritten @3 :UInt64;  # 0 for MIDI
  wallClock @4 :Common.Timestamp;
  # reel's additions (new ordinals, see StreamHeadPosition).
  firstFrame @5 :UInt64;      # stream position of the chunk's first frame
  endFrame @6 :UInt64;        # where it ends (exclusive); for MIDI the frame clock then
  events @7 :UInt64;          # MIDI events in the chunk
  final @8 :Bool;             # the stream ended with this chunk (after streamStop)
}

struct StreamError {
  streamUri @0 :Text;
  error @1 :Text;
  recoverable @2 :Bool;
}
