#include "node/env/check.h"

#include <cstdio>
#include <cstdlib>

namespace kv::env {

void CheckFailed(const char* file, int line, std::string_view expression,
                 std::string_view values) {
  // fprintf rather than iostreams: this runs in a failing process and must not
  // depend on more state than it has to.
  std::fprintf(stderr, "CHECK failed at %s:%d: %.*s", file, line,
               static_cast<int>(expression.size()), expression.data());
  if (!values.empty()) {
    std::fprintf(stderr, " (%.*s)", static_cast<int>(values.size()), values.data());
  }
  std::fprintf(stderr, "\n");
  std::fflush(stderr);
  std::abort();
}

}  // namespace kv::env
