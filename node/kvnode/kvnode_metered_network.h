#pragma once
// KvnodeMeteredNetwork: an env::Network decorator between KvNode and the
// TCP network that measures client traffic without changing the node logic:
// it decodes each client request (op) on the way in and each response
// (outcome) on the way out, and records counts by (op, outcome) and latency
// histograms by op. Only messages from and to client pseudo ids are decoded.
// Layer: node/kvnode (real nodes only; reads the loop clock).

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "node/backend/event_loop.h"
#include "node/env/network.h"
#include "node/metrics/prometheus_text.h"

namespace kv::kvnode {

class KvnodeMeteredNetwork final : public env::Network {
 public:
  // `inner` and `clock` must outlive this object.
  KvnodeMeteredNetwork(env::Network& inner, env::Clock& clock) : inner_(inner), clock_(clock) {}

  env::NodeId self() const override { return inner_.self(); }
  [[nodiscard]] absl::Status Send(env::NodeId to, std::string bytes) override;
  void SetReceiver(OnMessage on_message) override;

  // kv_requests_total{op,outcome} and kv_request_duration_seconds{op}.
  void Render(metrics::PrometheusWriter& writer) const;

 private:
  env::Network& inner_;
  env::Clock& clock_;
  OnMessage receiver_;
  // (client pseudo id, request id) -> (op name, arrival time). Bounded: an
  // entry is dropped when answered, and the table is capped.
  std::map<std::pair<env::NodeId, uint64_t>, std::pair<std::string, env::TimeNs>> in_flight_;
  std::map<std::pair<std::string, std::string>, uint64_t> requests_;
  std::map<std::string, metrics::Histogram> latency_ns_;
};

}  // namespace kv::kvnode
