#include "bench/kvbench/proc_stats.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace kv::bench {
namespace {

absl::StatusOr<std::string> ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The value of a "Name:   1234 kB" line of /proc/<pid>/status, in bytes.
int64_t StatusKilobytes(const std::string& status, absl::string_view name) {
  for (absl::string_view line : absl::StrSplit(status, '\n')) {
    if (!absl::ConsumePrefix(&line, name) || !absl::ConsumePrefix(&line, ":")) continue;
    line = absl::StripAsciiWhitespace(line);
    absl::ConsumeSuffix(&line, "kB");
    int64_t kb = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &kb)) return kb * 1024;
  }
  return 0;
}

}  // namespace

absl::StatusOr<double> ParseStatCpuSeconds(const std::string& stat, long ticks_per_second) {
  // The command name (field 2) is in parentheses and may hold spaces, so
  // fields are counted after its closing parenthesis: field 3 is the state,
  // utime is field 14 and stime field 15.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos || ticks_per_second <= 0) {
    return absl::DataLossError("unexpected /proc/<pid>/stat format");
  }
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(stat).substr(close + 1), ' ', absl::SkipEmpty());
  uint64_t utime = 0, stime = 0;
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &utime) ||
      !absl::SimpleAtoi(fields[12], &stime)) {
    return absl::DataLossError("unexpected /proc/<pid>/stat format");
  }
  return static_cast<double>(utime + stime) / static_cast<double>(ticks_per_second);
}

absl::StatusOr<ProcSample> SampleProcess(int pid) {
  const std::string dir = absl::StrCat("/proc/", pid);
  absl::StatusOr<std::string> stat = ReadWhole(dir + "/stat");
  if (!stat.ok()) return absl::NotFoundError(absl::StrCat("process ", pid, " is not running"));
  absl::StatusOr<std::string> status = ReadWhole(dir + "/status");
  if (!status.ok()) return absl::NotFoundError(absl::StrCat("process ", pid, " is not running"));
  ProcSample sample;
  sample.pid = pid;
  absl::StatusOr<std::string> comm = ReadWhole(dir + "/comm");
  if (comm.ok()) sample.name = std::string(absl::StripTrailingAsciiWhitespace(*comm));
  absl::StatusOr<double> cpu = ParseStatCpuSeconds(*stat, ::sysconf(_SC_CLK_TCK));
  if (!cpu.ok()) return cpu.status();
  sample.cpu_seconds = *cpu;
  sample.rss_bytes = StatusKilobytes(*status, "VmRSS");
  sample.peak_rss_bytes = StatusKilobytes(*status, "VmHWM");
  return sample;
}

std::vector<int> FindProcesses(const std::string& program, const std::string& required_arg) {
  std::vector<int> pids;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return pids;
  while (dirent* entry = ::readdir(proc)) {
    int pid = 0;
    if (!absl::SimpleAtoi(entry->d_name, &pid)) continue;
    absl::StatusOr<std::string> cmdline = ReadWhole(absl::StrCat("/proc/", pid, "/cmdline"));
    if (!cmdline.ok() || cmdline->empty()) continue;
    std::vector<std::string> args = absl::StrSplit(*cmdline, '\0', absl::SkipEmpty());
    if (args.empty()) continue;
    const std::string& argv0 = args[0];
    const size_t slash = argv0.rfind('/');
    if (argv0.substr(slash == std::string::npos ? 0 : slash + 1) != program) continue;
    if (!required_arg.empty() && std::find(args.begin(), args.end(), required_arg) == args.end()) continue;
    pids.push_back(pid);
  }
  ::closedir(proc);
  std::sort(pids.begin(), pids.end());
  return pids;
}

}  // namespace kv::bench
