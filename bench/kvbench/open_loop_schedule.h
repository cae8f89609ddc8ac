#pragma once
// OpenLoopSchedule: when each request of an open-loop run is meant to be
// sent. Layer: bench.
//
// Request k (from 0) is due at start + floor(k * 1e9 / rate) ns: exactly
// `rate` per second with no drift, whatever happens to the requests. A
// driver asks for everything due by now (TakeDue) and keeps each request's
// intended time: latency is measured from that time, not from when the
// request could actually be sent, so a server that stalls is charged for the
// whole queue that built up behind the stall (no coordinated omission).
// Pure: the caller supplies the time.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kv::bench {

class OpenLoopSchedule {
 public:
  // `rate_per_second` > 0; `start_ns` is the intended time of request 0.
  OpenLoopSchedule(int64_t start_ns, double rate_per_second);

  // Intended send time of request `k`.
  int64_t IntendedTimeNs(uint64_t k) const;
  // Appends the intended times of all not-yet-taken requests due at or
  // before `now_ns`, in order, and returns how many it appended.
  size_t TakeDue(int64_t now_ns, std::vector<int64_t>& out);
  // Intended time of the next request not yet taken.
  int64_t NextDueNs() const { return IntendedTimeNs(next_); }
  // Requests taken so far.
  uint64_t taken() const { return next_; }

 private:
  int64_t start_ns_;
  // The rate as an exact ratio: interval = interval_num_ / interval_den_ ns.
  __int128 interval_num_;
  __int128 interval_den_;
  uint64_t next_ = 0;
};

}  // namespace kv::bench
