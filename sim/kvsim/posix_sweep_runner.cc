#include "sim/kvsim/posix_sweep_runner.h"

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <map>

#include "absl/strings/str_cat.h"
#include "node/backend/host.h"

namespace kv::sim {
namespace {

struct Child {
  pid_t pid = -1;
  int fd = -1;
  uint64_t seed = 0;
  std::string output;
};

Child Spawn(const std::string& program, const std::vector<std::string>& run_arguments, uint64_t seed) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) {
    std::perror("kvsim: pipe");
    std::exit(2);
  }
  Child child;
  child.seed = seed;
  child.pid = fork();
  if (child.pid < 0) {
    std::perror("kvsim: fork");
    std::exit(2);
  }
  if (child.pid == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    dup2(pipe_fds[1], STDERR_FILENO);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    std::vector<std::string> args = {program, "run", "--seed", std::to_string(seed)};
    args.insert(args.end(), run_arguments.begin(), run_arguments.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(program.c_str(), argv.data());
    std::perror("kvsim: exec");
    _exit(127);
  }
  close(pipe_fds[1]);
  child.fd = pipe_fds[0];
  return child;
}

std::string LineStartingWith(const std::string& text, const std::string& prefix) {
  size_t pos = text.find(prefix);
  if (pos == std::string::npos) return "";
  pos += prefix.size();
  return text.substr(pos, text.find('\n', pos) - pos);
}

SeedOutcome Reap(Child& child) {
  int status = 0;
  waitpid(child.pid, &status, 0);
  close(child.fd);
  SeedOutcome outcome;
  outcome.seed = child.seed;
  outcome.digest = LineStartingWith(child.output, "digest: ");
  outcome.output = child.output;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    outcome.kind = SeedOutcome::Kind::kPass;
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == 1) {
    outcome.kind = SeedOutcome::Kind::kFail;
    outcome.failure = LineStartingWith(child.output, "FAILURE: ");
  } else {
    outcome.kind = SeedOutcome::Kind::kCrash;
    // The last line the child printed usually names the failed check.
    std::string last = child.output;
    while (!last.empty() && last.back() == '\n') last.pop_back();
    last = last.substr(last.rfind('\n') == std::string::npos ? 0 : last.rfind('\n') + 1);
    outcome.failure = WIFSIGNALED(status)
                          ? absl::StrCat("crashed with signal ", WTERMSIG(status), " (", strsignal(WTERMSIG(status)), "): ", last)
                          : absl::StrCat("exited with status ", WEXITSTATUS(status), ": ", last);
  }
  return outcome;
}

double WallSeconds() { return backend::HostMonotonicSeconds(); }

}  // namespace

void RunSeedsInProcesses(const std::string& program, const std::vector<std::string>& run_arguments,
                         const std::vector<uint64_t>& seeds, int jobs,
                         const std::function<bool(const SeedOutcome&)>& on_done) {
  std::map<int, Child> running;  // By pipe fd.
  size_t next = 0;
  bool more = true;
  while ((more && next < seeds.size()) || !running.empty()) {
    while (more && next < seeds.size() && static_cast<int>(running.size()) < jobs) {
      Child child = Spawn(program, run_arguments, seeds[next++]);
      running.emplace(child.fd, std::move(child));
    }
    std::vector<pollfd> fds;
    for (const auto& [fd, child] : running) fds.push_back(pollfd{fd, POLLIN, 0});
    if (poll(fds.data(), fds.size(), -1) < 0) continue;  // EINTR: poll again.
    for (const pollfd& p : fds) {
      if ((p.revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      Child& child = running.at(p.fd);
      char buffer[65536];
      const ssize_t n = read(p.fd, buffer, sizeof(buffer));
      if (n > 0) {
        child.output.append(buffer, static_cast<size_t>(n));
        continue;
      }
      more = on_done(Reap(child)) && more;
      running.erase(p.fd);
    }
  }
}

SweepProgress::SweepProgress(uint64_t total)
    : total_(total), terminal_(isatty(STDERR_FILENO) == 1), start_seconds_(WallSeconds()) {}

void SweepProgress::Update(uint64_t done, uint64_t failures) {
  const double elapsed = WallSeconds() - start_seconds_;
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
  const double left = rate > 0 ? static_cast<double>(total_ - done) / rate : 0;
  if (terminal_) {
    std::fprintf(stderr, "\r[%llu/%llu] failures %llu  %.1f seeds/s  %.0fs left   ",
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total_),
                 static_cast<unsigned long long>(failures), rate, left);
  } else if (done >= next_plain_line_) {
    std::fprintf(stderr, "progress: %llu/%llu seeds, %llu failures, %.1f seeds/s, %.0fs left\n",
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total_),
                 static_cast<unsigned long long>(failures), rate, left);
    next_plain_line_ = done + (total_ / 10 > 0 ? total_ / 10 : 1);
  }
  std::fflush(stderr);
}

void SweepProgress::Finish() {
  if (terminal_) std::fprintf(stderr, "\n");
}

}  // namespace kv::sim
