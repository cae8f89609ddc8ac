#pragma once
// EventCallback: the scheduler's callback type, a move-only `void()` callable
// with room for the simulator's own closures inline. Layer: sim.
//
// absl::AnyInvocable keeps only two pointers' worth of state inline, so
// nearly every simulator event (a delivery holding its message bytes, a
// node event wrapping the node's callback with its incarnation) cost a heap
// allocation and a free. kInlineBytes holds those closures; larger ones
// still work, on the heap.

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace kv::sim {

class EventCallback {
 public:
  // Closures up to this size (and max_align_t alignment) are stored inline.
  // 96 rounds the scheduler's Slot up to 128 bytes (a power of two, so
  // finding a slot is a shift, where 112 bytes took a multiply's worth of
  // shifts and subtractions on every event).
  static constexpr size_t kInlineBytes = 96;

  EventCallback() = default;
  EventCallback(std::nullptr_t) {}  // NOLINT: as AnyInvocable, null converts.

  template <typename F, typename D = std::decay_t<F>,
            typename = std::enable_if_t<!std::is_same_v<D, EventCallback> &&
                                        std::is_invocable_r_v<void, D&>>>
  EventCallback(F&& f) {  // NOLINT: implicit, as AnyInvocable.
    Construct<D>(std::forward<F>(f));
  }

  // Emplace and EmplaceResultOf fill a callback that is null (a free
  // scheduler slot's always is: the scheduler nulls it when it frees the
  // slot). Precondition: *this == nullptr; a closure it held would never be
  // destroyed. Not resetting first saves a load and a branch per event.

  // Makes this hold `f`, built in place: the scheduler builds each event's
  // closure straight into its slot, saving the moves of a temporary.
  template <typename F, typename D = std::decay_t<F>>
  void Emplace(F&& f) {
    if constexpr (std::is_same_v<D, EventCallback>) {
      static_assert(!std::is_lvalue_reference_v<F>, "pass an EventCallback with std::move");
      TakeFrom(f);
    } else {
      static_assert(std::is_invocable_r_v<void, D&>);
      Construct<D>(std::forward<F>(f));
    }
  }

  // Makes this hold the closure `make()` returns, built straight into this
  // callback's storage (guaranteed copy elision): nothing the closure holds
  // is moved, not even once. For closures that own move-expensive state
  // (an AnyInvocable moves through an indirect call).
  template <typename Make, typename D = std::invoke_result_t<Make&>>
  void EmplaceResultOf(Make&& make) {
    static_assert(!std::is_same_v<D, EventCallback> && std::is_invocable_r_v<void, D&>);
    ConstructResultOf<D>(make);
  }

  EventCallback(EventCallback&& other) noexcept { TakeFrom(other); }
  EventCallback& operator=(EventCallback&& other) noexcept {
    if (this != &other) {
      Reset();
      TakeFrom(other);
    }
    return *this;
  }
  EventCallback& operator=(std::nullptr_t) {
    Reset();
    return *this;
  }
  EventCallback(const EventCallback&) = delete;
  EventCallback& operator=(const EventCallback&) = delete;
  ~EventCallback() { Reset(); }

  // Runs the callable once and destroys it, leaving this null: the
  // scheduler's way to run an event. One indirect call does both, where
  // running and then destroying took two per event. This is null while the
  // callable runs. Precondition: not null.
  void RunOnce() {
    const Ops* ops = ops_;
    ops_ = nullptr;
    ops->run_once(storage_);
  }

  explicit operator bool() const { return ops_ != nullptr; }
  friend bool operator==(const EventCallback& c, std::nullptr_t) { return c.ops_ == nullptr; }
  friend bool operator!=(const EventCallback& c, std::nullptr_t) { return c.ops_ != nullptr; }

  // Precondition: not null.
  void operator()() { ops_->invoke(storage_); }

 private:
  struct Ops {
    void (*invoke)(void* storage);
    // Moves the callable from `from` to `to` (raw storage) and ends `from`.
    void (*relocate)(void* from, void* to);
    void (*destroy)(void* storage);
    // Invokes the callable, then destroys it.
    void (*run_once)(void* storage);
  };

  template <typename D>
  static constexpr bool kFitsInline = sizeof(D) <= kInlineBytes &&
                                      alignof(D) <= alignof(std::max_align_t) &&
                                      std::is_nothrow_move_constructible_v<D>;

  template <typename D>
  static constexpr Ops kInlineOps = {
      [](void* s) { (*std::launder(static_cast<D*>(s)))(); },
      [](void* from, void* to) {
        D* f = std::launder(static_cast<D*>(from));
        ::new (to) D(std::move(*f));
        f->~D();
      },
      [](void* s) { std::launder(static_cast<D*>(s))->~D(); },
      [](void* s) {
        D* f = std::launder(static_cast<D*>(s));
        (*f)();
        f->~D();
      },
  };
  template <typename D>
  static constexpr Ops kHeapOps = {
      [](void* s) { (**static_cast<D**>(s))(); },
      [](void* from, void* to) { *static_cast<D**>(to) = *static_cast<D**>(from); },
      [](void* s) { delete *static_cast<D**>(s); },
      [](void* s) {
        D* f = *static_cast<D**>(s);
        (*f)();
        delete f;
      },
  };

  template <typename D, typename F>
  void Construct(F&& f) {
    ConstructResultOf<D>([&]() -> D { return D(std::forward<F>(f)); });
  }
  // Builds the D that `make()` returns in place (guaranteed copy elision).
  template <typename D, typename Make>
  void ConstructResultOf(Make&& make) {
    if constexpr (kFitsInline<D>) {
      ::new (static_cast<void*>(storage_)) D(make());
      ops_ = &kInlineOps<D>;
    } else {
      *reinterpret_cast<D**>(storage_) = new D(make());
      ops_ = &kHeapOps<D>;
    }
  }
  void Reset() {
    if (ops_ != nullptr) {
      const Ops* ops = ops_;
      ops_ = nullptr;
      ops->destroy(storage_);
    }
  }
  void TakeFrom(EventCallback& other) {
    if (other.ops_ == nullptr) return;
    other.ops_->relocate(other.storage_, storage_);
    ops_ = other.ops_;
    other.ops_ = nullptr;
  }

  alignas(std::max_align_t) unsigned char storage_[kInlineBytes];
  const Ops* ops_ = nullptr;
};

}  // namespace kv::sim
