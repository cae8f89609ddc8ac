#include "sim/determinism_trail.h"

#include <cstdio>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace kv::sim {
namespace {

constexpr char kMagic[8] = {'K', 'V', 'T', 'R', 'A', 'I', 'L', '1'};

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

std::string Seconds(env::TimeNs t) { return absl::StrFormat("%.6fs", static_cast<double>(t) / 1e9); }

}  // namespace

absl::Status WriteTrail(const std::string& path, const std::vector<TrailPoint>& trail) {
  File f(std::fopen(path.c_str(), "wb"));
  if (!f) return absl::UnavailableError(absl::StrCat("cannot write trail file ", path));
  const uint64_t count = trail.size();
  bool ok = std::fwrite(kMagic, sizeof(kMagic), 1, f.get()) == 1 &&
            std::fwrite(&count, sizeof(count), 1, f.get()) == 1;
  if (ok && count > 0) ok = std::fwrite(trail.data(), sizeof(TrailPoint), count, f.get()) == count;
  if (!ok || std::fflush(f.get()) != 0) {
    return absl::UnavailableError(absl::StrCat("short write to trail file ", path));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<TrailPoint>> ReadTrail(const std::string& path) {
  File f(std::fopen(path.c_str(), "rb"));
  if (!f) return absl::NotFoundError(absl::StrCat("cannot open trail file ", path));
  char magic[sizeof(kMagic)];
  uint64_t count = 0;
  if (std::fread(magic, sizeof(magic), 1, f.get()) != 1 || std::memcmp(magic, kMagic, sizeof(kMagic)) != 0 ||
      std::fread(&count, sizeof(count), 1, f.get()) != 1 || count > (uint64_t{1} << 32)) {
    return absl::DataLossError(absl::StrCat(path, " is not a kvsim trail file"));
  }
  std::vector<TrailPoint> trail(count);
  if (count > 0 && std::fread(trail.data(), sizeof(TrailPoint), count, f.get()) != count) {
    return absl::DataLossError(absl::StrCat(path, ": trail is truncated"));
  }
  return trail;
}

std::optional<Divergence> FindFirstDivergence(const std::vector<TrailPoint>& a,
                                              const std::vector<TrailPoint>& b) {
  const size_t common = std::min(a.size(), b.size());
  for (size_t i = 0; i < common; ++i) {
    if (a[i] == b[i]) continue;
    const TrailPoint& x = a[i];
    const TrailPoint& y = b[i];
    const std::string before =
        i == 0 ? "at the first event" : absl::StrCat("after event ", a[i - 1].event, " at ", Seconds(a[i - 1].time_ns),
                                                     ", identical up to there");
    std::string what;
    if (x.time_ns != y.time_ns) {
      what = absl::StrCat("the event times differ (", Seconds(x.time_ns), " vs ", Seconds(y.time_ns), ")");
    } else if (x.event_digest != y.event_digest) {
      what = "a different event ran at the same time (event digests differ)";
    } else if (x.draws != y.draws) {
      what = absl::StrCat("the event made a different number of random draws (", x.draws, " vs ", y.draws,
                          " in total)");
    } else {
      what = "the event drew different random values";
    }
    return Divergence{x.event, x.time_ns,
                      absl::StrCat("runs diverge at event ", x.event, " (", Seconds(x.time_ns), "), ", before,
                                   ": ", what)};
  }
  if (a.size() != b.size()) {
    const env::TimeNs last = common == 0 ? 0 : a[common - 1].time_ns;
    return Divergence{common + 1, last,
                      absl::StrCat("runs agree for ", common, " events, then one stops (", a.size(), " vs ",
                                   b.size(), " events)")};
  }
  return std::nullopt;
}

}  // namespace kv::sim
