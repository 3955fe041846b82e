# common.capnp — types shared by reel's Cap'n Proto messages.
#
# Mirrors hootenanny's schemas/common.capnp: the same file id and, for the
# types below, the same names and ordinals, so the type ids and the wire
# layout match hootenanny's. reel declares only the three types it uses;
# hootenanny's other common types (JobStatus, WorkerRegistration, ...) are
# left out because nothing reel sends or reads refers to them.

@0xf8721cef9bc45e2a;

# Nanoseconds since the UNIX epoch.
struct Timestamp {
  nanos @0 :UInt64;
}

# A UUID: `low` is bytes 0..8 of the 16 raw bytes read as little-endian,
# `high` is bytes 8..16 read as little-endian.
struct Uuid {
  low @0 :UInt64;
  high @1 :UInt64;
}

struct Error {
  code @0 :Text;     # machine-readable, e.g. "stream_start_failed"
  message @1 :Text;  # one line for a person
  details @2 :Text;  # a JSON string (may be empty)
}
