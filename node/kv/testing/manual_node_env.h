#pragma once
// ManualNodeEnv: one node's environment for node/kv tests, on a manual loop
// (storage/testing/manual_loop.h) and a simulated disk, neither faulty.
// Layer: node/kv tests only. It outlives the logic objects a test builds on
// it, as a host's loop and storage do, so that a test can destroy them with
// callbacks pending and then run those.

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "node/env/env.h"
#include "node/env/memory_budget.h"
#include "node/env/network.h"
#include "node/env/random.h"
#include "storage/sim_disk.h"
#include "storage/testing/manual_loop.h"

namespace kv::node::testing {

// A network that counts what is sent, keeps it if asked (record_sent), and
// delivers what the test hands it (Deliver) at once.
class CountingNetwork final : public env::Network {
 public:
  struct SentMessage {
    env::NodeId to = 0;
    std::string bytes;
  };

  env::NodeId self() const override { return 0; }
  absl::Status Send(env::NodeId to, std::string bytes) override {
    ++sent_count;
    if (record_sent) sent.push_back({to, std::move(bytes)});
    return absl::OkStatus();
  }
  void SetReceiver(OnMessage on_message) override { receiver_ = std::move(on_message); }
  // Hands `bytes` from `from` to the receiver, if one is installed.
  void Deliver(env::NodeId from, absl::string_view bytes) {
    if (receiver_ != nullptr) receiver_(from, bytes);
  }

  int sent_count = 0;
  // Whether Send keeps each message in `sent`, in the order sent.
  bool record_sent = false;
  std::vector<SentMessage> sent;

 private:
  OnMessage receiver_;
};

struct ManualNodeEnv {
  // `disk_seed` draws the disk's crash outcomes (which unsynced writes of
  // each file survive).
  explicit ManualNodeEnv(uint64_t disk_seed = 11)
      : random(7), memory(64 << 20), env{loop, network, loop, random, memory}, disk(loop, env::Random(disk_seed)) {}

  storage::testing::ManualLoop loop;
  CountingNetwork network;
  env::Random random;
  env::MemoryBudget memory;
  env::Env env;
  storage::SimDisk disk;
};

}  // namespace kv::node::testing
