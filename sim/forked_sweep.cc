#include "sim/forked_sweep.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace kv::sim {
namespace {

void WriteAll(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

// A record on the results pipe: "<P|F> <digest> <failure bytes> <report
// bytes>\n" and then the failure's and the report's bytes (both may span
// lines).
std::string EncodeRecord(const WorkerSeedResult& r) {
  return absl::StrCat(r.passed ? "P " : "F ", r.digest, " ", r.failure.size(), " ", r.report.size(), "\n",
                      r.failure, r.report);
}

// Takes one whole record off the front of `buffer`, if there is one.
bool TakeRecord(std::string& buffer, WorkerSeedResult& r) {
  const size_t newline = buffer.find('\n');
  if (newline == std::string::npos) return false;
  const std::vector<absl::string_view> fields = absl::StrSplit(absl::string_view(buffer).substr(0, newline), ' ');
  size_t failure_size = 0, report_size = 0;
  if (fields.size() != 4 || (fields[0] != "P" && fields[0] != "F") || !absl::SimpleAtoi(fields[1], &r.digest) ||
      !absl::SimpleAtoi(fields[2], &failure_size) || !absl::SimpleAtoi(fields[3], &report_size)) {
    std::fprintf(stderr, "kvsim: malformed result from the sweep worker: %s\n", buffer.substr(0, newline).c_str());
    std::exit(2);
  }
  if (buffer.size() < newline + 1 + failure_size + report_size) return false;
  r.passed = fields[0] == "P";
  r.failure = buffer.substr(newline + 1, failure_size);
  r.report = buffer.substr(newline + 1 + failure_size, report_size);
  buffer.erase(0, newline + 1 + failure_size + report_size);
  return true;
}

// The last line of the file `fd` refers to (the worker's stderr).
std::string LastLineOf(int fd) {
  std::string text;
  char chunk[4096];
  if (lseek(fd, 0, SEEK_SET) < 0) return "";
  for (;;) {
    const ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(chunk, static_cast<size_t>(n));
  }
  while (!text.empty() && text.back() == '\n') text.pop_back();
  const size_t start = text.rfind('\n');
  return start == std::string::npos ? text : text.substr(start + 1);
}

}  // namespace

void RunSeedsInForkedWorker(const std::vector<uint64_t>& seeds,
                            const std::function<WorkerSeedResult(uint64_t)>& run_seed,
                            const std::function<bool(const WorkerSeedResult&)>& on_done) {
  size_t next = 0;  // The first seed not yet reported.
  while (next < seeds.size()) {
    int fds[2];
    // The worker's stderr goes to a file, read only if it dies: a pipe
    // nobody reads while it runs could fill and stall it.
    FILE* errors = std::tmpfile();
    if (pipe(fds) != 0 || errors == nullptr) {
      std::perror("kvsim: sweep worker");
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
      dup2(fileno(errors), STDERR_FILENO);
      for (size_t i = next; i < seeds.size(); ++i) {
        WorkerSeedResult r = run_seed(seeds[i]);
        std::fflush(stdout);
        WriteAll(fds[1], EncodeRecord(r));
      }
      _exit(0);
    }
    close(fds[1]);
    std::string buffer;
    bool stop = false;
    char chunk[4096];
    while (!stop) {
      const ssize_t n = read(fds[0], chunk, sizeof(chunk));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      buffer.append(chunk, static_cast<size_t>(n));
      WorkerSeedResult r;
      while (!stop && TakeRecord(buffer, r)) {
        r.seed = seeds[next++];
        stop = !on_done(r);
      }
    }
    if (stop) kill(pid, SIGKILL);
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    const std::string last = LastLineOf(fileno(errors));
    std::fclose(errors);
    if (stop) return;
    if (next == seeds.size()) return;
    // The worker died during seeds[next]: that seed fails, and a new worker
    // takes the rest.
    WorkerSeedResult crashed;
    crashed.seed = seeds[next++];
    crashed.failure = WIFSIGNALED(status)
                          ? absl::StrCat("crashed with signal ", WTERMSIG(status), " (", strsignal(WTERMSIG(status)),
                                         "): ", last)
                          : absl::StrCat("exited with status ", WEXITSTATUS(status), ": ", last);
    if (!on_done(crashed)) return;
  }
}

}  // namespace kv::sim
