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

// "kvctl status extra" printed the status and ignored "extra"; each
// command now takes exactly the arguments the usage text lists.
TEST(KvctlFlagsTest, EachCommandRefusesExtraArguments) {
  struct Case {
    std::vector<std::string> command;
    std::string error;
  };
  const std::vector<Case> cases = {
      {{"status", "extra"}, "status: unexpected extra argument \"extra\" (usage: status)"},
      {{"put", "k", "v", "w"}, "put: unexpected extra argument \"w\" (usage: put KEY VALUE)"},
      {{"get", "k", "x"}, "get: unexpected extra argument \"x\" (usage: get KEY)"},
      {{"delete", "k", "x", "y"}, "delete: unexpected extra argument \"x\" (usage: delete KEY)"},
      {{"cas", "k", "--absent", "v", "x"},
       "cas: unexpected extra argument \"x\" (usage: cas KEY EXPECTED|--absent NEW)"},
      {{"load", "3", "p", "x"}, "load: unexpected extra argument \"x\" (usage: load COUNT PREFIX)"},
      {{"status", "\x1b[2J"}, "status: unexpected extra argument \"\\x1b[2J\" (usage: status)"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(CheckKvctlCommand(c.command).message(), c.error);
    std::vector<std::string> argv = {"kvctl", "--cluster=c"};
    argv.insert(argv.end(), c.command.begin(), c.command.end());
    auto flags = ParseKvctlFlags(argv);
    ASSERT_FALSE(flags.ok()) << c.error;
    EXPECT_EQ(flags.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(flags.status().message(), c.error);
  }
}

TEST(KvctlFlagsTest, MissingArgumentsAndUnknownCommandsAreNamed) {
  EXPECT_EQ(CheckKvctlCommand({"put", "k"}).message(), "put: missing VALUE (usage: put KEY VALUE)");
  EXPECT_EQ(CheckKvctlCommand({"get"}).message(), "get: missing KEY (usage: get KEY)");
  EXPECT_EQ(CheckKvctlCommand({"cas", "k", "old"}).message(),
            "cas: missing NEW (usage: cas KEY EXPECTED|--absent NEW)");
  EXPECT_EQ(CheckKvctlCommand({"load", "-1", "p"}).message(), "load: COUNT \"-1\" is not an integer >= 0");
  EXPECT_EQ(CheckKvctlCommand({"load", "many", "p"}).message(),
            "load: COUNT \"many\" is not an integer >= 0");
  EXPECT_EQ(CheckKvctlCommand({"scan", "a"}).message(),
            "unknown command \"scan\"; expected put, get, delete, cas, status or load");
}

TEST(KvctlFlagsTest, EachCommandWithItsArgumentsIsAccepted) {
  for (const std::vector<std::string>& command : std::vector<std::vector<std::string>>{
           {"put", "k", "v"},
           {"get", "k"},
           {"delete", "k"},
           {"cas", "k", "--absent", "v"},
           {"cas", "k", "old", "new"},
           {"status"},
           {"load", "0", "p"},
           {"load", "10", "p"}}) {
    EXPECT_TRUE(CheckKvctlCommand(command).ok()) << command[0] << " " << CheckKvctlCommand(command);
  }
}

}  // namespace
}  // namespace kv::kvctl
