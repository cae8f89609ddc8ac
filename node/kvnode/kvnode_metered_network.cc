#include "node/kvnode/kvnode_metered_network.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "node/backend/tcp_network.h"
#include "node/kv/kv.pb.h"

namespace kv::kvnode {
namespace {

constexpr size_t kMaxTracked = 100000;

std::string OpName(node::pb::Op op) {
  switch (op) {
    case node::pb::OP_GET: return "get";
    case node::pb::OP_PUT: return "put";
    case node::pb::OP_DELETE: return "delete";
    case node::pb::OP_CAS: return "cas";
    default: return "unknown";
  }
}

std::string OutcomeName(node::pb::Code code) {
  std::string name = node::pb::Code_Name(code);
  if (name.rfind("CODE_", 0) == 0) name = name.substr(5);
  return absl::AsciiStrToLower(name);
}

}  // namespace

void KvnodeMeteredNetwork::SetReceiver(OnMessage on_message) {
  if (on_message == nullptr) {
    receiver_ = nullptr;
    inner_.SetReceiver(nullptr);
    return;
  }
  receiver_ = std::move(on_message);
  inner_.SetReceiver([this](env::NodeId from, absl::string_view bytes) {
    if (from >= backend::kFirstClientId) {
      node::pb::NodeMessage message;
      // Requests that are never answered (the client went away) would pile
      // up; past the cap the table starts over (a few latencies are lost).
      if (in_flight_.size() >= kMaxTracked) in_flight_.clear();
      if (message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) &&
          message.has_request()) {
        in_flight_[{from, message.request().request_id()}] = {
            OpName(message.request().command().op()), clock_.NowNs()};
      }
    }
    receiver_(from, bytes);
  });
}

absl::Status KvnodeMeteredNetwork::Send(env::NodeId to, std::string bytes) {
  if (to >= backend::kFirstClientId) {
    node::pb::NodeMessage message;
    if (message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) && message.has_response()) {
      auto it = in_flight_.find({to, message.response().request_id()});
      if (it != in_flight_.end()) {
        const std::string& op = it->second.first;
        ++requests_[{op, OutcomeName(message.response().result().code())}];
        auto [h, unused] = latency_ns_.try_emplace(op, 10 * env::kMicrosecond, 2, 20);
        h->second.Observe(clock_.NowNs() - it->second.second);
        in_flight_.erase(it);
      }
    }
  }
  return inner_.Send(to, std::move(bytes));
}

void KvnodeMeteredNetwork::Render(metrics::PrometheusWriter& w) const {
  for (const auto& [key, count] : requests_) {
    w.Counter("kv_requests_total", "Client requests answered by this node, by op and outcome.",
              absl::StrCat("op=\"", key.first, "\",outcome=\"", key.second, "\""), count);
  }
  for (const auto& [op, histogram] : latency_ns_) {
    w.WriteHistogram("kv_request_duration_seconds",
                     "Time from a client request's arrival to this node's answer, by op.",
                     absl::StrCat("op=\"", op, "\""), histogram, 1e9);
  }
}

}  // namespace kv::kvnode
