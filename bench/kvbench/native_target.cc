#include "bench/kvbench/native_target.h"

#include <random>

#include "absl/strings/str_cat.h"
#include "node/kvnode/kvnode_config.h"

namespace kv::bench {

NativeTarget::NativeTarget(backend::EventLoop& loop, std::unique_ptr<node::Cluster> cluster,
                           std::string path)
    : loop_(loop), cluster_(std::move(cluster)), cluster_path_(std::move(path)) {}

NativeTarget::~NativeTarget() {
  // Clients before their networks and envs.
  for (Slot& slot : slots_) slot.client.reset();
}

absl::StatusOr<std::unique_ptr<NativeTarget>> NativeTarget::Create(backend::EventLoop& loop,
                                                                   const std::string& cluster_path,
                                                                   int slots, int64_t timeout_ms) {
  absl::StatusOr<std::string> text = kvnode::ReadFileForKvnode(cluster_path);
  if (!text.ok()) return text.status();
  absl::StatusOr<node::Cluster> cluster = node::Cluster::Parse(*text);
  if (!cluster.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("cluster file ", cluster_path, ": ", cluster.status().message()));
  }
  std::unique_ptr<NativeTarget> target(new NativeTarget(
      loop, std::make_unique<node::Cluster>(std::move(*cluster)), cluster_path));
  // Client ids name sessions in the replicated state machine, so they must
  // differ from every earlier run's: draw them from the OS, not the
  // workload seed.
  std::random_device device;
  target->random_ = std::make_unique<env::Random>((static_cast<uint64_t>(device()) << 32) ^ device());
  node::KvClientOptions client_options;
  client_options.deadline_ns = timeout_ms * env::kMillisecond;
  for (int i = 0; i < slots; ++i) {
    Slot slot;
    backend::TcpNetworkOptions o;
    o.self = backend::kFirstClientId - 1;  // Not an address: replies come back on our connections.
    o.send_hello = false;
    for (const auto& node : target->cluster_->config().nodes()) o.peers[node.id()] = node.client_address();
    o.max_queued_bytes_per_connection = 8 << 20;
    slot.network = std::make_unique<backend::TcpNetwork>(loop, target->budget_, o);
    slot.env = std::make_unique<env::Env>(
        env::Env{loop, *slot.network, loop, *target->random_, target->budget_});
    slot.client = std::make_unique<node::KvClient>(*slot.env, *target->cluster_,
                                                   target->random_->Next64() | 1, client_options);
    slot.client->Start();
    target->slots_.push_back(std::move(slot));
  }
  return target;
}

void NativeTarget::Issue(int slot, OpType op, const std::string& key, const std::string& value,
                         Done done) {
  auto on_result = [done = std::move(done)](absl::StatusOr<node::pb::Result> result) mutable {
    if (!result.ok()) {
      return done(result.status().code() == absl::StatusCode::kDeadlineExceeded ? Outcome::kTimeout
                                                                                 : Outcome::kError);
    }
    switch (result->code()) {
      case node::pb::CODE_OK: return done(Outcome::kOk);
      case node::pb::CODE_NOT_FOUND: return done(Outcome::kNotFound);
      default: return done(Outcome::kError);
    }
  };
  node::KvClient& client = *slots_[static_cast<size_t>(slot)].client;
  if (op == OpType::kGet) {
    client.Get(key, std::move(on_result));
  } else {
    client.Put(key, value, std::move(on_result));
  }
}

std::string NativeTarget::Describe() const {
  return absl::StrCat("native cluster ", cluster_path_, " (", cluster_->node_count(), " nodes, ",
                      slots_.size(), " sessions)");
}

}  // namespace kv::bench
