#include "sim/trace/trace_filter.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace kv::sim::trace {

bool TraceFilter::MatchesNode(const TraceEvent& event) const {
  if (!node.has_value()) return true;
  if (event.kind == TraceKind::kFault && event.node < 0) return true;
  return event.node == *node || event.peer == *node;
}

bool TraceFilter::MatchesShard(const TraceEvent& event) const {
  if (!shard.has_value()) return true;
  if (event.kind == TraceKind::kFault) return true;
  return event.shard == *shard;
}

absl::StatusOr<env::TimeNs> ParseTraceTime(const std::string& text) {
  auto error = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        "bad time '", text, "': want a number with a unit (3s, 1.5s, 250ms, 40us, 100ns) or nanoseconds"));
  };
  size_t digits_end = 0;
  while (digits_end < text.size() && ((text[digits_end] >= '0' && text[digits_end] <= '9') || text[digits_end] == '.')) {
    ++digits_end;
  }
  const std::string number = text.substr(0, digits_end);
  const std::string unit = text.substr(digits_end);
  int64_t scale = 1;
  if (unit == "s") {
    scale = env::kSecond;
  } else if (unit == "ms") {
    scale = env::kMillisecond;
  } else if (unit == "us") {
    scale = 1000;
  } else if (unit != "ns" && !unit.empty()) {
    return error();
  }
  const size_t dot = number.find('.');
  const std::string whole = number.substr(0, dot);
  const std::string fraction = dot == std::string::npos ? "" : number.substr(dot + 1);
  if (whole.empty() || fraction.find('.') != std::string::npos || (dot != std::string::npos && fraction.empty())) {
    return error();
  }
  uint64_t whole_value = 0;
  if (!absl::SimpleAtoi(whole, &whole_value) || whole_value > static_cast<uint64_t>(INT64_MAX / scale)) {
    return error();
  }
  // Integer arithmetic for the fraction, so "0.1s" is exactly 100000000 ns.
  int64_t fraction_ns = 0;
  int64_t place = scale;
  for (char c : fraction) {
    place /= 10;
    if (place == 0) {
      if (c != '0') return absl::InvalidArgumentError(absl::StrCat("time '", text, "' is finer than a nanosecond"));
      continue;
    }
    fraction_ns += (c - '0') * place;
  }
  return static_cast<env::TimeNs>(whole_value) * scale + fraction_ns;
}

absl::StatusOr<int> ParseTraceNode(const std::string& text, int servers, int clients) {
  const bool client = !text.empty() && text[0] == 'c';
  const std::string digits = (!text.empty() && (text[0] == 'n' || text[0] == 'c')) ? text.substr(1) : text;
  uint64_t index = 0;
  if (digits.empty() || digits[0] == '+' || digits[0] == '-' || !absl::SimpleAtoi(digits, &index)) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad --node '", text, "': want a server (3 or n3) or a client (c1)"));
  }
  const uint64_t limit = static_cast<uint64_t>(client ? clients : servers);
  if (client && clients == 0) {
    return absl::InvalidArgumentError(absl::StrCat("--node ", text, " is out of range: this run has no clients"));
  }
  if (index >= limit) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--node ", text, " is out of range: this run has ",
        client ? absl::StrCat(clients, " clients (c0..c", clients - 1, ")")
               : absl::StrCat(servers, " servers (0..", servers - 1, " or n0..n", servers - 1, ")"),
        clients > 0 && !client ? absl::StrCat(" and clients c0..c", clients - 1) : ""));
  }
  return client ? servers + static_cast<int>(index) : static_cast<int>(index);
}

std::string FormatTraceTime(env::TimeNs time_ns) {
  return absl::StrFormat("%d.%06ds", time_ns / env::kSecond, (time_ns % env::kSecond) / 1000);
}

}  // namespace kv::sim::trace
