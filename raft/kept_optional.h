#pragma once
// KeptOptional: an optional value whose object survives reset(), for the
// fields of a Ready that a host refills over and over (layer: raft/).
//
// Ready::hard_state was a std::optional<HardState>: a refilled Ready built a
// HardState whenever the term, vote or commit index moved, and destroyed it
// again in the next Ready that carried none, a protobuf construction and an
// out-of-line destruction each time (about one Ready in four). KeptOptional
// holds the object and a flag, and reset() only clears the flag. It offers
// the part of std::optional's interface the hosts use, so that they read it
// as before.

#include <utility>

#include "raft/raft_check.h"

namespace kv::raft {

template <typename T>
class KeptOptional {
 public:
  bool has_value() const { return has_value_; }
  explicit operator bool() const { return has_value_; }

  // The value. Precondition: has_value(), checked where invariant checks
  // are on: the object always exists, so a read while absent would see a
  // stale value where std::optional's would be caught.
  T& operator*() { return *Checked(); }
  const T& operator*() const { return *Checked(); }
  T* operator->() { return Checked(); }
  const T* operator->() const { return Checked(); }

  // Makes the value present and equal to T(), and returns it.
  T& emplace() {
    value_ = T();
    has_value_ = true;
    return value_;
  }
  // Makes the value present without resetting the object, and returns it:
  // for a caller that then writes every part of it over whatever it held.
  T& RefillOver() {
    has_value_ = true;
    return value_;
  }
  // Makes the value absent; the object is kept for the next RefillOver().
  void reset() { has_value_ = false; }

 private:
  T* Checked() {
    RAFT_DCHECK(has_value_);
    return &value_;
  }
  const T* Checked() const {
    RAFT_DCHECK(has_value_);
    return &value_;
  }

  T value_{};
  bool has_value_ = false;
};

}  // namespace kv::raft
