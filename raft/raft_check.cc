#include "raft/raft_check.h"

#include <cstdio>

namespace kv::raft::internal {

void CheckFailed(const char* expression, const char* file, int line,
                 const std::string& values) {
  if (values.empty()) {
    std::fprintf(stderr, "RAFT_CHECK failed: %s at %s:%d\n", expression, file,
                 line);
  } else {
    std::fprintf(stderr, "RAFT_CHECK failed: %s (%s) at %s:%d\n", expression,
                 values.c_str(), file, line);
  }
  std::fflush(stderr);
  std::abort();
}

}  // namespace kv::raft::internal
