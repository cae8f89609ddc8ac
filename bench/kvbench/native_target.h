#pragma once
// NativeTarget: kvbench slots as KvClient sessions of the client library
// (the one kvctl uses), each with its own TCP connections to the nodes'
// client ports. The native protocol allows one write in flight per
// session, so a client with --pipeline=P runs P sessions. Layer: bench.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/kvbench/target.h"
#include "node/backend/event_loop.h"
#include "node/backend/tcp_network.h"
#include "node/env/env.h"
#include "node/env/memory_budget.h"
#include "node/env/random.h"
#include "node/kv/cluster_config.h"
#include "node/kv/kv_client.h"

namespace kv::bench {

class NativeTarget final : public Target {
 public:
  // `loop` must outlive the target. Errors: the cluster file does not load.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<NativeTarget>> Create(
      backend::EventLoop& loop, const std::string& cluster_path, int slots, int64_t timeout_ms);
  ~NativeTarget() override;

  int slot_count() const override { return static_cast<int>(slots_.size()); }
  void Issue(int slot, OpType op, const std::string& key, const std::string& value, Done done) override;
  std::string Describe() const override;

 private:
  struct Slot {
    std::unique_ptr<backend::TcpNetwork> network;
    std::unique_ptr<env::Env> env;
    std::unique_ptr<node::KvClient> client;
  };
  NativeTarget(backend::EventLoop& loop, std::unique_ptr<node::Cluster> cluster, std::string path);

  backend::EventLoop& loop_;
  std::unique_ptr<node::Cluster> cluster_;
  std::string cluster_path_;
  env::MemoryBudget budget_{1ll << 30};
  std::unique_ptr<env::Random> random_;
  std::vector<Slot> slots_;
};

}  // namespace kv::bench
