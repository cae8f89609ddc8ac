#include "sim/forked_sweep.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "node/env/check.h"

namespace kv::sim {
namespace {

constexpr size_t kNone = std::numeric_limits<size_t>::max();

bool WriteAll(int fd, const char* data, size_t size) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n = write(fd, data + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// Reads exactly `size` bytes; false at end of file (or an error) first.
bool ReadAll(int fd, char* data, size_t size) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n = read(fd, data + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// A record on a worker's results pipe: "<P|F> <digest> <failure bytes>
// <report bytes>\n" and then the failure's and the report's bytes (both may
// span lines).
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
    std::fprintf(stderr, "kvsim: malformed result from a sweep worker: %s\n", buffer.substr(0, newline).c_str());
    std::exit(2);
  }
  if (buffer.size() < newline + 1 + failure_size + report_size) return false;
  r.passed = fields[0] == "P";
  r.failure = buffer.substr(newline + 1, failure_size);
  r.report = buffer.substr(newline + 1 + failure_size, report_size);
  buffer.erase(0, newline + 1 + failure_size + report_size);
  return true;
}

// The last line of the file `fd` refers to (a worker's stderr).
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

struct Worker {
  pid_t pid = -1;
  int command_fd = -1;  // Seed indexes to run, 8 bytes each; closed: stop.
  int result_fd = -1;   // Records, one per seed run.
  FILE* errors = nullptr;  // The worker's stderr, read only if it dies: a
                           // pipe nobody reads while it runs could fill.
  std::string buffer;
  size_t running = kNone;  // Index (into the seeds) of the seed it runs.
};

void CloseIfOpen(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

// The worker's side: runs the seeds it is handed until its command pipe
// closes. Never returns.
[[noreturn]] void WorkerLoop(int command_fd, int result_fd, const std::vector<uint64_t>& seeds,
                             const std::function<WorkerSeedResult(uint64_t)>& run_seed) {
  uint64_t index = 0;
  while (ReadAll(command_fd, reinterpret_cast<char*>(&index), sizeof(index))) {
    KV_CHECK_LT(index, seeds.size());
    const std::string record = EncodeRecord(run_seed(seeds[index]));
    std::fflush(stdout);
    if (!WriteAll(result_fd, record.data(), record.size())) break;
  }
  _exit(0);
}

void Start(Worker& worker, std::vector<Worker>& all, const std::vector<uint64_t>& seeds,
           const std::function<WorkerSeedResult(uint64_t)>& run_seed) {
  int command[2], result[2];
  worker.errors = std::tmpfile();
  if (pipe(command) != 0 || pipe(result) != 0 || worker.errors == nullptr) {
    std::perror("kvsim: sweep worker");
    std::exit(2);
  }
  std::fflush(stdout);
  std::fflush(stderr);
  worker.pid = fork();
  if (worker.pid < 0) {
    std::perror("kvsim: fork");
    std::exit(2);
  }
  if (worker.pid == 0) {
    // The other workers' pipes: held here, a command pipe would never
    // close for its worker, nor a result pipe for the sweep.
    for (Worker& other : all) {
      if (&other == &worker) continue;
      CloseIfOpen(other.command_fd);
      CloseIfOpen(other.result_fd);
    }
    close(command[1]);
    close(result[0]);
    dup2(fileno(worker.errors), STDERR_FILENO);
    WorkerLoop(command[0], result[1], seeds, run_seed);
  }
  close(command[0]);
  close(result[1]);
  worker.command_fd = command[1];
  worker.result_fd = result[0];
  worker.buffer.clear();
  worker.running = kNone;
}

// Hands `index` to the worker; false if it cannot take it (it died).
bool Hand(Worker& worker, size_t index) {
  const uint64_t value = index;
  if (!WriteAll(worker.command_fd, reinterpret_cast<const char*>(&value), sizeof(value))) return false;
  worker.running = index;
  return true;
}

// Reaps an exited worker; returns how it died ("" if it exited cleanly).
std::string Reap(Worker& worker) {
  CloseIfOpen(worker.command_fd);
  CloseIfOpen(worker.result_fd);
  int status = 0;
  while (waitpid(worker.pid, &status, 0) < 0 && errno == EINTR) {
  }
  worker.pid = -1;
  const std::string last = LastLineOf(fileno(worker.errors));
  std::fclose(worker.errors);
  worker.errors = nullptr;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
  return WIFSIGNALED(status)
             ? absl::StrCat("crashed with signal ", WTERMSIG(status), " (", strsignal(WTERMSIG(status)), "): ", last)
             : absl::StrCat("exited with status ", WEXITSTATUS(status), ": ", last);
}

}  // namespace

void RunSeedsInForkedWorkers(const std::vector<uint64_t>& seeds, int jobs,
                             const std::function<WorkerSeedResult(uint64_t)>& run_seed,
                             const std::function<bool(const WorkerSeedResult&)>& on_done) {
  KV_CHECK_GE(jobs, 1);
  std::vector<Worker> workers(std::min<size_t>(static_cast<size_t>(jobs), seeds.size()));
  size_t next = 0;  // The first seed not yet handed out.
  bool stop = false;
  // Gives the worker its next seed, or lets it go when none is left.
  auto feed = [&](Worker& worker) {
    while (!stop && next < seeds.size()) {
      if (worker.pid < 0) Start(worker, workers, seeds, run_seed);
      if (Hand(worker, next)) {
        ++next;
        return;
      }
      // It died before taking the seed: its pipe's end says how, below.
      return;
    }
    CloseIfOpen(worker.command_fd);
  };
  for (Worker& worker : workers) feed(worker);
  for (;;) {
    std::vector<pollfd> fds;
    std::vector<Worker*> polled;
    for (Worker& worker : workers) {
      if (worker.result_fd < 0) continue;
      fds.push_back(pollfd{worker.result_fd, POLLIN, 0});
      polled.push_back(&worker);
    }
    if (fds.empty()) break;
    if (poll(fds.data(), fds.size(), -1) < 0) continue;  // EINTR: poll again.
    for (size_t i = 0; i < fds.size() && !stop; ++i) {
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      Worker& worker = *polled[i];
      char chunk[65536];
      const ssize_t n = read(worker.result_fd, chunk, sizeof(chunk));
      if (n < 0 && errno == EINTR) continue;
      if (n > 0) {
        worker.buffer.append(chunk, static_cast<size_t>(n));
        WorkerSeedResult r;
        while (!stop && worker.running != kNone && TakeRecord(worker.buffer, r)) {
          r.seed = seeds[worker.running];
          worker.running = kNone;
          stop = !on_done(r);
          feed(worker);
        }
        continue;
      }
      // The worker's results ended: it was let go, or it died.
      const size_t running = worker.running;
      const std::string death = Reap(worker);
      if (running != kNone) {
        WorkerSeedResult crashed;
        crashed.seed = seeds[running];
        crashed.failure = death.empty() ? "the worker exited without a result" : death;
        stop = !on_done(crashed);
        feed(worker);  // A fresh worker, if seeds remain.
      }
    }
    if (stop) break;
  }
  for (Worker& worker : workers) {
    if (worker.pid < 0) continue;
    kill(worker.pid, SIGKILL);
    Reap(worker);
  }
}

}  // namespace kv::sim
