// Multi-process test of a real cluster: three kvnode processes on loopback,
// for each backend. Writes and reads through kvctl, redis-cli (when
// installed) and the client library; SIGKILLs a shard leader under a bounded
// write load, restarts it and waits for it to catch up; pauses a node with
// SIGSTOP/SIGCONT; sends malformed input to every listening port. The
// recorded history is checked: every acknowledged write is readable with its
// value afterwards (each key is written once, so this also checks that reads
// never return a value other than the acknowledged one). Around the kill,
// the pause and a SIGTERM, background threads (each with its own client,
// loop and client id) run puts, gets and CAS on shared keys; the whole
// concurrent history, with intervals on CLOCK_MONOTONIC (one clock for all
// threads), is checked by the linearizability checker.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "node/backend/event_loop.h"
#include "node/backend/frame_codec.h"
#include "node/backend/tcp_network.h"
#include "node/kv/cluster_config.h"
#include "node/kv/cluster_fingerprint.h"
#include "node/kv/kv_client.h"
#include "node/metrics/metrics_tcp_server.h"
#include "node/redis/redis_tcp_server.h"
#include "properties/linearizability/history.h"
#include "properties/linearizability/linearizability_checker.h"

namespace kv::kvnode {
namespace {

constexpr int kNodes = 3;

// Prints how long each phase took (a real-process test; wall time is fine).
void Phase(const char* name) {
  static auto last = std::chrono::steady_clock::now();
  const auto now = std::chrono::steady_clock::now();
  std::fprintf(stderr, "phase %-24s %6lld ms\n", name,
               static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(now - last).count()));
  last = now;
}
constexpr int kShards = 3;

// A port that is free now and below the kernel's ephemeral range, so the
// outgoing connections of nodes that start first cannot take it before the
// node that owns it binds it (bind-to-port-0 ports can race that way).
int FreePort() {
  static int next = [] {
    int low = 32768;
    std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> low;
    const int floor = 10000;
    const int span = std::max(1000, low - floor - 200);
    return floor + static_cast<int>((static_cast<unsigned>(::getpid()) * 7919u) % static_cast<unsigned>(span));
  }();
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const int port = next++;
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    ::close(fd);
    if (free) return port;
  }
  return 0;
}

// Runs a shell command; returns its stdout and sets `status` to the exit code.
std::string Shell(const std::string& command, int& status) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    status = -1;
    return out;
  }
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) out.append(buffer, n);
  const int raw = ::pclose(pipe);
  status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return out;
}

class ProcessCluster {
 public:
  explicit ProcessCluster(absl::string_view backend) : backend_(backend) {
    dir_ = absl::StrCat(testing::TempDir(), "/kvcluster-", backend, "-", ::getpid());
    Shell("rm -rf " + dir_ + " && mkdir -p " + dir_, unused_);
    std::string text;
    for (int i = 0; i < kNodes; ++i) {
      for (int k = 0; k < 4; ++k) ports_[i][k] = FreePort();
      absl::StrAppend(&text, "nodes { id: ", i, " peer_address: \"127.0.0.1:", ports_[i][0],
                      "\" client_address: \"127.0.0.1:", ports_[i][1], "\" redis_address: \"127.0.0.1:",
                      ports_[i][2], "\" metrics_address: \"127.0.0.1:", ports_[i][3], "\" }\n");
    }
    for (int s = 1; s <= kShards; ++s) {
      absl::StrAppend(&text, "shards { id: ", s, " replicas: 0 replicas: 1 replicas: 2 }\n");
    }
    cluster_path_ = dir_ + "/cluster.txt";
    std::ofstream(cluster_path_) << text;
    text_ = text;
    cluster_ = std::make_unique<node::Cluster>(*node::Cluster::Parse(text));
  }

  ~ProcessCluster() {
    for (int i = 0; i < kNodes; ++i) {
      if (pids_[i] > 0) {
        ::kill(pids_[i], SIGCONT);
        ::kill(pids_[i], SIGKILL);
        ::waitpid(pids_[i], nullptr, 0);
      }
    }
    // Keep the logs and data of a failed test for inspection.
    if (!testing::Test::HasFailure()) Shell("rm -rf " + dir_, unused_);
  }

  void StartNode(int i) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      const std::string log = absl::StrCat(dir_, "/node-", i, ".log");
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      const std::string a1 = absl::StrCat("--node_id=", i);
      const std::string a2 = "--cluster=" + (own_cluster_path_[i].empty() ? cluster_path_ : own_cluster_path_[i]);
      const std::string a3 = absl::StrCat("--data_dir=", dir_, "/data-", i);
      const std::string a4 = "--backend=" + backend_;
      const std::string a5 = "--shutdown_drain_ms=100";
      ::execl(KVNODE_BINARY, "kvnode", a1.c_str(), a2.c_str(), a3.c_str(), a4.c_str(), a5.c_str(),
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    pids_[i] = pid;
  }

  // From now on node i starts with its own cluster file: the common one with
  // `extra` appended (empty: the common file again). Returns its text.
  std::string UseOwnClusterFile(int i, absl::string_view extra) {
    if (extra.empty()) {
      own_cluster_path_[i].clear();
      return text_;
    }
    own_cluster_path_[i] = absl::StrCat(dir_, "/cluster-", i, ".txt");
    std::ofstream(own_cluster_path_[i]) << text_ << extra << "\n";
    return absl::StrCat(text_, extra, "\n");
  }

  void Signal(int i, int signal) { ::kill(pids_[i], signal); }

  // Waits for node i to exit; returns its exit code (or -signal).
  int Reap(int i) {
    int status = 0;
    ::waitpid(pids_[i], &status, 0);
    pids_[i] = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  }

  // Node i's view: shard -> metric -> value (kv_raft_* gauges).
  std::map<uint64_t, std::map<std::string, int64_t>> Raft(int i) {
    std::map<uint64_t, std::map<std::string, int64_t>> out;
    auto page = metrics::HttpGetForTcp(absl::StrCat("127.0.0.1:", ports_[i][3]), "/metrics", 1000);
    if (!page.ok()) return out;
    for (absl::string_view line : absl::StrSplit(*page, '\n')) {
      const size_t brace = line.find("{shard=\"");
      if (line.substr(0, 8) != "kv_raft_" || brace == absl::string_view::npos) continue;
      const size_t quote = line.find('"', brace + 8);
      uint64_t shard = 0;
      int64_t value = 0;
      if (!absl::SimpleAtoi(line.substr(brace + 8, quote - brace - 8), &shard)) continue;
      if (!absl::SimpleAtoi(line.substr(line.rfind(' ') + 1), &value)) continue;
      out[shard][std::string(line.substr(0, brace))] = value;
    }
    return out;
  }

  // The node that says it leads `shard` (among `candidates`), or -1.
  int LeaderOf(uint64_t shard, const std::vector<int>& candidates) {
    for (int i : candidates) {
      auto raft = Raft(i);
      if (raft[shard]["kv_raft_is_leader"] == 1) return i;
    }
    return -1;
  }

  // Polls (bounded) until every shard has a leader among `candidates`.
  bool WaitForLeaders(const std::vector<int>& candidates, int timeout_ms) {
    for (int waited = 0; waited < timeout_ms; waited += 50) {
      bool all = true;
      for (int s = 1; s <= kShards; ++s) all = all && LeaderOf(s, candidates) >= 0;
      if (all) return true;
      ::usleep(50 * 1000);  // Polling a separate process: there is no event to wait on.
    }
    return false;
  }

  std::string Kvctl(const std::string& args, int& status) {
    return Shell(absl::StrCat(KVCTL_BINARY, " --backend=", backend_, " --cluster=", cluster_path_,
                              " ", args, " 2>&1"),
                 status);
  }

  int port(int node, int kind) const { return ports_[node][kind]; }
  const node::Cluster& cluster() const { return *cluster_; }
  const std::string& dir() const { return dir_; }
  const std::string& text() const { return text_; }

 private:
  std::string backend_;
  std::string dir_;
  std::string cluster_path_;
  std::string text_;  // Of the common cluster file.
  std::string own_cluster_path_[kNodes];  // Empty: the node uses cluster_path_.
  int ports_[kNodes][4] = {};
  pid_t pids_[kNodes] = {};
  std::unique_ptr<node::Cluster> cluster_;
  int unused_ = 0;
};

// An in-process client on the backend under test, recording its history.
class RecordingClient {
 public:
  // `index` tells clients of one test apart: it seeds the client's id and
  // names it in the history.
  RecordingClient(const node::Cluster& cluster, backend::BackendKind kind, int index = 0)
      : index_(index), loop_(std::move(*backend::MakeEventLoop(kind))), budget_(256 << 20) {
    backend::TcpNetworkOptions o;
    o.self = backend::kFirstClientId - 1;
    o.send_hello = false;
    for (const auto& n : cluster.config().nodes()) o.peers[n.id()] = n.client_address();
    network_ = std::make_unique<backend::TcpNetwork>(*loop_, budget_, o);
    random_ = std::make_unique<env::Random>(static_cast<uint64_t>(::getpid()) * 7919 + 17 +
                                            static_cast<uint64_t>(index) * 104729);
    env_ = std::make_unique<env::Env>(env::Env{*loop_, *network_, *loop_, *random_, budget_});
    node::KvClientOptions co;
    co.deadline_ns = 10 * env::kSecond;
    client_ = std::make_unique<node::KvClient>(*env_, cluster, random_->Next64() | 1, co);
    client_->Start();
  }
  ~RecordingClient() {
    client_.reset();
    network_.reset();
  }

  // Returns the result, or nullopt when the call failed (unknown outcome).
  std::optional<node::pb::Result> Call(absl::AnyInvocable<void(node::KvClient::Callback)> issue) {
    std::optional<absl::StatusOr<node::pb::Result>> outcome;
    issue([&outcome](absl::StatusOr<node::pb::Result> r) { outcome = std::move(r); });
    loop_->RunUntil([&] { return outcome.has_value(); }, 15 * env::kSecond);
    // The client library answers every call by its deadline (10 s): a
    // result, or an error saying why; silence would be a bug.
    if (!outcome.has_value()) ++unanswered_;
    if (!outcome.has_value() || !outcome->ok()) return std::nullopt;
    return **outcome;
  }
  // Each call is recorded in the history, with its interval on this
  // process's monotonic clock; a failed call is recorded as indeterminate.
  bool Put(const std::string& key, const std::string& value) {
    const int64_t call_ns = loop_->NowNs();
    auto r = Call([&](node::KvClient::Callback cb) { client_->Put(key, value, std::move(cb)); });
    const bool ok = r.has_value() && r->code() == node::pb::CODE_OK;
    properties::Operation op = properties::MakePut(index_, key, value, call_ns, loop_->NowNs());
    history_.push_back(ok ? op : properties::TimedOut(op));
    return ok;
  }
  std::optional<node::pb::Result> Get(const std::string& key) {
    const int64_t call_ns = loop_->NowNs();
    auto r = Call([&](node::KvClient::Callback cb) { client_->Get(key, std::move(cb)); });
    std::optional<std::string> read;
    if (r.has_value() && r->code() == node::pb::CODE_OK) read = r->value();
    properties::Operation op = properties::MakeGet(index_, key, read, call_ns, loop_->NowNs());
    const bool answered = r.has_value() && (r->code() == node::pb::CODE_OK ||
                                            r->code() == node::pb::CODE_NOT_FOUND);
    history_.push_back(answered ? op : properties::TimedOut(op));
    return r;
  }
  // CAS from `expected` (nullopt: absent) to `value`; returns whether it wrote.
  bool Cas(const std::string& key, const std::optional<std::string>& expected, const std::string& value) {
    const int64_t call_ns = loop_->NowNs();
    auto r = Call([&](node::KvClient::Callback cb) { client_->Cas(key, expected, value, std::move(cb)); });
    const bool answered = r.has_value() && (r->code() == node::pb::CODE_OK ||
                                            r->code() == node::pb::CODE_CAS_MISMATCH);
    const bool wrote = answered && r->code() == node::pb::CODE_OK;
    properties::Operation op =
        properties::MakeCas(index_, key, expected, value, wrote, call_ns, loop_->NowNs());
    history_.push_back(answered ? op : properties::TimedOut(op));
    return wrote;
  }
  const std::vector<properties::Operation>& history() const { return history_; }
  int unanswered() const { return unanswered_; }

 private:
  int index_;

  std::unique_ptr<backend::EventLoop> loop_;
  env::MemoryBudget budget_;
  std::unique_ptr<backend::TcpNetwork> network_;
  std::unique_ptr<env::Random> random_;
  std::unique_ptr<env::Env> env_;
  std::unique_ptr<node::KvClient> client_;
  std::vector<properties::Operation> history_;
  int unanswered_ = 0;
};

// Checks one merged history for linearizability (properties/).
void ExpectLinearizable(const std::vector<properties::Operation>& history) {
  auto result = properties::CheckLinearizability(history, properties::CheckOptions());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->verdict, properties::Verdict::kOk) << properties::FormatCheckResult(*result);
  std::fprintf(stderr, "history: %zu operations, %lld keys checked\n", history.size(),
               static_cast<long long>(result->keys_checked));
}

// Background clients: `threads` threads, each with its own RecordingClient
// (own loop, network and client id), issue puts of unique keys, and puts,
// gets and CAS on a few shared keys, until Stop() (bounded in count too).
// Unique-key writes that were acknowledged are remembered for the
// durability check; everything goes into the history.
class ConcurrentLoad {
 public:
  ConcurrentLoad(const node::Cluster& cluster, backend::BackendKind kind, std::string prefix,
                 int threads, int first_index)
      : prefix_(std::move(prefix)) {
    for (int t = 0; t < threads; ++t) {
      clients_.push_back(std::make_unique<RecordingClient>(cluster, kind, first_index + t));
      acked_.emplace_back();
    }
    for (int t = 0; t < threads; ++t) threads_.emplace_back([this, t] { Run(t); });
  }
  ~ConcurrentLoad() { Stop(); }

  void Stop() {
    stop_.store(true);
    for (auto& thread : threads_) thread.join();
    threads_.clear();
  }
  // After Stop(): every thread's history, its acknowledged unique writes,
  // and calls that got no answer at all.
  void AppendHistory(std::vector<properties::Operation>& out) const {
    for (const auto& c : clients_) out.insert(out.end(), c->history().begin(), c->history().end());
  }
  std::map<std::string, std::string> Acked() const {
    std::map<std::string, std::string> out;
    for (const auto& a : acked_) out.insert(a.begin(), a.end());
    return out;
  }
  int unanswered() const {
    int n = 0;
    for (const auto& c : clients_) n += c->unanswered();
    return n;
  }
  size_t operations() const {
    size_t n = 0;
    for (const auto& c : clients_) n += c->history().size();
    return n;
  }
  std::string SharedKey(int i) const { return absl::StrCat(prefix_, "-shared-", i % kSharedKeys); }
  static constexpr int kSharedKeys = 6;

 private:
  void Run(int t) {
    RecordingClient& client = *clients_[t];
    std::string last_key = SharedKey(t);
    std::optional<std::string> last_read;
    for (int i = 0; i < kMaxOperationsPerThread && !stop_.load(); ++i) {
      const std::string value = absl::StrCat("t", t, "-", i);
      switch (i % 4) {
        case 0: {
          const std::string key = absl::StrCat(prefix_, "-u", t, "-", i);
          if (client.Put(key, value)) acked_[t][key] = value;
          break;
        }
        case 1:
          client.Put(SharedKey(i * 5 + t), value);
          break;
        case 2: {
          last_key = SharedKey(i * 3 + t);
          auto r = client.Get(last_key);
          last_read.reset();
          if (r.has_value() && r->code() == node::pb::CODE_OK) last_read = r->value();
          break;
        }
        default:
          client.Cas(last_key, last_read, value);  // From what this thread last read.
          break;
      }
    }
  }

  static constexpr int kMaxOperationsPerThread = 3000;
  std::string prefix_;
  std::vector<std::unique_ptr<RecordingClient>> clients_;
  std::vector<std::map<std::string, std::string>> acked_;  // Per thread: written only by it.
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
};

class ClusterProcessTest : public testing::TestWithParam<std::string> {
 protected:
  // io_uring may be refused by the kernel or a seccomp profile (containers).
  void SetUp() override {
    if (GetParam() == "uring") {
      auto loop = backend::MakeEventLoop(backend::BackendKind::kUring);
      if (!loop.ok() && loop.status().code() == absl::StatusCode::kUnavailable) {
        GTEST_SKIP() << "io_uring unavailable here: " << loop.status();
      }
    }
  }

  backend::BackendKind kind() const { return *backend::ParseBackendKind(GetParam()); }
};

// Checks the history: every acknowledged write reads back with its value.
void ExpectAcknowledgedWritesReadable(RecordingClient& client,
                                      const std::map<std::string, std::string>& acked) {
  int lost = 0;
  for (const auto& [key, value] : acked) {
    auto r = client.Get(key);
    if (!r.has_value() || r->code() != node::pb::CODE_OK || r->value() != value) {
      ++lost;
      ADD_FAILURE() << "acknowledged write lost or wrong: " << key << "=" << value << " read "
                    << (r.has_value() ? node::pb::Code_Name(r->code()) + " " + r->value()
                                      : std::string("(failed)"));
      if (lost > 5) return;
    }
  }
}

TEST_P(ClusterProcessTest, KillLeaderUnderLoadThenRestartAndCatchUp) {
  ProcessCluster cluster(GetParam());
  for (int i = 0; i < kNodes; ++i) cluster.StartNode(i);
  Phase("start");
  ASSERT_TRUE(cluster.WaitForLeaders({0, 1, 2}, 20000)) << "see " << cluster.dir();
  Phase("leaders");

  int status = 0;
  EXPECT_EQ(cluster.Kvctl("put greeting hello", status), "OK\n");
  EXPECT_EQ(status, 0);
  EXPECT_EQ(cluster.Kvctl("get greeting", status), "hello\n");
  EXPECT_EQ(cluster.Kvctl("cas greeting hello bye", status), "OK\n");
  EXPECT_EQ(cluster.Kvctl("get greeting", status), "bye\n");
  EXPECT_EQ(cluster.Kvctl("delete greeting", status), "OK\n");
  cluster.Kvctl("get greeting", status);
  EXPECT_EQ(status, 1);  // Not found.
  std::string status_text = cluster.Kvctl("status", status);
  EXPECT_EQ(status, 0) << status_text;
  if (::access("/usr/bin/redis-cli", X_OK) == 0) {
    const std::string cli = absl::StrCat("timeout 10 redis-cli -p ", cluster.port(1, 2), " ");
    EXPECT_EQ(Shell(cli + "set rkey rvalue", status), "OK\n");
    EXPECT_EQ(Shell(absl::StrCat("timeout 10 redis-cli -p ", cluster.port(2, 2), " get rkey"), status),
              "rvalue\n");
    EXPECT_EQ(Shell(cli + "ping", status), "PONG\n");
    EXPECT_EQ(Shell(cli + "del rkey", status), "1\n");
    EXPECT_NE(Shell(cli + "nosuchcommand", status).find("unknown command"), std::string::npos);
  }
  if (::access("/usr/bin/redis-benchmark", X_OK) == 0) {
    // Stock redis-benchmark, unchanged: a short bounded run of SET and GET.
    const std::string out = Shell(absl::StrCat("timeout 60 redis-benchmark -p ", cluster.port(0, 2),
                                               " -t get,set -n 300 -c 4 -q 2>&1 | tr '\\r' '\\n'"),
                                  status);
    EXPECT_NE(out.find("SET: "), std::string::npos) << out;
    EXPECT_NE(out.find("GET: "), std::string::npos) << out;
    EXPECT_EQ(out.find("ERR"), std::string::npos) << out;
  }

  Phase("kvctl and redis-cli");
  const int victim = cluster.LeaderOf(1, {0, 1, 2});
  ASSERT_GE(victim, 0);
  RecordingClient client(cluster.cluster(), kind(), 0);
  std::vector<properties::Operation> history;  // Of every client, checked at the end.
  std::map<std::string, std::string> acked;
  constexpr int kWrites = 600;
  constexpr int kKillAfter = 200;
  int acked_after_kill = 0;
  std::vector<int> survivors;
  {
    // Three more clients run concurrently through the kill, restart and catch-up.
    ConcurrentLoad load(cluster.cluster(), kind(), "kill", 3, 1);
    for (int i = 0; i < kWrites; ++i) {
      if (i == kKillAfter) cluster.Signal(victim, SIGKILL);
      const std::string key = absl::StrCat("load-", i);
      const std::string value = absl::StrCat("value-", i);
      if (client.Put(key, value)) {
        acked[key] = value;
        if (i >= kKillAfter) ++acked_after_kill;
      }
      if (i % 4 == 0) client.Get(absl::StrCat("load-", i / 2));  // Reads interleaved with the load.
    }
    Phase("load with kill");
    EXPECT_EQ(cluster.Reap(victim), -SIGKILL);
    for (int i = 0; i < kNodes; ++i) {
      if (i != victim) survivors.push_back(i);
    }
    EXPECT_GT(acked_after_kill, kWrites - kKillAfter - 10) << "service did not continue";
    const int new_leader = cluster.LeaderOf(1, survivors);
    EXPECT_GE(new_leader, 0) << "no new leader for shard 1";

    // Restart the killed node from its data directory; it must catch up.
    cluster.StartNode(victim);
    std::map<uint64_t, int64_t> target;  // Commit index per shard on the survivors.
    for (int s = 1; s <= kShards; ++s) {
      for (int i : survivors) target[s] = std::max(target[s], cluster.Raft(i)[s]["kv_raft_commit_index"]);
    }
    bool caught_up = false;
    for (int waited = 0; waited < 30000 && !caught_up; waited += 100) {
      auto raft = cluster.Raft(victim);
      caught_up = true;
      for (int s = 1; s <= kShards; ++s) caught_up = caught_up && raft[s]["kv_raft_applied_index"] >= target[s];
      if (!caught_up) ::usleep(100 * 1000);
    }
    Phase("catch up");
    EXPECT_TRUE(caught_up) << "restarted node " << victim << " did not catch up; see " << cluster.dir();
    load.Stop();
    EXPECT_EQ(load.unanswered(), 0);
    load.AppendHistory(history);
    for (const auto& [key, value] : load.Acked()) acked[key] = value;
    // The shared keys read once more after everything: a lost acknowledged
    // write shows as a non-linearizable read.
    for (int k = 0; k < ConcurrentLoad::kSharedKeys; ++k) client.Get(load.SharedKey(k));
  }

  ExpectAcknowledgedWritesReadable(client, acked);
  EXPECT_GE(acked.size(), static_cast<size_t>(kWrites - 10));
  Phase("read back");

  // SIGTERM of a shard leader under load from four clients: the node drains
  // (finishes or fails what is in flight, syncs) and exits 0 in bounded
  // time; every call gets an answer or a clear error (the clients retry on
  // the other nodes); no acknowledged write is lost.
  const int leaving = cluster.LeaderOf(2, {0, 1, 2});
  ASSERT_GE(leaving, 0);
  std::map<std::string, std::string> acked_term;
  {
    ConcurrentLoad load(cluster.cluster(), kind(), "term", 4, 10);
    for (int waited = 0; waited < 10000 && load.operations() < 40; waited += 10) ::usleep(10 * 1000);
    const auto sent_at = std::chrono::steady_clock::now();
    cluster.Signal(leaving, SIGTERM);
    EXPECT_EQ(cluster.Reap(leaving), 0) << "see " << cluster.dir();
    const auto exit_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - sent_at).count();
    // Drain bound 100 ms + 200 ms for replies to leave + the final sync and
    // RocksDB close; generous for sanitizer builds on a loaded machine.
    EXPECT_LT(exit_ms, 5000) << "SIGTERM to exit";
    std::fprintf(stderr, "SIGTERM to exit: %lld ms\n", static_cast<long long>(exit_ms));
    const size_t at_exit = load.operations();
    for (int waited = 0; waited < 10000 && load.operations() < at_exit + 40; waited += 10) ::usleep(10 * 1000);
    load.Stop();
    EXPECT_EQ(load.unanswered(), 0);
    EXPECT_GE(load.operations(), at_exit + 40) << "service did not continue after the SIGTERM";
    load.AppendHistory(history);
    acked_term = load.Acked();
    for (int k = 0; k < ConcurrentLoad::kSharedKeys; ++k) client.Get(load.SharedKey(k));
  }
  std::ifstream log_file(absl::StrCat(cluster.dir(), "/node-", leaving, ".log"));
  const std::string log((std::istreambuf_iterator<char>(log_file)), std::istreambuf_iterator<char>());
  const size_t drained = log.find("msg=\"drained\"");
  EXPECT_NE(drained, std::string::npos) << log;
  if (drained != std::string::npos) {
    const std::string line = log.substr(drained, log.find('\n', drained) - drained);
    std::fprintf(stderr, "%s\n", line.c_str());
    // It led shard 2, so it handed that leadership over before leaving.
    EXPECT_EQ(line.find("leadership_transfers=0"), std::string::npos) << line;
  }
  cluster.StartNode(leaving);
  // Serving (its /metrics answers) means it handles SIGTERM: the final
  // shutdown below must not reach it while it is still starting.
  bool serving = false;
  for (int waited = 0; waited < 20000 && !serving; waited += 50) {
    serving = !cluster.Raft(leaving).empty();
    if (!serving) ::usleep(50 * 1000);
  }
  EXPECT_TRUE(serving) << "restarted node " << leaving << " does not serve; see " << cluster.dir();
  EXPECT_TRUE(cluster.WaitForLeaders({0, 1, 2}, 20000));
  ExpectAcknowledgedWritesReadable(client, acked_term);
  Phase("sigterm under load");

  history.insert(history.end(), client.history().begin(), client.history().end());
  ExpectLinearizable(history);
  Phase("linearizability");

  // Clean shutdown on SIGTERM.
  for (int i = 0; i < kNodes; ++i) cluster.Signal(i, SIGTERM);
  for (int i = 0; i < kNodes; ++i) EXPECT_EQ(cluster.Reap(i), 0) << "node " << i;
}

TEST_P(ClusterProcessTest, PauseWithSigstopIsSafe) {
  ProcessCluster cluster(GetParam());
  for (int i = 0; i < kNodes; ++i) cluster.StartNode(i);
  ASSERT_TRUE(cluster.WaitForLeaders({0, 1, 2}, 20000));
  const int paused = cluster.LeaderOf(2, {0, 1, 2});
  ASSERT_GE(paused, 0);
  RecordingClient client(cluster.cluster(), kind(), 0);
  std::map<std::string, std::string> acked;
  std::vector<properties::Operation> history;
  auto load = std::make_unique<ConcurrentLoad>(cluster.cluster(), kind(), "pause", 3, 1);
  // Writes continue while the leader is stopped for at least 1.5 s (far
  // beyond the election timeout), then for 50 more writes after SIGCONT,
  // when the old leader returns with a stale term. Bounded in count.
  constexpr int kMaxWrites = 5000;
  constexpr int kStopAt = 30;
  const auto pause_ns = std::chrono::milliseconds(1500);
  std::chrono::steady_clock::time_point stopped_at;
  int resumed_at = -1;
  for (int i = 0; i < kMaxWrites; ++i) {
    if (i == kStopAt) {
      cluster.Signal(paused, SIGSTOP);
      stopped_at = std::chrono::steady_clock::now();
    }
    if (i > kStopAt && resumed_at < 0 && std::chrono::steady_clock::now() - stopped_at >= pause_ns) {
      cluster.Signal(paused, SIGCONT);
      resumed_at = i;
    }
    if (resumed_at >= 0 && i >= resumed_at + 50) break;
    // Overwrite a small key set, so a stale leader's view would show.
    const std::string key = absl::StrCat("pause-", i % 10);
    const std::string value = absl::StrCat("v", i);
    if (client.Put(key, value)) {
      acked[key] = value;
    } else {
      acked.erase(key);  // Unknown outcome: no claim about this key.
    }
    client.Get(absl::StrCat("pause-", (i * 7) % 10));
  }
  EXPECT_GE(resumed_at, 0) << "the pause never ended within the write bound";
  if (resumed_at < 0) cluster.Signal(paused, SIGCONT);
  load->Stop();
  EXPECT_EQ(load->unanswered(), 0);
  load->AppendHistory(history);
  for (const auto& [key, value] : load->Acked()) acked[key] = value;
  for (int k = 0; k < ConcurrentLoad::kSharedKeys; ++k) client.Get(load->SharedKey(k));
  load.reset();
  ExpectAcknowledgedWritesReadable(client, acked);
  history.insert(history.end(), client.history().begin(), client.history().end());
  ExpectLinearizable(history);
  EXPECT_TRUE(cluster.WaitForLeaders({0, 1, 2}, 20000));
}

// Sends `bytes` to a port and reports whether the server answered with an
// error and/or closed the connection (rather than hanging on to it silently
// forever is acceptable only for incomplete input).
std::string Poke(int port, const std::string& bytes) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return "connect failed";
  }
  ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  std::string reply;
  char buffer[512];
  while (true) {
    const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) {
      reply += n == 0 ? "<closed>" : "<timeout-or-reset>";
      break;
    }
    reply.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return reply;
}

// The value of an unlabelled metric on the node whose metrics port is
// `port`; -1 if it is missing.
int64_t MetricOf(int port, const std::string& metric) {
  auto page = metrics::HttpGetForTcp(absl::StrCat("127.0.0.1:", port), "/metrics", 1000);
  if (!page.ok()) return -1;
  const std::string name = absl::StrCat("\n", metric, " ");
  const size_t at = page->find(name);
  if (at == std::string::npos) return -1;
  const size_t from = at + name.size();
  int64_t value = -1;
  if (!absl::SimpleAtoi(page->substr(from, page->find('\n', from) - from), &value)) return -1;
  return value;
}

// A pipeline of Redis commands is answered in order, each command seeing
// the writes before it, while a run of GETs runs together (up to
// kMaxConcurrentReads of them, in one of the cluster's read batches).
TEST_P(ClusterProcessTest, RedisPipelineRunsGetsTogetherAndAnswersInOrder) {
  ProcessCluster cluster(GetParam());
  for (int i = 0; i < kNodes; ++i) cluster.StartNode(i);
  ASSERT_TRUE(cluster.WaitForLeaders({0, 1, 2}, 20000));
  auto command = [](std::initializer_list<absl::string_view> args) {
    std::string out = absl::StrCat("*", args.size(), "\r\n");
    for (absl::string_view a : args) absl::StrAppend(&out, "$", a.size(), "\r\n", a, "\r\n");
    return out;
  };
  const std::string v1 = "$2\r\nv1\r\n", v2 = "$2\r\nv2\r\n", none = "$-1\r\n";
  std::string pipeline = command({"SET", "p1", "v1"});
  std::string expected = "+OK\r\n";
  for (int i = 0; i < 40; ++i) {  // More than one connection may run at once.
    pipeline += command({"GET", i % 2 == 0 ? "p1" : "p2"});
    expected += i % 2 == 0 ? v1 : none;
  }
  pipeline += command({"SET", "p2", "v2"}) + command({"GET", "p2"}) + command({"DEL", "p1"}) +
              command({"GET", "p1"}) + command({"GET", "p2"}) + command({"PING"}) + command({"QUIT"});
  expected += "+OK\r\n" + v2 + ":1\r\n" + none + v2 + "+PONG\r\n+OK\r\n<closed>";
  EXPECT_EQ(Poke(cluster.port(0, 2), pipeline), expected);
  const int64_t peak = MetricOf(cluster.port(0, 3), "kv_redis_running_commands_peak");
  EXPECT_GE(peak, 2);
  EXPECT_LE(peak, static_cast<int64_t>(redis::RedisTcpServer::kMaxConcurrentReads));
}

TEST_P(ClusterProcessTest, MalformedInputOnEveryPortIsRefusedAndNodeKeepsServing) {
  ProcessCluster cluster(GetParam());
  for (int i = 0; i < kNodes; ++i) cluster.StartNode(i);
  ASSERT_TRUE(cluster.WaitForLeaders({0, 1, 2}, 20000));
  std::string random_bytes;
  uint64_t x = 88172645463325252ull;
  for (int i = 0; i < 4096; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    random_bytes.push_back(static_cast<char>(x));
  }
  random_bytes[0] = 'X';  // Not a RESP type byte, not a small length.
  std::string oversized("\xff\xff\xff\x7f\0\0\0\0", 8);
  std::string truncated;
  backend::AppendFrame("a truncated frame body", truncated);
  truncated.resize(truncated.size() - 5);
  std::string bad_checksum;
  backend::AppendFrame("checksummed", bad_checksum);
  bad_checksum.back() ^= 1;
  for (int kind : {0, 1}) {  // Peer and client ports: framed protocol.
    const int port = cluster.port(0, kind);
    EXPECT_EQ(Poke(port, random_bytes), "<closed>") << "random bytes, port kind " << kind;
    EXPECT_EQ(Poke(port, oversized), "<closed>") << "oversized, port kind " << kind;
    EXPECT_EQ(Poke(port, bad_checksum), "<closed>") << "bad checksum, port kind " << kind;
    // A truncated frame waits for the rest; the client gives up after 2 s.
    EXPECT_EQ(Poke(port, truncated).substr(0, 1), "<");
  }
  const int redis = cluster.port(0, 2);
  EXPECT_EQ(Poke(redis, "*1\r\n$7\r\nFOOBARX\r\n*1\r\n$4\r\nQUIT\r\n"),
            "-ERR unknown command 'FOOBARX'\r\n+OK\r\n<closed>");
  EXPECT_EQ(Poke(redis, "*1\r\n$999999999\r\n").substr(0, 19), "-ERR Protocol error");
  EXPECT_EQ(Poke(redis, "*1\r\n:5\r\n").substr(0, 19), "-ERR Protocol error");
  // A client that pipelines 20,000 PINGs without reading: the node stops
  // reading it (back-pressure) instead of queueing without bound or closing,
  // and every reply arrives, in order, once the client reads.
  {
    constexpr int kPings = 20000;
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    int small = 16 * 1024;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(redis));
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    std::string pings;
    for (int i = 0; i < kPings; ++i) pings += "*1\r\n$4\r\nPING\r\n";
    std::thread sender([&] {
      size_t sent = 0;
      while (sent < pings.size()) {
        const ssize_t n = ::send(fd, pings.data() + sent, pings.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;
        sent += static_cast<size_t>(n);
      }
    });
    ::usleep(300 * 1000);  // Not reading yet.
    timeval tv{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    std::string replies;
    const std::string expected_reply = "+PONG\r\n";
    char buffer[65536];
    while (replies.size() < kPings * expected_reply.size()) {
      const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
      if (n <= 0) break;
      replies.append(buffer, static_cast<size_t>(n));
    }
    sender.join();
    ::close(fd);
    std::string all;
    for (int i = 0; i < kPings; ++i) all += expected_reply;
    EXPECT_TRUE(replies == all) << "got " << replies.size() << " bytes of " << all.size();
    EXPECT_GT(MetricOf(cluster.port(0, 3), "kv_redis_read_pauses_total"), 0);
  }
  const int metrics = cluster.port(0, 3);
  EXPECT_EQ(Poke(metrics, random_bytes).substr(0, 12), "HTTP/1.1 400");
  EXPECT_EQ(Poke(metrics, "GET /nope HTTP/1.1\r\n\r\n").substr(0, 12), "HTTP/1.1 404");

  // Node 0 still serves: clients through it, its metrics, its Raft peers.
  int status = 0;
  EXPECT_EQ(cluster.Kvctl("put after-garbage ok", status), "OK\n");
  EXPECT_EQ(cluster.Kvctl("get after-garbage", status), "ok\n");
  EXPECT_EQ(Poke(redis, "*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nQUIT\r\n"), "+PONG\r\n+OK\r\n<closed>");
  EXPECT_FALSE(cluster.Raft(0).empty());
  EXPECT_TRUE(cluster.WaitForLeaders({0, 1, 2}, 20000));

  // Bad configuration is refused at startup with one clear line.
  const std::string kvnode = absl::StrCat(KVNODE_BINARY, " --cluster=", cluster.dir(), "/cluster.txt");
  std::string out = Shell(absl::StrCat(kvnode, " --node_id=0 --data_dir=", cluster.dir(), "/data-0 2>&1"), status);
  EXPECT_EQ(status, 1);
  EXPECT_NE(out.find("in use by another kvnode"), std::string::npos) << out;
  out = Shell(absl::StrCat(kvnode, " --node_id=0 --data_dir=", cluster.dir(), "/cluster.txt 2>&1"), status);
  EXPECT_EQ(status, 1);
  EXPECT_NE(out.find("is not a directory"), std::string::npos) << out;
  out = Shell(absl::StrCat(kvnode, " --node_id=7 --data_dir=/tmp/x 2>&1"), status);
  EXPECT_EQ(status, 2);
  EXPECT_NE(out.find("--node_id=7 is not in"), std::string::npos) << out;
  out = Shell(absl::StrCat(KVNODE_BINARY, " --node_id=0 --bogus=1 2>&1"), status);
  EXPECT_EQ(status, 2);
  EXPECT_NE(out.find("unknown option"), std::string::npos) << out;
  out = Shell(absl::StrCat(kvnode, " --node_id=0 --node_id=1 --data_dir=/tmp/x 2>&1"), status);
  EXPECT_EQ(status, 2);
  EXPECT_NE(out.find("flag --node_id given twice"), std::string::npos) << out;
  EXPECT_NE(out.find("usage: kvnode"), std::string::npos) << out;
  // kvctl's command-line errors exit 2 with the usage text too.
  out = cluster.Kvctl("status extra", status);
  EXPECT_EQ(status, 2);
  EXPECT_NE(out.find("status: unexpected extra argument \"extra\""), std::string::npos) << out;
  EXPECT_NE(out.find("usage: kvctl"), std::string::npos) << out;
  out = cluster.Kvctl("--timeout_ms=100 get k --timeout_ms=200", status);
  EXPECT_EQ(status, 2);
  EXPECT_NE(out.find("flag --timeout_ms given twice"), std::string::npos) << out;
}

// The contents of node i's log.
std::string LogOf(const ProcessCluster& cluster, int i) {
  std::ifstream file(absl::StrCat(cluster.dir(), "/node-", i, ".log"));
  return std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
}

// The first line of `text` holding every one of `parts`, or "".
std::string LineWith(const std::string& text, std::initializer_list<absl::string_view> parts) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    bool all = true;
    for (absl::string_view part : parts) all = all && line.find(part) != absl::string_view::npos;
    if (all) return std::string(line);
  }
  return "";
}

// Node 2 started with a cluster file that differs in one field (the ring's
// virtual_nodes): nodes 0 and 1 refuse its peer connections and it refuses
// theirs, each counted and logged with both fingerprints; nodes 0 and 1 run
// the shards on their own, node 2 never learns a leader (nothing it sends
// or is sent is stepped); kvctl status names it. Restarted with the common
// file, it joins.
TEST_P(ClusterProcessTest, NodeWithAnotherClusterFileIsRefusedAsAPeer) {
  ProcessCluster cluster(GetParam());
  const std::string other_text = cluster.UseOwnClusterFile(2, "virtual_nodes: 64");
  const std::string common = node::FormatClusterFingerprint(node::ClusterFingerprint(cluster.cluster()));
  const std::string other =
      node::FormatClusterFingerprint(node::ClusterFingerprint(*node::Cluster::Parse(other_text)));
  ASSERT_NE(common, other);
  for (int i = 0; i < kNodes; ++i) cluster.StartNode(i);
  ASSERT_TRUE(cluster.WaitForLeaders({0, 1}, 20000)) << "see " << cluster.dir();
  const std::string mismatch = "kv_net_peer_hellos_refused_total{reason=\"cluster_fingerprint_mismatch\"}";
  bool refused = false;
  for (int waited = 0; waited < 20000 && !refused; waited += 50) {
    refused = MetricOf(cluster.port(0, 3), mismatch) >= 1 && MetricOf(cluster.port(1, 3), mismatch) >= 1 &&
              MetricOf(cluster.port(2, 3), mismatch) >= 1;
    if (!refused) ::usleep(50 * 1000);
  }
  EXPECT_TRUE(refused) << "see " << cluster.dir();
  ASSERT_EQ(cluster.Raft(2).size(), static_cast<size_t>(kShards)) << "node 2 does not serve /metrics";
  for (int s = 1; s <= kShards; ++s) {
    EXPECT_EQ(cluster.Raft(2)[s]["kv_raft_leader_id"], 0) << "node 2 heard from a leader of shard " << s;
    EXPECT_EQ(cluster.Raft(2)[s]["kv_raft_is_leader"], 0) << "shard " << s;
  }
  const std::string log_0 = LogOf(cluster, 0);
  const std::string line = LineWith(log_0, {"level=warn", "refusing peer: cluster fingerprint mismatch",
                                            "different cluster files", "peer=2 ",
                                            absl::StrCat("peer_fingerprint=", other),
                                            absl::StrCat("local_fingerprint=", common)});
  EXPECT_FALSE(line.empty()) << log_0;
  std::fprintf(stderr, "%s\n", line.c_str());
  EXPECT_FALSE(LineWith(log_0, {"msg=\"started\"", absl::StrCat("cluster_fingerprint=", common)}).empty()) << log_0;
  // Node 2 refused node 0 or node 1 (or both) by now.
  EXPECT_FALSE(LineWith(LogOf(cluster, 2), {"level=warn", "cluster fingerprint mismatch", "peer=",
                                            absl::StrCat("peer_fingerprint=", common),
                                            absl::StrCat("local_fingerprint=", other)})
                   .empty());
  int status = 0;
  const std::string status_text = cluster.Kvctl("status", status);
  EXPECT_EQ(status, 0) << status_text;
  EXPECT_NE(status_text.find(absl::StrCat("cluster fingerprint of this file: ", common, "\n")), std::string::npos)
      << status_text;
  EXPECT_NE(status_text.find(absl::StrCat("node 0 cluster fingerprint ", common, "\n")), std::string::npos)
      << status_text;
  EXPECT_NE(status_text.find(absl::StrCat("node 2 cluster fingerprint ", other,
                                          " DIFFERS: this node runs with another cluster file\n")),
            std::string::npos)
      << status_text;

  // The fix: restart node 2 with the common file; it joins every shard.
  cluster.Signal(2, SIGTERM);
  EXPECT_EQ(cluster.Reap(2), 0);
  cluster.UseOwnClusterFile(2, "");
  cluster.StartNode(2);
  bool joined = false;
  for (int waited = 0; waited < 20000 && !joined; waited += 50) {
    auto raft = cluster.Raft(2);
    joined = true;
    for (int s = 1; s <= kShards; ++s) joined = joined && raft[s]["kv_raft_leader_id"] != 0;
    if (!joined) ::usleep(50 * 1000);
  }
  EXPECT_TRUE(joined) << "see " << cluster.dir();
  for (int i = 0; i < kNodes; ++i) cluster.Signal(i, SIGTERM);
  for (int i = 0; i < kNodes; ++i) EXPECT_EQ(cluster.Reap(i), 0) << "node " << i;
}

INSTANTIATE_TEST_SUITE_P(Backends, ClusterProcessTest, testing::Values("epoll", "uring"),
                         [](const testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace kv::kvnode
