#include "node/backend/backend_log.h"

#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>

#include "absl/strings/str_cat.h"

namespace kv::backend {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

}  // namespace

void SetLogLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }

bool ParseLogLevel(absl::string_view text, LogLevel& out) {
  for (LogLevel l : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    if (text == LevelName(l)) {
      out = l;
      return true;
    }
  }
  return false;
}

std::string QuoteLogValue(absl::string_view value) {
  static constexpr char kHexDigits[] = "0123456789abcdef";
  std::string quoted;
  quoted.reserve(value.size() + 2);
  quoted += '"';
  for (const char ch : value) {
    const auto byte = static_cast<unsigned char>(ch);
    if (ch == '\\' || ch == '"') {
      quoted += '\\';
      quoted += ch;
    } else if (ch == '\n') {
      quoted += "\\n";
    } else if (byte < 0x20 || byte > 0x7e) {
      // A terminal acts on control bytes (ESC starts a sequence); bytes
      // from 0x80 include C1 controls such as CSI (0x9b).
      quoted += "\\x";
      quoted += kHexDigits[byte >> 4];
      quoted += kHexDigits[byte & 0xf];
    } else {
      quoted += ch;
    }
  }
  quoted += '"';
  return quoted;
}

std::string LogFieldValue(absl::string_view value) {
  bool bare = !value.empty();
  for (const char ch : value) {
    const auto byte = static_cast<unsigned char>(ch);
    if (byte <= 0x20 || byte > 0x7e || ch == '"' || ch == '\\' || ch == '=') {
      bare = false;
      break;
    }
  }
  return bare ? std::string(value) : QuoteLogValue(value);
}

void Log(LogLevel level, absl::string_view component, absl::string_view message,
         absl::string_view fields) {
  if (static_cast<int>(level) < g_level.load()) return;
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  tm utc{};
  gmtime_r(&now.tv_sec, &utc);
  char ts[64];
  std::snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                now.tv_nsec / 1000000);
  std::string line = absl::StrCat("ts=", ts, " level=", LevelName(level), " component=", component,
                                  " msg=", QuoteLogValue(message), fields.empty() ? "" : " ", fields, "\n");
  // One write per line so lines of different threads do not interleave.
  ssize_t unused = ::write(2, line.data(), line.size());
  (void)unused;
}

}  // namespace kv::backend
