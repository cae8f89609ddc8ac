#pragma once
// Assertion macros for every layer above raft/ (raft/ has its own, since it
// includes nothing of ours). Abseil 20220623 has no absl/log, so we define:
//
//   KV_CHECK(cond), KV_CHECK_EQ/NE/LT/LE/GT/GE(a, b)
//       Always on, in every build. For invariants whose violation means a bug.
//   KV_DCHECK(cond), KV_DCHECK_EQ/...(a, b)
//       On in debug builds and in every simulation build (KV_SIM_CHECKS), off
//       only in an optimized production build without KV_SIM_CHECKS. For
//       costly checks. The simulator always runs them.
//
// A failed check prints the expression, file:line and the values of both
// sides to stderr, then aborts. A check is for bugs; bad input is a Status.

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "absl/strings/str_cat.h"

namespace kv::env {

// CheckFailed prints the failure and aborts. `values` may be empty.
[[noreturn]] void CheckFailed(const char* file, int line, std::string_view expression,
                              std::string_view values);

namespace check_internal {

// Renders a value for a failure message. Integers, strings and enums are
// supported, which is all a check compares in practice.
template <typename T>
std::string Render(const T& value) {
  if constexpr (std::is_enum_v<T>) {
    return absl::StrCat(static_cast<std::underlying_type_t<T>>(value));
  } else if constexpr (std::is_same_v<T, bool>) {
    return value ? "true" : "false";
  } else if constexpr (std::is_pointer_v<T>) {
    return value == nullptr ? "nullptr" : "<pointer>";
  } else {
    return absl::StrCat(value);
  }
}

template <typename A, typename B>
std::string RenderPair(const A& a, const B& b) {
  return absl::StrCat(Render(a), " vs ", Render(b));
}

}  // namespace check_internal
}  // namespace kv::env

#define KV_CHECK(cond)                                                  \
  do {                                                                  \
    if (!(cond)) [[unlikely]] {                                         \
      ::kv::env::CheckFailed(__FILE__, __LINE__, #cond, "");            \
    }                                                                   \
  } while (false)

#define KV_CHECK_OP_(a, op, b)                                                    \
  do {                                                                            \
    const auto& kv_check_a_ = (a);                                                \
    const auto& kv_check_b_ = (b);                                                \
    if (!(kv_check_a_ op kv_check_b_)) [[unlikely]] {                             \
      ::kv::env::CheckFailed(__FILE__, __LINE__, #a " " #op " " #b,               \
                             ::kv::env::check_internal::RenderPair(kv_check_a_,   \
                                                                   kv_check_b_)); \
    }                                                                             \
  } while (false)

#define KV_CHECK_EQ(a, b) KV_CHECK_OP_(a, ==, b)
#define KV_CHECK_NE(a, b) KV_CHECK_OP_(a, !=, b)
#define KV_CHECK_LT(a, b) KV_CHECK_OP_(a, <, b)
#define KV_CHECK_LE(a, b) KV_CHECK_OP_(a, <=, b)
#define KV_CHECK_GT(a, b) KV_CHECK_OP_(a, >, b)
#define KV_CHECK_GE(a, b) KV_CHECK_OP_(a, >=, b)

#if !defined(NDEBUG) || defined(KV_SIM_CHECKS)
#define KV_DCHECK_IS_ON 1
#define KV_DCHECK(cond) KV_CHECK(cond)
#define KV_DCHECK_EQ(a, b) KV_CHECK_EQ(a, b)
#define KV_DCHECK_NE(a, b) KV_CHECK_NE(a, b)
#define KV_DCHECK_LT(a, b) KV_CHECK_LT(a, b)
#define KV_DCHECK_LE(a, b) KV_CHECK_LE(a, b)
#define KV_DCHECK_GT(a, b) KV_CHECK_GT(a, b)
#define KV_DCHECK_GE(a, b) KV_CHECK_GE(a, b)
#else
#define KV_DCHECK_IS_ON 0
#define KV_DCHECK(cond) \
  do {                  \
  } while (false && (cond))
#define KV_DCHECK_EQ(a, b) KV_DCHECK((a) == (b))
#define KV_DCHECK_NE(a, b) KV_DCHECK((a) != (b))
#define KV_DCHECK_LT(a, b) KV_DCHECK((a) < (b))
#define KV_DCHECK_LE(a, b) KV_DCHECK((a) <= (b))
#define KV_DCHECK_GT(a, b) KV_DCHECK((a) > (b))
#define KV_DCHECK_GE(a, b) KV_DCHECK((a) >= (b))
#endif
