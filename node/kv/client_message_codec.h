#pragma once
// The wire form of client requests and responses, written and read without
// protobuf's NodeMessage and ClientRequest/ClientResponse objects. Layer: node.
//
// Every client call crossed four protobuf object layers each way (envelope,
// request or response, command or result, strings), each allocated, parsed
// and freed per message. The encoders emit the envelope's bytes exactly as
// protobuf's SerializeAsString would; the readers decode the envelope
// themselves into reused objects, accept only the form protobuf emits
// (fields in number order, each at most once, one-byte tags, no unknown
// fields), and decline the rest, which the caller then parses with
// protobuf, so that what is accepted, and how, stays protobuf's. The
// command or result inside is read by hand the same way (ReadCommandFields,
// ReadResult), and by protobuf if the hand reader declines it.

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "node/kv/command_writer.h"
#include "node/kv/kv.pb.h"

namespace kv::node {

// NodeMessage{request: ClientRequest{request_id, command, shard}}.
std::string EncodeClientRequest(uint64_t request_id, const pb::Command& command, uint64_t shard);
// The same for a command given by its fields (no pb::Command built: the
// simulated and real clients write every request this way).
std::string EncodeClientRequest(uint64_t request_id, const CommandFields& command, uint64_t shard);
// The same, written over `bytes` (whatever they held is replaced), so that
// a caller that encodes request after request reuses one buffer's capacity.
void EncodeClientRequestInto(uint64_t request_id, const CommandFields& command, uint64_t shard,
                             std::string& bytes);

// NodeMessage{response: ClientResponse{request_id, result, leader_hint, error}}.
std::string EncodeClientResponse(uint64_t request_id, const pb::Result& result, uint64_t leader_hint,
                                 absl::string_view error);

// Decodes `bytes` into `result` if they are a pb::Result in protobuf's
// serialized form (with a code protobuf's own enum knows). Returns false
// otherwise, possibly with `result` partly set: the caller must then parse
// `bytes` with protobuf. Sets every field of `result` (clearing it first
// only if it holds unknown fields); its value keeps its capacity, so a
// reused result decodes without allocating.
[[nodiscard]] bool ReadResult(absl::string_view bytes, pb::Result& result);

// Whether `bytes` are one NodeMessage.request field and nothing else, as
// every client writes a request (EncodeClientRequest). KvNode takes nothing
// else from a client: see KvNode::OnMessage.
[[nodiscard]] bool IsClientRequestEnvelope(absl::string_view bytes);

class ClientRequestReader {
 public:
  // Decodes `bytes` if they are a NodeMessage carrying a ClientRequest in
  // protobuf's form. Returns false otherwise; the caller must then parse
  // `bytes` with protobuf. The accessors are valid after a true return,
  // until the next Read(), and while `bytes` are alive: the command views
  // them.
  [[nodiscard]] bool Read(absl::string_view bytes);
  uint64_t request_id() const { return request_id_; }
  // The command's fields, viewing the bytes read (or the message protobuf
  // parsed a command into that the hand reader declined): a request is
  // handled from these, as copying its strings into a pb::Command cost more
  // than reading them.
  const CommandFields& command() const { return command_; }
  uint64_t shard() const { return shard_; }
  // Equals SerializeCommand() of the command read (command_codec.h): the
  // bytes as received when they are in that form, as every client of this
  // version writes them, or else the command encoded again. What a leader
  // proposes; a read need not pay for it.
  std::string SerializedCommand() const;

 private:
  uint64_t request_id_ = 0;
  CommandFields command_;
  // The command's bytes within those read.
  absl::string_view command_bytes_;
  // Whether the hand reader declined the command and protobuf parsed it,
  // into parsed_ (reused, its strings' capacity with it; a value is
  // bounded by KvLimits, so what it keeps is too).
  bool parsed_by_protobuf_ = false;
  pb::Command parsed_;
  uint64_t shard_ = 0;
};

class ClientResponseReader {
 public:
  // Decodes `bytes` if they are a NodeMessage carrying a ClientResponse in
  // protobuf's form and without an error text (protobuf checks that text
  // is UTF-8; the protobuf path keeps that rule). Returns false otherwise;
  // the caller must then parse `bytes` with protobuf. The accessors are
  // valid after a true return, until the next Read().
  [[nodiscard]] bool Read(absl::string_view bytes);
  // As Read(), but decodes the result into `result` (cleared first; its
  // value keeps its capacity) rather than into the reader's own: a caller
  // that hands the result on then need not copy it. result() is not
  // changed.
  [[nodiscard]] bool ReadInto(absl::string_view bytes, pb::Result& result);
  uint64_t request_id() const { return request_id_; }
  const pb::Result& result() const { return result_; }
  uint64_t leader_hint() const { return leader_hint_; }

 private:
  uint64_t request_id_ = 0;
  // Reused, its value's capacity with it (bounded by KvLimits).
  pb::Result result_;
  uint64_t leader_hint_ = 0;
};

}  // namespace kv::node
