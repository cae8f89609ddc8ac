#pragma once
// LivenessTable: lets a callback find whether the object it was made for
// still exists, without owning any part of it. Layer: node/env.
//
// A logic object (a shard replica, a node) registers itself for its whole
// life (Lifeline) and gives its callbacks a Live<T>: a table pointer, a slot
// and the slot's generation. Live<T>::get() is the object while it is
// registered and null after it unregistered, even once its slot serves
// another object, since unregistering moves the slot to a new generation.
//
// It replaces a std::shared_ptr<T*> captured by every callback: copying and
// dropping one is two atomic reference counts, and a closure holding one is
// not trivially copyable, so AnyInvocable moves and destroys it through an
// indirect call that runs its members' code. A Live<T> is two words and
// trivially copyable: a closure holding only it stays within AnyInvocable's
// inline storage with its trivial manager.
//
// The table must outlive every call of get(): every executor owns one
// (executor.h), as the executor outlives the logic objects and runs or
// discards their callbacks. Not thread-safe: register, unregister and get
// on the logic thread only. A closure holding a Live<T> may be moved or
// destroyed on any thread, as it touches nothing then.

#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "node/env/check.h"

namespace kv::env {

class LivenessTable {
 public:
  // The generation past which a slot is retired instead of reused, so that
  // a generation never wraps back to one a stale handle may still hold.
  // Tests lower it.
  static constexpr uint32_t kMaxGeneration = std::numeric_limits<uint32_t>::max();

  explicit LivenessTable(uint32_t max_generation = kMaxGeneration) : max_generation_(max_generation) {}
  LivenessTable(const LivenessTable&) = delete;
  LivenessTable& operator=(const LivenessTable&) = delete;

  // Names one registration. Trivially copyable; the zero value names none.
  class Handle {
   public:
    Handle() = default;
    // The registered object, or null once it unregistered (or for the
    // zero handle). Precondition: the table still exists.
    void* get() const {
      if (table_ == nullptr) return nullptr;
      const Slot& slot = table_->slots_[index_];
      return slot.generation == generation_ ? slot.object : nullptr;
    }

   private:
    friend class LivenessTable;
    Handle(const LivenessTable* table, uint32_t index, uint32_t generation)
        : table_(table), index_(index), generation_(generation) {}
    const LivenessTable* table_ = nullptr;
    uint32_t index_ = 0;
    uint32_t generation_ = 0;
  };

  // Registers `object` (not null) until Unregister(handle).
  Handle Register(void* object) {
    KV_CHECK(object != nullptr);
    uint32_t index;
    if (!free_.empty()) {
      index = free_.back();
      free_.pop_back();
    } else {
      KV_CHECK_LT(slots_.size(), size_t{std::numeric_limits<uint32_t>::max()});
      index = static_cast<uint32_t>(slots_.size());
      slots_.push_back(Slot{});
    }
    Slot& slot = slots_[index];
    KV_CHECK(slot.object == nullptr);
    slot.object = object;
    ++registered_count_;
    return Handle(this, index, slot.generation);
  }

  // Ends the registration: from now on every copy of `handle` gets null.
  // Precondition: `handle` came from this table's Register and was not
  // unregistered yet.
  void Unregister(Handle handle) {
    KV_CHECK(handle.table_ == this);
    KV_CHECK_LT(handle.index_, slots_.size());
    Slot& slot = slots_[handle.index_];
    KV_CHECK(slot.object != nullptr);
    KV_CHECK_EQ(slot.generation, handle.generation_);
    slot.object = nullptr;
    --registered_count_;
    // A retired slot stays unregistered for good: no later generation
    // could tell its handles apart from the oldest ones.
    if (slot.generation >= max_generation_) return;
    ++slot.generation;
    free_.push_back(handle.index_);
  }

  // Objects registered now.
  size_t registered_count() const { return registered_count_; }
  // Slots ever made, registered, free or retired.
  size_t slot_count() const { return slots_.size(); }

 private:
  struct Slot {
    void* object = nullptr;  // Null while free or retired.
    uint32_t generation = 0;
  };

  const uint32_t max_generation_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;  // Indexes of free slots, reused last in first out.
  size_t registered_count_ = 0;
};

// A typed handle: what a callback captures to reach its object.
template <typename T>
class Live {
 public:
  Live() = default;
  explicit Live(LivenessTable::Handle handle) : handle_(handle) {}
  // The object, or null once it is gone.
  T* get() const { return static_cast<T*>(handle_.get()); }

 private:
  LivenessTable::Handle handle_;
};

// An object's registration, as a member: registers the object when built
// and unregisters it when destroyed. Declare it last among the members, so
// that it ends before any other member is destroyed (a callback then finds
// the object gone, never half destroyed).
template <typename T>
class Lifeline {
 public:
  Lifeline(LivenessTable& table, T* object) : table_(table), handle_(table.Register(object)) {}
  ~Lifeline() { table_.Unregister(handle_); }
  Lifeline(const Lifeline&) = delete;
  Lifeline& operator=(const Lifeline&) = delete;

  // A handle for a callback to capture.
  Live<T> live() const { return Live<T>(handle_); }

 private:
  LivenessTable& table_;
  LivenessTable::Handle handle_;
};

static_assert(std::is_trivially_copyable_v<Live<int>>);
// Within AnyInvocable's inline storage (two pointers, internal/any_invocable.h).
static_assert(sizeof(Live<int>) <= 2 * sizeof(void*));

}  // namespace kv::env
