#include "node/kvnode/kvnode_config.h"

#include <cstdio>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "node/backend/backend_log.h"

namespace kv::kvnode {
namespace {

std::string WriteTemp(const std::string& name, const std::string& text) {
  const std::string path = testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(KvnodeConfigTest, FlagsOverrideTheConfigFile) {
  const std::string file = WriteTemp("kvnode.conf",
                                     "# comment\nnode_id = 1\ncluster = c.txt\n"
                                     "data_dir = /tmp/x\nbackend = uring\n");
  auto c = ParseKvnodeFlags({"kvnode", "--config=" + file, "--node_id=2"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->node_id, 2);
  EXPECT_EQ(c->cluster_path, "c.txt");
  EXPECT_EQ(c->backend, backend::BackendKind::kUring);
}

TEST(KvnodeConfigTest, BadFlagsGetClearErrors) {
  struct Case {
    std::vector<std::string> args;
    std::string error;
  };
  std::vector<Case> cases = {
      {{"kvnode", "--cluster=c", "--data_dir=d"}, "--node_id is required"},
      {{"kvnode", "--node_id=x", "--cluster=c", "--data_dir=d"}, "--node_id=x"},
      {{"kvnode", "--node_id=0", "--cluster=c", "--data_dir=d", "--backend=kqueue"}, "kqueue"},
      {{"kvnode", "--node_id=0", "--bogus=1"}, "unknown option \"bogus\""},
      {{"kvnode", "--node_id=0", "--cluster=c", "--data_dir=d", "--memory_limit_bytes=5"}, ">= 1048576"},
      {{"kvnode", "--config=/nonexistent/file"}, "cannot read"},
      {{"kvnode", "positional"}, "unexpected argument"},
  };
  for (const Case& c : cases) {
    auto r = ParseKvnodeFlags(c.args);
    ASSERT_FALSE(r.ok()) << c.error;
    EXPECT_NE(r.status().message().find(c.error), absl::string_view::npos) << r.status();
  }
}

// "--node_id=1 --node_id=2" started node 2: the last flag won silently,
// where kvsim refuses a flag given twice. The same option in the config file
// and on the command line is not a duplicate: the command line overrides
// the file (FlagsOverrideTheConfigFile).
TEST(KvnodeConfigTest, FlagGivenTwiceIsRefused) {
  auto twice = ParseKvnodeFlags({"kvnode", "--node_id=1", "--cluster=c", "--data_dir=d", "--node_id=2"});
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(twice.status().message(), "flag --node_id given twice");
  const std::string file = WriteTemp("once.conf", "cluster = c\ndata_dir = d\n");
  auto config_twice =
      ParseKvnodeFlags({"kvnode", "--config=" + file, "--node_id=0", "--config=" + file});
  ASSERT_FALSE(config_twice.ok());
  EXPECT_EQ(config_twice.status().message(), "flag --config given twice");
}

// Within the config file, too, an option set twice is refused (one of the
// lines is a leftover), naming both lines.
TEST(KvnodeConfigTest, OptionTwiceInTheConfigFileIsRefused) {
  const std::string file =
      WriteTemp("twice.conf", "node_id = 1\ncluster = c\n# comment\n--node_id = 2\ndata_dir = d\n");
  auto r = ParseKvnodeFlags({"kvnode", "--config=" + file});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), file + ":4: option \"node_id\" given twice (first on line 1)");
}

// A binary file given as --config had its bytes copied into the error
// message, terminal control sequences and all. At most 80 bytes of the line
// are quoted, and the log line (msg, backend::QuoteLogValue) escapes them,
// once: the message used to carry them escaped already, and the log
// escaped that escape again, so ESC showed as \\x1b.
TEST(KvnodeConfigTest, BinaryConfigLineIsCutAndLoggedEscapedOnce) {
  auto shows_only_printable = [](absl::string_view line) {
    for (char ch : line) {
      if (ch < 0x20 || ch > 0x7e) return false;
    }
    return true;
  };
  const std::string no_equals = std::string("\x1b[2J\x07\xff\xfe", 7) + std::string(500, '\x01');
  const std::string file = WriteTemp("binary.conf", no_equals + "\n");
  auto r = ParseKvnodeFlags({"kvnode", "--config=" + file});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            file + ":1: expected key = value, got \"" + no_equals.substr(0, 80) + "...\"");
  std::string logged = backend::QuoteLogValue(r.status().message());
  EXPECT_TRUE(shows_only_printable(logged)) << logged;
  EXPECT_NE(logged.find(file + ":1: expected key = value, got \\\"\\x1b[2J\\x07\\xff\\xfe\\x01"),
            std::string::npos)
      << logged;
  EXPECT_EQ(logged.find("\\\\"), std::string::npos) << logged;

  const std::string bad_key = WriteTemp("bad_key.conf", "\x1b]0;title\x07 = 1\n");
  r = ParseKvnodeFlags({"kvnode", "--config=" + bad_key});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(backend::QuoteLogValue(r.status().message()),
            "\"" + bad_key + ":1: unknown option \\\"\\x1b]0;title\\x07\\\"\"");
  for (const char* option : {"node_id", "backend", "log_level", "shutdown_drain_ms"}) {
    const std::string bad_value =
        WriteTemp("bad_value.conf", absl::StrCat(option, " = \x1b[31mred\x9b\n"));
    r = ParseKvnodeFlags({"kvnode", "--config=" + bad_value});
    ASSERT_FALSE(r.ok()) << option;
    logged = backend::QuoteLogValue(r.status().message());
    EXPECT_TRUE(shows_only_printable(logged)) << logged;
    EXPECT_NE(logged.find("=\\x1b[31mred\\x9b:"), std::string::npos) << logged;
    EXPECT_EQ(logged.find("\\\\"), std::string::npos) << logged;
  }
}

// --shutdown_drain_ms=9223372036854775807 was accepted, and the drain
// deadline (in nanoseconds) overflowed int64 at SIGTERM (UBSan aborted).
TEST(KvnodeConfigTest, ShutdownDrainIsBounded) {
  const std::vector<std::string> base = {"kvnode", "--node_id=0", "--cluster=c", "--data_dir=d"};
  auto with = [&](const std::string& flag) {
    std::vector<std::string> args = base;
    args.push_back(flag);
    return ParseKvnodeFlags(args);
  };
  EXPECT_TRUE(with("--shutdown_drain_ms=86400000").ok());
  auto r = with("--shutdown_drain_ms=9223372036854775807");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("[0, 86400000]"), absl::string_view::npos) << r.status();
}

// A directory as --config was read as an empty file (the node started with
// no options from it), and /dev/zero was read until memory ran out.
TEST(KvnodeConfigTest, ConfigPathMustBeABoundedFile) {
  auto dir = ReadFileForKvnode(testing::TempDir());
  EXPECT_EQ(dir.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(dir.status().message().find("is a directory"), absl::string_view::npos) << dir.status();
  auto zero = ReadFileForKvnode("/dev/zero");
  EXPECT_EQ(zero.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(zero.status().message().find("larger than"), absl::string_view::npos) << zero.status();
  auto flags = ParseKvnodeFlags({"kvnode", "--config=" + testing::TempDir()});
  EXPECT_FALSE(flags.ok());
  const std::string text = "node_id = 1\n";
  EXPECT_EQ(*ReadFileForKvnode(WriteTemp("small.conf", text)), text);
}

TEST(KvnodeConfigTest, ClusterMustNameThisNodeWithAddresses) {
  const std::string good = WriteTemp(
      "cluster.txt",
      "nodes { id: 0 peer_address: \"127.0.0.1:1\" client_address: \"127.0.0.1:2\" }\n"
      "shards { id: 1 replicas: 0 }\n");
  KvnodeConfig c;
  c.cluster_path = good;
  c.node_id = 0;
  EXPECT_TRUE(LoadCluster(c).ok());
  c.node_id = 3;
  EXPECT_NE(LoadCluster(c).status().message().find("not in"), absl::string_view::npos);
  c.node_id = 0;
  c.cluster_path = WriteTemp("bad.txt", "nodes { id: 0 }\nshards { id: 1 replicas: 0 }\n");
  EXPECT_NE(LoadCluster(c).status().message().find("peer_address"), absl::string_view::npos);
  c.cluster_path = WriteTemp("garbage.txt", "this is not a proto");
  EXPECT_EQ(LoadCluster(c).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kv::kvnode
