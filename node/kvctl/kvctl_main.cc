// kvctl: command-line client of the KV cluster, on the same client library
// (KvClient) and TCP backend as everything else. See docs/operating.md.
//
//   kvctl --cluster=FILE put KEY VALUE
//   kvctl --cluster=FILE get KEY
//   kvctl --cluster=FILE delete KEY
//   kvctl --cluster=FILE cas KEY EXPECTED|--absent NEW
//   kvctl --cluster=FILE status            (each shard's leader, term, commit;
//                                           each node's cluster fingerprint)
//   kvctl --cluster=FILE load N PREFIX     (N sequential puts; prints acks)
//
// Exit codes: 0 success (get: found), 1 not found / CAS mismatch, 2 usage or
// configuration error, 3 the call failed (deadline, refused).
#include <cstdio>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "node/backend/backend_log.h"
#include "node/backend/event_loop.h"
#include "node/backend/tcp_network.h"
#include "node/env/check.h"
#include "node/kv/cluster_config.h"
#include "node/kv/cluster_fingerprint.h"
#include "node/kv/kv_client.h"
#include "node/kvctl/kvctl_flags.h"
#include "node/kvnode/kvnode_config.h"
#include "node/metrics/metrics_tcp_server.h"

namespace {

using kv::node::pb::Result;

int Usage() {
  std::fputs(
      "usage: kvctl --cluster=FILE [--backend=epoll|uring|uring-poll] [--timeout_ms=MS] COMMAND\n"
      "  put KEY VALUE | get KEY | delete KEY | cas KEY EXPECTED|--absent NEW\n"
      "  status | load COUNT PREFIX\n",
      stderr);
  return 2;
}

const char* CodeName(kv::node::pb::Code code) {
  return kv::node::pb::Code_Name(code).c_str();
}

// The label of kv_cluster_fingerprint_info on a /metrics page, or "" if the
// page has none (a kvnode older than the fingerprint).
std::string FingerprintOnPage(absl::string_view page) {
  constexpr absl::string_view kPrefix = "kv_cluster_fingerprint_info{fingerprint=\"";
  for (absl::string_view line : absl::StrSplit(page, '\n')) {
    if (!absl::StartsWith(line, kPrefix)) continue;
    line.remove_prefix(kPrefix.size());
    return std::string(line.substr(0, line.find('"')));
  }
  return "";
}

// Prints each shard's leader, term, commit and applied index from every
// node's /metrics (the nodes' own view; a down node is reported as such),
// then the cluster fingerprint of the file and of every node that answered.
int Status(const kv::node::Cluster& cluster) {
  const std::string expected = kv::node::FormatClusterFingerprint(kv::node::ClusterFingerprint(cluster));
  std::vector<std::string> fingerprint_lines;
  std::printf("%-6s %-5s %-7s %-8s %-8s %-8s %s\n", "shard", "node", "leader", "term", "commit",
              "applied", "role");
  int unreachable = 0;
  for (const auto& node : cluster.config().nodes()) {
    if (node.metrics_address().empty()) continue;
    absl::StatusOr<std::string> page =
        kv::metrics::HttpGetForTcp(node.metrics_address(), "/metrics", 2000);
    if (!page.ok()) {
      std::printf("node %u unreachable: %s\n", node.id(), std::string(page.status().message()).c_str());
      ++unreachable;
      continue;
    }
    const std::string fingerprint = FingerprintOnPage(*page);
    fingerprint_lines.push_back(absl::StrCat(
        "node ", node.id(), " cluster fingerprint ", fingerprint.empty() ? "unknown" : fingerprint,
        fingerprint.empty()          ? " (an older kvnode)"
        : fingerprint != expected    ? " DIFFERS: this node runs with another cluster file"
                                     : ""));
    // shard -> metric -> value
    std::map<uint64_t, std::map<std::string, std::string>> shards;
    for (absl::string_view line : absl::StrSplit(*page, '\n')) {
      if (!absl::StartsWith(line, "kv_raft_")) continue;
      const size_t brace = line.find("{shard=\"");
      if (brace == absl::string_view::npos) continue;
      const size_t quote = line.find('"', brace + 8);
      uint64_t shard = 0;
      if (!absl::SimpleAtoi(line.substr(brace + 8, quote - brace - 8), &shard)) continue;
      const size_t space = line.rfind(' ');
      shards[shard][std::string(line.substr(0, brace))] = std::string(line.substr(space + 1));
    }
    for (auto& [shard, m] : shards) {
      int64_t leader = 0;
      (void)absl::SimpleAtoi(m["kv_raft_leader_id"], &leader);
      std::printf("%-6lu %-5u %-7s %-8s %-8s %-8s %s\n", static_cast<unsigned long>(shard), node.id(),
                  leader == 0 ? "?" : absl::StrCat(leader - 1).c_str(), m["kv_raft_term"].c_str(),
                  m["kv_raft_commit_index"].c_str(), m["kv_raft_applied_index"].c_str(),
                  m["kv_raft_is_leader"] == "1" ? "leader" : "follower");
    }
  }
  std::printf("cluster fingerprint of this file: %s\n", expected.c_str());
  for (const std::string& line : fingerprint_lines) std::printf("%s\n", line.c_str());
  return unreachable == cluster.node_count() ? 3 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace kv;
  kv::backend::SetLogLevel(kv::backend::LogLevel::kWarn);
  absl::StatusOr<kvctl::KvctlFlags> flags =
      kvctl::ParseKvctlFlags(std::vector<std::string>(argv, argv + argc));
  if (!flags.ok()) {
    std::fprintf(stderr, "kvctl: %s\n", std::string(flags.status().message()).c_str());
    return Usage();
  }
  const std::string& cluster_path = flags->cluster_path;
  const backend::BackendKind kind = flags->backend;
  const int64_t timeout_ms = flags->timeout_ms;
  const std::vector<std::string>& args = flags->command;
  auto text = kvnode::ReadFileForKvnode(cluster_path);
  if (!text.ok()) {
    std::fprintf(stderr, "kvctl: %s\n", std::string(text.status().message()).c_str());
    return 2;
  }
  auto cluster = node::Cluster::Parse(*text);
  if (!cluster.ok()) {
    std::fprintf(stderr, "kvctl: cluster file %s: %s\n", cluster_path.c_str(),
                 std::string(cluster.status().message()).c_str());
    return 2;
  }
  // ParseKvctlFlags has checked the command and its number of arguments.
  const std::string& command = args[0];
  if (command == "status") return Status(*cluster);

  auto loop_or = backend::MakeEventLoop(kind);
  if (!loop_or.ok()) {
    std::fprintf(stderr, "kvctl: %s\n", std::string(loop_or.status().message()).c_str());
    return 3;
  }
  std::unique_ptr<backend::EventLoop> loop = std::move(*loop_or);
  env::MemoryBudget budget(256 << 20);
  backend::TcpNetworkOptions o;
  o.self = backend::kFirstClientId - 1;
  o.send_hello = false;
  for (const auto& node : cluster->config().nodes()) o.peers[node.id()] = node.client_address();
  backend::TcpNetwork network(*loop, budget, o);
  std::random_device device;
  env::Random random((static_cast<uint64_t>(device()) << 32) ^ device());
  env::Env env{*loop, network, *loop, random, budget};
  node::KvClientOptions client_options;
  client_options.deadline_ns = timeout_ms * env::kMillisecond;
  auto client = std::make_unique<node::KvClient>(env, *cluster, random.Next64() | 1, client_options);
  client->Start();

  std::optional<absl::StatusOr<Result>> outcome;
  auto done = [&outcome](absl::StatusOr<Result> r) { outcome = std::move(r); };
  auto wait = [&] {
    loop->RunUntil([&] { return outcome.has_value(); }, (timeout_ms + 1000) * env::kMillisecond);
  };
  int rc = 0;
  // CheckKvctlCommand admitted only put, get, delete, cas, status (handled
  // above) and load, each with exactly its arguments and load's COUNT an
  // integer >= 0, so the chain below needs no usage fallback.
  if (command == "put") {
    client->Put(args[1], args[2], done);
  } else if (command == "get") {
    client->Get(args[1], done);
  } else if (command == "delete") {
    client->Delete(args[1], done);
  } else if (command == "cas") {
    std::optional<std::string> expected;
    if (args[2] != "--absent") expected = args[2];
    client->Cas(args[1], expected, args[3], done);
  } else {
    KV_CHECK_EQ(command, std::string("load"));
    // Sequential puts PREFIX-i = i; prints "ack KEY VALUE" for each
    // acknowledged write and "fail KEY" for each that timed out (which may
    // or may not have been applied).
    int64_t count = 0;
    const bool count_parsed = absl::SimpleAtoi(args[1], &count);
    KV_CHECK(count_parsed);
    KV_CHECK_GE(count, 0);
    int failures = 0;
    for (int64_t i = 0; i < count; ++i) {
      const std::string key = absl::StrCat(args[2], "-", i);
      const std::string value = absl::StrCat("v", i);
      outcome.reset();
      client->Put(key, value, done);
      wait();
      if (outcome.has_value() && outcome->ok() && (*outcome)->code() == node::pb::CODE_OK) {
        std::printf("ack %s %s\n", key.c_str(), value.c_str());
      } else {
        std::printf("fail %s\n", key.c_str());
        ++failures;
      }
      std::fflush(stdout);
    }
    client.reset();
    return failures == 0 ? 0 : 3;
  }
  wait();
  client.reset();
  if (!outcome.has_value()) {
    std::fprintf(stderr, "kvctl: no answer\n");
    return 3;
  }
  if (!outcome->ok()) {
    std::fprintf(stderr, "kvctl: %s\n", outcome->status().ToString().c_str());
    return 3;
  }
  const Result& r = **outcome;
  if (command == "get") {
    if (r.code() == node::pb::CODE_OK) {
      // Every byte of the value: printf's %s stopped at the first NUL, and
      // a value set through Redis may hold any bytes.
      std::fwrite(r.value().data(), 1, r.value().size(), stdout);
      std::fputc('\n', stdout);
    } else {
      std::printf("(%s)\n", CodeName(r.code()));
      rc = r.code() == node::pb::CODE_NOT_FOUND ? 1 : 3;
    }
  } else {
    std::printf("%s\n", r.code() == node::pb::CODE_OK ? "OK" : CodeName(r.code()));
    if (r.code() == node::pb::CODE_CAS_MISMATCH || r.code() == node::pb::CODE_NOT_FOUND) rc = 1;
    else if (r.code() != node::pb::CODE_OK) rc = 3;
  }
  return rc;
}
