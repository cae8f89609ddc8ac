#pragma once
// Runs the kvsim binary (KVSIM_BINARY, set by CMake) from a test and collects
// its exit status and output. Shared by the process and teeth tests.

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace kv::sim::testing {

struct KvsimOutcome {
  int exit_status = -1;
  std::string output;
};

// Runs `kvsim <arguments>`; stderr is merged into the output unless
// `with_stderr` is false (then it is discarded).
inline KvsimOutcome RunKvsim(const std::string& arguments, bool with_stderr = true) {
  KvsimOutcome outcome;
  const std::string command =
      std::string(KVSIM_BINARY) + " " + arguments + (with_stderr ? " 2>&1" : " 2>/dev/null");
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return outcome;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) outcome.output.append(buffer, n);
  const int status = pclose(pipe);
  outcome.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return outcome;
}

}  // namespace kv::sim::testing
