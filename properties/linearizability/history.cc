#include "properties/linearizability/history.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace kv::properties {

Operation MakeGet(int64_t client_id, std::string key, std::optional<std::string> read_value,
                  int64_t call_ns, int64_t return_ns) {
  Operation operation;
  operation.client_id = client_id;
  operation.key = std::move(key);
  operation.kind = OpKind::kGet;
  operation.read_value = std::move(read_value);
  operation.call_ns = call_ns;
  operation.return_ns = return_ns;
  return operation;
}

Operation MakePut(int64_t client_id, std::string key, std::string value, int64_t call_ns,
                  int64_t return_ns) {
  Operation operation;
  operation.client_id = client_id;
  operation.key = std::move(key);
  operation.kind = OpKind::kPut;
  operation.value = std::move(value);
  operation.call_ns = call_ns;
  operation.return_ns = return_ns;
  return operation;
}

Operation MakeDelete(int64_t client_id, std::string key, int64_t call_ns, int64_t return_ns) {
  Operation operation;
  operation.client_id = client_id;
  operation.key = std::move(key);
  operation.kind = OpKind::kDelete;
  operation.call_ns = call_ns;
  operation.return_ns = return_ns;
  return operation;
}

Operation MakeCas(int64_t client_id, std::string key, std::optional<std::string> expected,
                  std::string value, bool succeeded, int64_t call_ns, int64_t return_ns) {
  Operation operation;
  operation.client_id = client_id;
  operation.key = std::move(key);
  operation.kind = OpKind::kCas;
  operation.expected = std::move(expected);
  operation.value = std::move(value);
  operation.cas_succeeded = succeeded;
  operation.call_ns = call_ns;
  operation.return_ns = return_ns;
  return operation;
}

Operation TimedOut(Operation operation) {
  operation.completed = false;
  operation.read_value.reset();
  operation.cas_succeeded = false;
  operation.return_ns = 0;
  return operation;
}

absl::Status ValidateHistory(absl::Span<const Operation> history) {
  for (size_t index = 0; index < history.size(); ++index) {
    const Operation& operation = history[index];
    const auto bad = [&](absl::string_view problem) {
      return absl::InvalidArgumentError(absl::StrCat("operation ", index, " (",
                                                     FormatOperation(operation), "): ", problem));
    };
    switch (operation.kind) {
      case OpKind::kGet:
      case OpKind::kDelete:
        if (!operation.value.empty()) return bad("GET and DELETE take no value");
        break;
      case OpKind::kPut:
      case OpKind::kCas:
        break;
      default:
        return bad(absl::StrCat("unknown kind ", static_cast<int>(operation.kind)));
    }
    if (operation.kind != OpKind::kCas && operation.expected.has_value()) {
      return bad("only CAS has an expected value");
    }
    if (operation.kind != OpKind::kGet && operation.read_value.has_value()) {
      return bad("only GET has a read value");
    }
    if (operation.kind != OpKind::kCas && operation.cas_succeeded) {
      return bad("only CAS has a success flag");
    }
    if (!operation.completed) {
      if (operation.read_value.has_value() || operation.cas_succeeded) {
        return bad("a timed-out operation has no outputs");
      }
    } else if (operation.return_ns < operation.call_ns) {
      return bad(absl::StrCat("returns at ", operation.return_ns, " before its call at ",
                              operation.call_ns));
    }
  }
  return absl::OkStatus();
}

std::string FormatValue(const std::optional<std::string>& value) {
  return value.has_value() ? absl::StrCat("\"", *value, "\"") : "absent";
}

std::string FormatOperation(const Operation& operation) {
  std::string text = absl::StrCat("c", operation.client_id, " ");
  switch (operation.kind) {
    case OpKind::kGet:
      absl::StrAppend(&text, "GET ", operation.key, " = ",
                      operation.completed ? FormatValue(operation.read_value) : "?");
      break;
    case OpKind::kPut:
      absl::StrAppend(&text, "PUT ", operation.key, " ", FormatValue(operation.value));
      break;
    case OpKind::kDelete:
      absl::StrAppend(&text, "DELETE ", operation.key);
      break;
    case OpKind::kCas:
      absl::StrAppend(&text, "CAS ", operation.key, " ", FormatValue(operation.expected), "->",
                      FormatValue(operation.value), " = ",
                      !operation.completed            ? "?"
                      : operation.cas_succeeded ? "true"
                                                : "false");
      break;
  }
  if (operation.completed) {
    absl::StrAppend(&text, "  [", operation.call_ns, ", ", operation.return_ns, "]");
  } else {
    absl::StrAppend(&text, "  [", operation.call_ns, ", +inf) timed out");
  }
  return text;
}

}  // namespace kv::properties
