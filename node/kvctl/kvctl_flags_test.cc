#include "node/kvctl/kvctl_flags.h"

#include "gtest/gtest.h"

namespace kv::kvctl {
namespace {

TEST(KvctlFlagsTest, FlagsAndCommandWordsInAnyOrder) {
  auto flags = ParseKvctlFlags({"kvctl", "put", "--cluster=c.txt", "--k", "--timeout_ms=7", "v"});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(flags->cluster_path, "c.txt");
  EXPECT_EQ(flags->timeout_ms, 7);
  EXPECT_EQ(flags->command, (std::vector<std::string>{"put", "--k", "v"}));
}

// --timeout_ms=9223372036854775807 was accepted, and the deadline in
// nanoseconds overflowed int64 (UBSan aborted kvctl); --timeout_ms=0 got
// the usage text with no word on what was wrong.
TEST(KvctlFlagsTest, TimeoutOutsideItsRangeIsNamed) {
  for (const char* value : {"0", "-1", "abc", "86400001", "9223372036854775807"}) {
    auto flags = ParseKvctlFlags({"kvctl", "--cluster=c", std::string("--timeout_ms=") + value, "get", "k"});
    ASSERT_FALSE(flags.ok()) << value;
    EXPECT_EQ(flags.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(flags.status().message().find("[1, 86400000]"), absl::string_view::npos) << flags.status();
  }
  EXPECT_TRUE(ParseKvctlFlags({"kvctl", "--cluster=c", "--timeout_ms=86400000", "get", "k"}).ok());
}

TEST(KvctlFlagsTest, MissingClusterOrCommandIsNamed) {
  EXPECT_NE(ParseKvctlFlags({"kvctl", "get", "k"}).status().message().find("--cluster"),
            absl::string_view::npos);
  EXPECT_NE(ParseKvctlFlags({"kvctl", "--cluster=c"}).status().message().find("no command"),
            absl::string_view::npos);
  EXPECT_NE(ParseKvctlFlags({"kvctl", "--cluster=c", "--backend=kqueue", "get", "k"})
                .status()
                .message()
                .find("kqueue"),
            absl::string_view::npos);
}

// "--timeout_ms=1 --timeout_ms=9000" used the last value silently; kvsim
// and kvnode refuse a flag given twice, and so does kvctl.
TEST(KvctlFlagsTest, FlagGivenTwiceIsRefused) {
  for (const char* flag : {"--cluster=d", "--backend=uring", "--timeout_ms=9"}) {
    auto flags = ParseKvctlFlags({"kvctl", "--cluster=c", "--backend=epoll", "--timeout_ms=7", "get",
                                  "k", flag});
    ASSERT_FALSE(flags.ok()) << flag;
    EXPECT_EQ(flags.status().code(), absl::StatusCode::kInvalidArgument);
    const std::string name(absl::string_view(flag).substr(0, absl::string_view(flag).find('=')));
    EXPECT_EQ(flags.status().message(), "flag " + name + " given twice");
  }
}

}  // namespace
}  // namespace kv::kvctl
