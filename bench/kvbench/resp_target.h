#pragma once
// RespTarget: kvbench slots over RESP2 connections (GET and SET), so the
// same workload can drive our nodes' Redis port and a stock redis-server.
// Slots are spread over the connections round-robin; the requests of one
// connection are pipelined and answered in order. Connections are spread
// over the given addresses. A connection that fails or whose oldest request
// outlives the timeout is closed (its requests fail) and re-opened after
// 100 ms. Layer: bench.

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "bench/kvbench/target.h"
#include "node/backend/event_loop.h"

namespace kv::bench {

class RespTarget final : public Target {
 public:
  // `loop` must outlive the target.
  RespTarget(backend::EventLoop& loop, std::vector<std::string> addresses, int slots,
             int connections, int64_t timeout_ms);
  ~RespTarget() override;

  int slot_count() const override { return slots_; }
  void Issue(int slot, OpType op, const std::string& key, const std::string& value, Done done) override;
  std::string Describe() const override;

  // RESP2 encoding and reply parsing, exposed for tests.
  static void AppendCommand(std::string& out, std::initializer_list<absl::string_view> args);
  // Parses one reply at the start of `input`. Returns its length, 0 if
  // incomplete, or -1 if malformed. `is_error` / `is_null` describe it.
  static int64_t ParseReply(absl::string_view input, bool& is_error, bool& is_null);

 private:
  struct Pending {
    Done done;
    OpType op;
    int64_t sent_ns;
  };
  struct Connection {
    int index = 0;
    int fd = -1;
    bool connecting = false;
    bool want_write = false;
    std::string out;
    size_t out_offset = 0;
    std::string in;
    std::deque<Pending> in_flight;
  };

  void Open(Connection& c);
  void Fail(Connection& c, Outcome outcome, absl::string_view why);
  void OnReady(int index, uint32_t events);
  void Flush(Connection& c);
  void ReadReplies(Connection& c);
  void CheckTimeouts();

  backend::EventLoop& loop_;
  std::vector<std::string> addresses_;
  int slots_;
  int64_t timeout_ns_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  uint64_t failures_logged_ = 0;
};

}  // namespace kv::bench
