#pragma once
// MemoryBudget: accounting for every buffer that grows with load. Layer: node/env.
//
// Queued requests, in-flight messages, the log cache and snapshot transfers
// reserve bytes before they allocate. A reservation that would exceed the
// limit is refused with kResourceExhausted, which the node turns into a
// "retry later" answer: never a crash, never a lost acknowledged write.
// The simulator shrinks and restores limits to model memory pressure.
//
// The budget is accounting, not an allocator: the same class serves the
// simulator and real nodes. Not thread-safe (logic thread only).

#include <cstdint>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"

namespace kv::env {

class MemoryBudget;

// Reservation: RAII ownership of reserved bytes. Releases them when destroyed
// or reset. Movable, not copyable. Must not outlive its budget.
class Reservation {
 public:
  Reservation() = default;
  Reservation(Reservation&& other) noexcept;
  Reservation& operator=(Reservation&& other) noexcept;
  Reservation(const Reservation&) = delete;
  Reservation& operator=(const Reservation&) = delete;
  ~Reservation() { Reset(); }

  // Bytes held. Zero for an empty reservation.
  int64_t bytes() const { return bytes_; }

  // Returns the bytes to the budget now.
  void Reset();

 private:
  friend class MemoryBudget;
  Reservation(MemoryBudget* budget, int64_t bytes) : budget_(budget), bytes_(bytes) {}

  MemoryBudget* budget_ = nullptr;
  int64_t bytes_ = 0;
};

class MemoryBudget {
 public:
  // A budget of `limit_bytes`. Precondition: limit_bytes >= 0.
  explicit MemoryBudget(int64_t limit_bytes);
  MemoryBudget(const MemoryBudget&) = delete;
  MemoryBudget& operator=(const MemoryBudget&) = delete;
  // Precondition: every reservation has been released.
  ~MemoryBudget();

  // Reserves `bytes` (>= 0), or returns kResourceExhausted naming `purpose`,
  // the request and the room left, leaving the budget unchanged.
  [[nodiscard]] absl::Status Reserve(int64_t bytes, absl::string_view purpose);

  // Like Reserve, but returns an RAII reservation that releases itself.
  // On refusal the returned reservation is empty and `status` says why.
  [[nodiscard]] absl::Status ReserveScoped(int64_t bytes, absl::string_view purpose,
                                           Reservation& out);

  // Returns `bytes` previously reserved. Precondition: 0 <= bytes <= used.
  void Release(int64_t bytes);

  // Changes the limit (memory pressure and its end). Bytes already reserved
  // stay reserved even above a lowered limit; new reservations are refused
  // until usage falls below it.
  void SetLimit(int64_t limit_bytes);

  int64_t limit_bytes() const { return limit_bytes_; }
  int64_t used_bytes() const { return used_bytes_; }
  // Highest used_bytes() ever seen.
  int64_t peak_bytes() const { return peak_bytes_; }
  // Number of refused reservations so far.
  int64_t refusal_count() const { return refusal_count_; }

 private:
  int64_t limit_bytes_;
  int64_t used_bytes_ = 0;
  int64_t peak_bytes_ = 0;
  int64_t refusal_count_ = 0;
};

}  // namespace kv::env
