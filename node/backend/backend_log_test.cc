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

// A field value stays bare when logfmt can read it bare, and is quoted
// (escaped as above) when it would split the line's fields, end a quoted
// one, or carry a control byte: a data_dir of "/tmp/a b" used to log as
// `data_dir=/tmp/a b`, which reads as data_dir=/tmp/a and a stray "b".
TEST(BackendLogTest, LogFieldValueQuotesOnlyWhatWouldNotReadBare) {
  EXPECT_EQ(LogFieldValue("/var/lib/kv"), "/var/lib/kv");
  EXPECT_EQ(LogFieldValue("127.0.0.1:7100"), "127.0.0.1:7100");
  EXPECT_EQ(LogFieldValue(""), "\"\"");
  EXPECT_EQ(LogFieldValue("/tmp/a b"), "\"/tmp/a b\"");
  EXPECT_EQ(LogFieldValue("x=y"), "\"x=y\"");
  EXPECT_EQ(LogFieldValue("say\"hi"), "\"say\\\"hi\"");
  EXPECT_EQ(LogFieldValue("C:\\kv"), "\"C:\\\\kv\"");
  EXPECT_EQ(LogFieldValue("/tmp/\x1b[2J"), "\"/tmp/\\x1b[2J\"");
  EXPECT_EQ(LogFieldValue("caf\xc3\xa9"), "\"caf\\xc3\\xa9\"");
}

}  // namespace
}  // namespace kv::backend
