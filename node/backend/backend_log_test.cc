#include "node/backend/backend_log.h"

#include <string>

#include "gtest/gtest.h"

namespace kv::backend {
namespace {

// A logged string is escaped once, by QuoteLogValue: its backslashes,
// quotes and newlines with a backslash, every other byte outside printable
// ASCII as \xNN. Control bytes used to pass through raw (ESC could drive the
// terminal), so callers escaped them first and the log escaped that escape
// again (ESC showed as \\x1b).
TEST(BackendLogTest, QuoteLogValueEscapesEachByteOnce) {
  EXPECT_EQ(QuoteLogValue("plain text: ok"), "\"plain text: ok\"");
  EXPECT_EQ(QuoteLogValue("a \"b\" C:\\kv\nnext"), "\"a \\\"b\\\" C:\\\\kv\\nnext\"");
  EXPECT_EQ(QuoteLogValue("\x1b[2J"), "\"\\x1b[2J\"");
  EXPECT_EQ(QuoteLogValue(std::string("\0\t\r\x7f\x9b\xff", 6)), "\"\\x00\\x09\\x0d\\x7f\\x9b\\xff\"");
  // Printable ASCII, from space to tilde, passes as it is (but for the
  // backslash and the quote).
  std::string printable;
  for (char ch = ' '; ch <= '~'; ++ch) {
    if (ch != '\\' && ch != '"') printable += ch;
  }
  EXPECT_EQ(QuoteLogValue(printable), "\"" + printable + "\"");
}

}  // namespace
}  // namespace kv::backend
