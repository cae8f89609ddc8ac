#pragma once
// Status propagation macros. Abseil 20220623 has no RETURN_IF_ERROR or
// ASSIGN_OR_RETURN, so ours live here (raft/ writes the checks out by hand).

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// KV_RETURN_IF_ERROR(expr): evaluates `expr` (an absl::Status) and returns it
// from the enclosing function if it is not OK.
#define KV_RETURN_IF_ERROR(expr)                       \
  do {                                                 \
    ::absl::Status kv_status_ = (expr);                \
    if (!kv_status_.ok()) [[unlikely]] return kv_status_; \
  } while (false)

#define KV_STATUS_CONCAT_INNER_(a, b) a##b
#define KV_STATUS_CONCAT_(a, b) KV_STATUS_CONCAT_INNER_(a, b)

// KV_ASSIGN_OR_RETURN(lhs, expr): evaluates `expr` (an absl::StatusOr<T>);
// returns its status if not OK, otherwise moves the value into `lhs`, which may
// be a declaration (`auto x`) or an existing variable.
#define KV_ASSIGN_OR_RETURN(lhs, expr) \
  KV_ASSIGN_OR_RETURN_IMPL_(KV_STATUS_CONCAT_(kv_statusor_, __LINE__), lhs, expr)

#define KV_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                              \
  if (!statusor.ok()) [[unlikely]] return statusor.status(); \
  lhs = std::move(statusor).value()
