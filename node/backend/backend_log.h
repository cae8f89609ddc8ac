#pragma once
// Structured log lines of a real node: one line per event on stderr,
//   ts=2026-11-25T14:00:00.123Z level=warn component=tcp msg="..." key=value
// Layer: node/backend (reads the wall clock; never used by simulated code).

#include <string>

#include "absl/strings/string_view.h"

namespace kv::backend {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Lines below this level are dropped. Default kInfo. Not thread-safe to set
// while other threads log; set it once at startup.
void SetLogLevel(LogLevel level);
// Parses "debug", "info", "warn" or "error". Returns false for anything else.
bool ParseLogLevel(absl::string_view text, LogLevel& out);

// `value` in double quotes, as msg is written: for a field of free text in
// `fields`. Backslashes, quotes and newlines are escaped with a backslash
// (`\\`, `\"`, `\n`), and every other byte outside printable ASCII as `\xNN`
// (two lowercase hex digits), so that the field ends at its closing quote
// and no control byte reaches a terminal. This is the only escaping a
// logged string gets: pass the raw bytes, not an already escaped form.
std::string QuoteLogValue(absl::string_view value);

// `value` as a field's value: as it is when it is a bare logfmt word (not
// empty; printable ASCII without space, '"', '\\' or '='), as
// QuoteLogValue gives it otherwise. For values that are usually bare but
// come from the user (a path, an address), so that `data_dir=/var/lib/kv`
// stays greppable while a path with a space or a control byte cannot split
// the line's fields or reach a terminal.
std::string LogFieldValue(absl::string_view value);

// Writes one line: ts, level, component, msg (quoted) and `fields` (already
// formatted as key=value pairs separated by spaces; may be empty).
// Thread-safe (one write(2) per line).
void Log(LogLevel level, absl::string_view component, absl::string_view message,
         absl::string_view fields = "");

}  // namespace kv::backend
