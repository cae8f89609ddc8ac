#include "node/env/memory_budget.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "node/env/check.h"

namespace kv::env {

Reservation::Reservation(Reservation&& other) noexcept
    : budget_(std::exchange(other.budget_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}

Reservation& Reservation::operator=(Reservation&& other) noexcept {
  if (this != &other) {
    Reset();
    budget_ = std::exchange(other.budget_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

void Reservation::Reset() {
  if (budget_ != nullptr && bytes_ > 0) budget_->Release(bytes_);
  budget_ = nullptr;
  bytes_ = 0;
}

MemoryBudget::MemoryBudget(int64_t limit_bytes) : limit_bytes_(limit_bytes) {
  KV_CHECK_GE(limit_bytes, 0);
}

MemoryBudget::~MemoryBudget() { KV_CHECK_EQ(used_bytes_, 0); }

absl::Status MemoryBudget::Reserve(int64_t bytes, absl::string_view purpose) {
  KV_CHECK_GE(bytes, 0);
  if (bytes > limit_bytes_ - used_bytes_) {
    ++refusal_count_;
    return absl::ResourceExhaustedError(
        absl::StrCat("memory budget exhausted: ", purpose, " needs ", bytes, " bytes, ",
                     used_bytes_, " of ", limit_bytes_, " in use; retry later"));
  }
  used_bytes_ += bytes;
  if (used_bytes_ > peak_bytes_) peak_bytes_ = used_bytes_;
  return absl::OkStatus();
}

absl::Status MemoryBudget::ReserveScoped(int64_t bytes, absl::string_view purpose,
                                         Reservation& out) {
  out.Reset();
  absl::Status status = Reserve(bytes, purpose);
  if (status.ok()) out = Reservation(this, bytes);
  return status;
}

void MemoryBudget::Release(int64_t bytes) {
  KV_CHECK_GE(bytes, 0);
  KV_CHECK_LE(bytes, used_bytes_);
  used_bytes_ -= bytes;
}

void MemoryBudget::SetLimit(int64_t limit_bytes) {
  KV_CHECK_GE(limit_bytes, 0);
  limit_bytes_ = limit_bytes;
}

}  // namespace kv::env
