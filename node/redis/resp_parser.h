#pragma once
// RESP2 request parsing and reply encoding (the Redis protocol). Pure and
// deterministic. Layer: node/redis.
//
// Requests are arrays of bulk strings ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"), as
// every Redis client library and redis-cli/redis-benchmark send them; inline
// commands ("PING\r\n") are accepted too. Limits bound what one request may
// buffer; a violation is a protocol error: reply and close.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kv::redis {

struct RespLimits {
  int64_t max_arguments = 1024;
  int64_t max_bulk_bytes = 2 << 20;
  int64_t max_inline_bytes = 64 << 10;
};

// Parses one request from the front of `input`. Returns the arguments and
// sets `consumed` to its length; nullopt when more bytes are needed; or
// kInvalidArgument (the text for a "-ERR Protocol error: ..." reply).
[[nodiscard]] absl::StatusOr<std::optional<std::vector<std::string>>> ParseRespRequest(
    absl::string_view input, const RespLimits& limits, size_t& consumed);

std::string RespSimple(absl::string_view text);          // +text
std::string RespError(absl::string_view text);           // -text, CR and LF made spaces
std::string RespInteger(int64_t value);                  // :value
std::string RespBulk(absl::string_view bytes);           // $n bytes
std::string RespNull();                                  // $-1
std::string RespArrayHeader(int64_t count);              // *count

}  // namespace kv::redis
