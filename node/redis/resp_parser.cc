#include "node/redis/resp_parser.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace kv::redis {
namespace {

// Reads a line ending in \r\n starting at `pos`. Returns false if incomplete.
bool ReadLine(absl::string_view input, size_t pos, absl::string_view& line, size_t& next) {
  const size_t end = input.find("\r\n", pos);
  if (end == absl::string_view::npos) return false;
  line = input.substr(pos, end - pos);
  next = end + 2;
  return true;
}

}  // namespace

absl::StatusOr<std::optional<std::vector<std::string>>> ParseRespRequest(
    absl::string_view input, const RespLimits& limits, size_t& consumed) {
  using Result = std::optional<std::vector<std::string>>;
  consumed = 0;
  if (input.empty()) return Result();
  if (input[0] != '*') {
    // Inline command: space-separated words up to \r\n (or \n).
    const size_t end = input.find('\n');
    if (end == absl::string_view::npos) {
      if (static_cast<int64_t>(input.size()) > limits.max_inline_bytes) {
        return absl::InvalidArgumentError("too big inline request");
      }
      return Result();
    }
    // The limit holds however the line arrived: a whole 100 KiB line in one
    // read was accepted, the same line over two reads refused.
    if (static_cast<int64_t>(end) > limits.max_inline_bytes) {
      return absl::InvalidArgumentError("too big inline request");
    }
    absl::string_view line = input.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::vector<std::string> args;
    for (absl::string_view word : absl::StrSplit(line, ' ', absl::SkipEmpty())) {
      args.emplace_back(word);
    }
    consumed = end + 1;
    return Result(std::move(args));
  }
  absl::string_view line;
  size_t pos = 0;
  if (!ReadLine(input, 1, line, pos)) {
    if (input.size() > 32) return absl::InvalidArgumentError("invalid multibulk length");
    return Result();
  }
  int64_t count = 0;
  if (!absl::SimpleAtoi(line, &count) || count < 0 || count > limits.max_arguments) {
    return absl::InvalidArgumentError("invalid multibulk length");
  }
  std::vector<std::string> args;
  args.reserve(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    if (pos >= input.size()) return Result();
    if (input[pos] != '$') {
      return absl::InvalidArgumentError(absl::StrCat("expected '$', got '", input.substr(pos, 1), "'"));
    }
    if (!ReadLine(input, pos + 1, line, pos)) {
      if (input.size() - pos > 32) return absl::InvalidArgumentError("invalid bulk length");
      return Result();
    }
    int64_t length = 0;
    if (!absl::SimpleAtoi(line, &length) || length < 0 || length > limits.max_bulk_bytes) {
      return absl::InvalidArgumentError("invalid bulk length");
    }
    if (input.size() < pos + static_cast<size_t>(length) + 2) return Result();
    if (input.substr(pos + static_cast<size_t>(length), 2) != "\r\n") {
      return absl::InvalidArgumentError("bulk string not terminated by CRLF");
    }
    args.emplace_back(input.substr(pos, static_cast<size_t>(length)));
    pos += static_cast<size_t>(length) + 2;
  }
  consumed = pos;
  return Result(std::move(args));
}

std::string RespSimple(absl::string_view text) { return absl::StrCat("+", text, "\r\n"); }
std::string RespError(absl::string_view text) {
  // An error is one line: a CR or LF from the client's bytes (an unknown
  // command's name, a key in a status message) would end it early, and the
  // rest would read as another reply. Redis replaces them with spaces too.
  std::string out = absl::StrCat("-", text, "\r\n");
  for (size_t i = 1; i + 2 < out.size(); ++i) {
    if (out[i] == '\r' || out[i] == '\n') out[i] = ' ';
  }
  return out;
}
std::string RespInteger(int64_t value) { return absl::StrCat(":", value, "\r\n"); }
std::string RespBulk(absl::string_view bytes) {
  return absl::StrCat("$", bytes.size(), "\r\n", bytes, "\r\n");
}
std::string RespNull() { return "$-1\r\n"; }
std::string RespArrayHeader(int64_t count) { return absl::StrCat("*", count, "\r\n"); }

}  // namespace kv::redis
