#pragma once
// MetricsTcpServer: serves GET /metrics (Prometheus text) over HTTP/1.x on
// an EventLoop; one response per connection, then close. Anything else gets
// 404 (unknown path), 405 (method) or 400 (malformed) and is closed.
// Layer: node/metrics (real nodes only).

#include <functional>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "node/backend/event_loop.h"
#include "node/backend/raw_tcp_server.h"

namespace kv::metrics {

class MetricsTcpServer {
 public:
  // `render` builds the page on the loop thread, per request.
  MetricsTcpServer(backend::EventLoop& loop, absl::AnyInvocable<std::string()> render);

  // Errors: as RawTcpServer::Listen. Returns the bound port.
  [[nodiscard]] absl::StatusOr<int> Listen(absl::string_view address) { return server_.Listen(address); }
  void CloseListener() { server_.CloseListener(); }

  uint64_t requests() const { return requests_; }

 private:
  void OnData(uint64_t id, std::string& input);

  absl::AnyInvocable<std::string()> render_;
  backend::RawTcpServer server_;
  uint64_t requests_ = 0;
};

// Fetches http://address/path with a blocking socket (kvctl and tests).
// Errors: kUnavailable (connect/read failed or timed out), kInternal for a
// non-200 status. Returns the body.
[[nodiscard]] absl::StatusOr<std::string> HttpGetForTcp(absl::string_view address,
                                                        absl::string_view path, int timeout_ms);

}  // namespace kv::metrics
