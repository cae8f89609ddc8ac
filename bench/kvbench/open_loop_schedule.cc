#include "bench/kvbench/open_loop_schedule.h"

#include <algorithm>
#include <cmath>

#include "node/env/check.h"

namespace kv::bench {

OpenLoopSchedule::OpenLoopSchedule(int64_t start_ns, double rate_per_second) : start_ns_(start_ns) {
  KV_CHECK(rate_per_second > 0);
  // Keep the rate in milli-requests per second as an integer, so intended
  // times are computed without accumulating floating-point error.
  const int64_t milli_rate = std::max<int64_t>(1, std::llround(rate_per_second * 1000.0));
  interval_num_ = static_cast<__int128>(1'000'000'000) * 1000;
  interval_den_ = milli_rate;
}

int64_t OpenLoopSchedule::IntendedTimeNs(uint64_t k) const {
  return start_ns_ + static_cast<int64_t>(static_cast<__int128>(k) * interval_num_ / interval_den_);
}

size_t OpenLoopSchedule::TakeDue(int64_t now_ns, std::vector<int64_t>& out) {
  size_t appended = 0;
  while (true) {
    const int64_t due = IntendedTimeNs(next_);
    if (due > now_ns) break;
    out.push_back(due);
    ++next_;
    ++appended;
  }
  return appended;
}

}  // namespace kv::bench
