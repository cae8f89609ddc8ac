#include "sim/kvsim/forked_run.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace kv::sim {
namespace {

// The child's report follows this line on its stderr (which also carries
// whatever a failing check printed).
constexpr const char* kResultMarker = "\n@@kvsim-candidate-result@@\n";

void WriteAll(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

std::string Encode(const scenario::CandidateOutcome& o) {
  // One field per line; categories and the failure line hold no newline.
  std::string first = o.first_failure.substr(0, o.first_failure.find('\n'));
  std::string out = absl::StrCat(o.failed ? 1 : 0, "\n", o.digest, "\n", o.max_client_ops, "\n", first, "\n");
  for (const std::string& c : o.categories) absl::StrAppend(&out, c, "\n");
  return out;
}

bool Decode(const std::string& text, scenario::CandidateOutcome& o) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  if (lines.size() < 4) return false;
  o.failed = lines[0] == "1";
  if (!absl::SimpleAtoi(lines[1], &o.digest) || !absl::SimpleAtoi(lines[2], &o.max_client_ops)) return false;
  o.first_failure = lines[3];
  for (size_t i = 4; i < lines.size(); ++i) {
    if (!lines[i].empty()) o.categories.push_back(lines[i]);
  }
  return true;
}

}  // namespace

std::string CrashCategory(const std::string& output) {
  // node/env/check.cc: "CHECK failed at FILE:LINE: ..."; raft/raft_check.cc:
  // "RAFT_CHECK failed: EXPR at FILE:LINE". The first " at FILE:LINE" on the
  // line of the failed check names it.
  const size_t check = output.find("CHECK failed");
  if (check == std::string::npos) return "crash";
  const std::string line = output.substr(check, output.find('\n', check) - check);
  for (size_t at = line.find(" at "); at != std::string::npos; at = line.find(" at ", at + 1)) {
    std::string token = line.substr(at + 4, line.find(' ', at + 4) - (at + 4));
    while (!token.empty() && token.back() == ':') token.pop_back();
    const size_t colon = token.rfind(':');
    int line_number = 0;
    if (colon == std::string::npos || !absl::SimpleAtoi(token.substr(colon + 1), &line_number)) continue;
    std::string file = token.substr(0, colon);
    if (const size_t slash = file.rfind('/'); slash != std::string::npos) file = file.substr(slash + 1);
    return absl::StrCat("crash at ", file, ":", line_number);
  }
  return "crash";
}

scenario::CandidateOutcome RunCandidateInChild(const KvScenario& scenario) {
  int fds[2];
  if (pipe(fds) != 0) {
    std::perror("kvsim: pipe");
    std::exit(2);
  }
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid < 0) {
    std::perror("kvsim: fork");
    std::exit(2);
  }
  if (pid == 0) {
    close(fds[0]);
    dup2(fds[1], STDERR_FILENO);
    const scenario::CandidateOutcome outcome = scenario::RunCandidateInProcess(scenario);
    std::fflush(stderr);
    WriteAll(fds[1], kResultMarker + Encode(outcome));
    _exit(0);
  }
  close(fds[1]);
  std::string output;
  char buffer[4096];
  for (;;) {
    const ssize_t n = read(fds[0], buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output.append(buffer, static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  scenario::CandidateOutcome outcome;
  const size_t marker = output.find(kResultMarker);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && marker != std::string::npos &&
      Decode(output.substr(marker + std::strlen(kResultMarker)), outcome)) {
    return outcome;
  }
  outcome = scenario::CandidateOutcome{};
  outcome.failed = true;
  outcome.categories = {CrashCategory(output)};
  std::string last = output.substr(0, marker);
  while (!last.empty() && last.back() == '\n') last.pop_back();
  const size_t line_start = last.rfind('\n');
  outcome.first_failure = line_start == std::string::npos ? last : last.substr(line_start + 1);
  if (WIFSIGNALED(status)) {
    outcome.first_failure = absl::StrCat("crashed with signal ", WTERMSIG(status), " (", strsignal(WTERMSIG(status)),
                                         "): ", outcome.first_failure);
  }
  return outcome;
}

}  // namespace kv::sim
