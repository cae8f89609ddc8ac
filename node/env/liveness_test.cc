#include "node/env/liveness.h"

#include <memory>
#include <type_traits>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "gtest/gtest.h"

namespace kv::env {
namespace {

struct Counter {
  int calls = 0;
};

TEST(LivenessTableTest, HandleGetsTheObjectWhileRegistered) {
  LivenessTable table;
  Counter counter;
  const LivenessTable::Handle handle = table.Register(&counter);
  EXPECT_EQ(handle.get(), &counter);
  EXPECT_EQ(table.registered_count(), 1u);
  table.Unregister(handle);
  EXPECT_EQ(handle.get(), nullptr);
  EXPECT_EQ(table.registered_count(), 0u);
}

TEST(LivenessTableTest, ZeroHandleGetsNull) {
  EXPECT_EQ(LivenessTable::Handle().get(), nullptr);
  EXPECT_EQ(Live<Counter>().get(), nullptr);
}

TEST(LivenessTableTest, StaleHandleGetsNullAfterItsSlotServesAnotherObject) {
  LivenessTable table;
  Counter first;
  Counter second;
  const LivenessTable::Handle old_handle = table.Register(&first);
  table.Unregister(old_handle);
  const LivenessTable::Handle new_handle = table.Register(&second);
  EXPECT_EQ(table.slot_count(), 1u);  // The slot was reused...
  EXPECT_EQ(old_handle.get(), nullptr);  // ...under a new generation.
  EXPECT_EQ(new_handle.get(), &second);
}

TEST(LivenessTableTest, ObjectsRegisteredTogetherKeepTheirOwnSlots) {
  LivenessTable table;
  Counter a;
  Counter b;
  const LivenessTable::Handle ha = table.Register(&a);
  const LivenessTable::Handle hb = table.Register(&b);
  table.Unregister(ha);
  EXPECT_EQ(ha.get(), nullptr);
  EXPECT_EQ(hb.get(), &b);
  table.Unregister(hb);
}

TEST(LivenessTableTest, SlotAtTheLastGenerationIsRetiredNotReused) {
  LivenessTable table(/*max_generation=*/1);
  Counter counter;
  table.Unregister(table.Register(&counter));  // Generation 0 -> 1.
  const LivenessTable::Handle last = table.Register(&counter);
  EXPECT_EQ(table.slot_count(), 1u);
  table.Unregister(last);
  // Reusing the slot would wrap its generation; a new slot is made instead.
  const LivenessTable::Handle fresh = table.Register(&counter);
  EXPECT_EQ(table.slot_count(), 2u);
  EXPECT_EQ(last.get(), nullptr);
  EXPECT_EQ(fresh.get(), &counter);
  table.Unregister(fresh);
}

TEST(LivenessTableTest, UnregisteringTwiceIsABug) {
  LivenessTable table;
  Counter counter;
  const LivenessTable::Handle handle = table.Register(&counter);
  table.Unregister(handle);
  EXPECT_DEATH(table.Unregister(handle), "object != nullptr");
}

TEST(LifelineTest, CallbackMadeBeforeTheObjectDiedDoesNothing) {
  LivenessTable table;
  absl::AnyInvocable<void()> callback;
  int calls_after_death = 0;
  {
    auto counter = std::make_unique<Counter>();
    Lifeline<Counter> lifeline(table, counter.get());
    callback = [live = lifeline.live(), &calls_after_death] {
      Counter* self = live.get();
      if (self == nullptr) return;
      ++self->calls;
      ++calls_after_death;  // Counted only while the object lives.
    };
    callback();
    EXPECT_EQ(counter->calls, 1);
    calls_after_death = 0;
  }
  // The object is freed: under ASan, touching it would fail here.
  callback();
  EXPECT_EQ(calls_after_death, 0);
  EXPECT_EQ(table.registered_count(), 0u);
}

TEST(LifelineTest, HandleIsTwoWordsAndTriviallyCopyable) {
  static_assert(std::is_trivially_copyable_v<Live<Counter>>);
  static_assert(sizeof(Live<Counter>) == 2 * sizeof(void*));
}

}  // namespace
}  // namespace kv::env
