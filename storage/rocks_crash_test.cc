// Process-crash test of the RocksDB backend: a child process writes and
// syncs log entries and state-machine applies, reporting each acknowledged
// step through a pipe; the parent SIGKILLs it at a moment of its choosing,
// reopens the database and checks that every acknowledged step is there.
// Repeated over rounds, so recovery also runs on top of earlier recoveries.
//
// The child is this test binary run afresh (fork, then exec), not a bare
// fork: a forked copy of a process that has used RocksDB inherits the state
// of its background thread pools without their threads, so a memtable
// flush the child needs may never run, and the child then waits forever
// (the test hung that way, now and then).

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "storage/testing/rocks_harness.h"

namespace kv::storage {
namespace {

using testing::Await;
using testing::RocksHarness;

std::string PayloadOf(uint64_t index) { return "entry-" + std::to_string(index); }

// Writes all of `value` to `fd`; 0 on success.
int WriteAll(int fd, uint64_t value) {
  const char* bytes = reinterpret_cast<const char*>(&value);
  size_t done = 0;
  while (done < sizeof(value)) {
    const ssize_t n = write(fd, bytes + done, sizeof(value) - done);
    if (n <= 0) return -1;
    done += static_cast<size_t>(n);
  }
  return 0;
}

// The child: append entry i and apply key i, both acknowledged, then report
// i. Never returns.
[[noreturn]] void RunWriter(RocksHarness& harness, int report_fd) {
  auto log = harness.OpenLog(1);
  auto state = harness.OpenStateMachine();
  if (!log.ok() || !state.ok()) _exit(2);
  for (uint64_t index = (*log)->LastIndex() + 1;; ++index) {
    LogWrite write;
    write.entries.push_back(LogEntry{index, 1, PayloadOf(index)});
    write.hard_state = HardState{1, 1, index};
    const absl::Status logged = Await(harness, [&](env::OnDone done) {
      (*log)->Write(write, std::move(done));
    });
    const absl::Status applied = Await(harness, [&](env::OnDone done) {
      (*state)->Apply(7, index, {Mutation::Put("key" + std::to_string(index), PayloadOf(index))},
                      std::move(done));
    });
    if (!logged.ok() || !applied.ok()) _exit(3);
    if (WriteAll(report_fd, index) != 0) _exit(4);
  }
}

// How the parent tells its child where the database is and where to
// report.
constexpr char kWriterDirVariable[] = "KV_ROCKS_CRASH_WRITER_DIR";
constexpr char kWriterFdVariable[] = "KV_ROCKS_CRASH_WRITER_FD";

// The child's side: runs only when the test below starts it.
TEST(RocksCrashWriter, WritesUntilKilled) {
  const char* dir = std::getenv(kWriterDirVariable);
  const char* fd = std::getenv(kWriterFdVariable);
  if (dir == nullptr || fd == nullptr) GTEST_SKIP() << "the crash test's child, started by it";
  RocksHarness harness{std::string(dir)};
  RunWriter(harness, std::atoi(fd));
}

// Starts this binary as the writer over `dir`, reporting to `report_fd`.
// Everything the child needs is built before the fork: after it, the child
// only closes, execs and exits.
pid_t StartWriter(const std::string& dir, int report_fd, int read_fd) {
  std::vector<std::string> variables;
  for (char** variable = environ; *variable != nullptr; ++variable) variables.emplace_back(*variable);
  variables.push_back(std::string(kWriterDirVariable) + "=" + dir);
  variables.push_back(std::string(kWriterFdVariable) + "=" + std::to_string(report_fd));
  std::vector<char*> envp;
  for (std::string& variable : variables) envp.push_back(variable.data());
  envp.push_back(nullptr);
  std::string exe = "/proc/self/exe";
  std::string filter = "--gtest_filter=RocksCrashWriter.*";
  char* argv[] = {exe.data(), filter.data(), nullptr};
  const pid_t child = fork();
  if (child == 0) {
    close(read_fd);
    execve(exe.c_str(), argv, envp.data());
    _exit(5);
  }
  return child;
}

TEST(RocksCrashTest, EverythingAcknowledgedSurvivesSigkill) {
  RocksHarness harness;
  uint64_t acknowledged = 0;
  // Kill after a different number of acknowledged steps each round; the
  // child is usually mid-write or mid-sync when the signal lands.
  for (const uint64_t steps : {1, 17, 40, 3, 64}) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t child = StartWriter(harness.path(), fds[1], fds[0]);
    ASSERT_GE(child, 0);
    close(fds[1]);
    for (uint64_t seen = 0; seen < steps;) {
      uint64_t index = 0;
      ASSERT_EQ(read(fds[0], &index, sizeof(index)), static_cast<ssize_t>(sizeof(index)))
          << "writer died early";
      ASSERT_EQ(index, acknowledged + 1);
      acknowledged = index;
      ++seen;
    }
    ASSERT_EQ(kill(child, SIGKILL), 0);
    int wait_status = 0;
    ASSERT_EQ(waitpid(child, &wait_status, 0), child);
    EXPECT_TRUE(WIFSIGNALED(wait_status));
    close(fds[0]);

    auto log = harness.OpenLog(1);
    ASSERT_TRUE(log.ok()) << log.status();
    auto state = harness.OpenStateMachine();
    ASSERT_TRUE(state.ok()) << state.status();
    // Acknowledged steps are all there; the step in flight may be too.
    ASSERT_GE((*log)->LastIndex(), acknowledged);
    ASSERT_LE((*log)->LastIndex(), acknowledged + 1);
    auto entries = (*log)->Entries(1, acknowledged + 1, 0);
    ASSERT_TRUE(entries.ok()) << entries.status();
    for (uint64_t index = 1; index <= acknowledged; ++index) {
      ASSERT_EQ((*entries)[index - 1].payload, PayloadOf(index));
    }
    EXPECT_GE((*log)->hard_state().commit, acknowledged);
    ASSERT_GE((*state)->AppliedIndex(7), acknowledged);
    for (uint64_t index = 1; index <= acknowledged; ++index) {
      ASSERT_EQ(*(*state)->Get(7, "key" + std::to_string(index)), PayloadOf(index));
    }
    // The next child continues from what this recovery found.
    acknowledged = (*log)->LastIndex();
    if ((*state)->AppliedIndex(7) < acknowledged) {
      // The entry was logged but its apply was lost: finish it, as a node
      // replaying its log would.
      ASSERT_TRUE(Await(harness, [&](env::OnDone done) {
                    (*state)->Apply(7, acknowledged,
                                    {Mutation::Put("key" + std::to_string(acknowledged),
                                                   PayloadOf(acknowledged))},
                                    std::move(done));
                  }).ok());
    }
    log->reset();
    state->reset();
    harness.CloseDb();
  }
}

}  // namespace
}  // namespace kv::storage
