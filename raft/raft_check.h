#pragma once
// Check macros of the Raft core (layer: raft/). raft/ includes nothing else of
// ours, so it carries its own copy of the house CHECK/DCHECK pair
// (STYLE.md section 4).
//
// RAFT_CHECK*(...) are always on. RAFT_DCHECK*(...) are on unless NDEBUG is
// defined without KV_SIM_CHECKS. A failure prints the expression, file:line
// and both values, then aborts.

#include <cstdlib>
#include <string>
#include <type_traits>

#include <fmt/format.h>

namespace kv::raft::internal {

template <typename T>
std::string CheckValueString(const T& value) {
  if constexpr (std::is_enum_v<T>) {
    return fmt::format("{}", static_cast<std::underlying_type_t<T>>(value));
  } else if constexpr (std::is_pointer_v<T>) {
    return value == nullptr ? std::string("nullptr") : std::string("non-null");
  } else {
    return fmt::format("{}", value);
  }
}

[[noreturn]] void CheckFailed(const char* expression, const char* file,
                              int line, const std::string& values);

}  // namespace kv::raft::internal

#define RAFT_CHECK(condition)                                              \
  do {                                                                     \
    if (!(condition)) [[unlikely]] {                                       \
      ::kv::raft::internal::CheckFailed(#condition, __FILE__, __LINE__,    \
                                        std::string());                    \
    }                                                                      \
  } while (false)

#define RAFT_CHECK_OP_IMPL(a, op, b)                                         \
  do {                                                                       \
    const auto& raft_check_a_ = (a);                                         \
    const auto& raft_check_b_ = (b);                                         \
    if (!(raft_check_a_ op raft_check_b_)) [[unlikely]] {                    \
      ::kv::raft::internal::CheckFailed(                                     \
          #a " " #op " " #b, __FILE__, __LINE__,                             \
          ::kv::raft::internal::CheckValueString(raft_check_a_) + " vs " +   \
              ::kv::raft::internal::CheckValueString(raft_check_b_));        \
    }                                                                        \
  } while (false)

#define RAFT_CHECK_EQ(a, b) RAFT_CHECK_OP_IMPL(a, ==, b)
#define RAFT_CHECK_NE(a, b) RAFT_CHECK_OP_IMPL(a, !=, b)
#define RAFT_CHECK_LT(a, b) RAFT_CHECK_OP_IMPL(a, <, b)
#define RAFT_CHECK_LE(a, b) RAFT_CHECK_OP_IMPL(a, <=, b)
#define RAFT_CHECK_GT(a, b) RAFT_CHECK_OP_IMPL(a, >, b)
#define RAFT_CHECK_GE(a, b) RAFT_CHECK_OP_IMPL(a, >=, b)

#if !defined(NDEBUG) || defined(KV_SIM_CHECKS)
#define RAFT_DCHECK_IS_ON 1
#define RAFT_DCHECK(condition) RAFT_CHECK(condition)
#define RAFT_DCHECK_EQ(a, b) RAFT_CHECK_EQ(a, b)
#define RAFT_DCHECK_NE(a, b) RAFT_CHECK_NE(a, b)
#define RAFT_DCHECK_LT(a, b) RAFT_CHECK_LT(a, b)
#define RAFT_DCHECK_LE(a, b) RAFT_CHECK_LE(a, b)
#define RAFT_DCHECK_GT(a, b) RAFT_CHECK_GT(a, b)
#define RAFT_DCHECK_GE(a, b) RAFT_CHECK_GE(a, b)
#else
#define RAFT_DCHECK_IS_ON 0
#define RAFT_DCHECK(condition) \
  do {                         \
    (void)sizeof(condition);   \
  } while (false)
#define RAFT_DCHECK_EQ(a, b) RAFT_DCHECK((a) == (b))
#define RAFT_DCHECK_NE(a, b) RAFT_DCHECK((a) != (b))
#define RAFT_DCHECK_LT(a, b) RAFT_DCHECK((a) < (b))
#define RAFT_DCHECK_LE(a, b) RAFT_DCHECK((a) <= (b))
#define RAFT_DCHECK_GT(a, b) RAFT_DCHECK((a) > (b))
#define RAFT_DCHECK_GE(a, b) RAFT_DCHECK((a) >= (b))
#endif
