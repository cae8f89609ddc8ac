#include "sim/sweep_seeds.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace kv::sim {
namespace {

absl::Status TooMany(uint64_t first, uint64_t last, absl::string_view what, unsigned __int128 count) {
  // Only the whole of 0..2^64-1 counts past uint64.
  const std::string number =
      count > UINT64_MAX ? std::string("18446744073709551616") : absl::StrCat(static_cast<uint64_t>(count));
  return absl::InvalidArgumentError(absl::StrCat("seeds ", first, "..", last, what, " number ", number,
                                                 "; one process runs at most ", kMaxSweepSeeds,
                                                 ": split the range"));
}

}  // namespace

absl::StatusOr<std::pair<uint64_t, uint64_t>> ParseSeedRange(absl::string_view flag, absl::string_view text) {
  const size_t dots = text.find("..");
  const absl::string_view first_text = text.substr(0, dots);
  const absl::string_view last_text = dots == absl::string_view::npos ? first_text : text.substr(dots + 2);
  uint64_t first = 0, last = 0;
  // SimpleAtoi takes a sign (and wraps a minus, for uint64): refused here,
  // as Flags::GetUint refuses one.
  auto number = [](absl::string_view part, uint64_t& value) {
    return !part.empty() && part[0] != '-' && part[0] != '+' && absl::SimpleAtoi(part, &value);
  };
  if (!number(first_text, first) || !number(last_text, last)) {
    return absl::InvalidArgumentError(
        absl::StrCat("flag --", flag, " wants A..B or A (non-negative integers), got '", text, "'"));
  }
  if (first > last) {
    return absl::InvalidArgumentError(
        absl::StrCat("flag --", flag, ": range ", text, " is empty (", first, " > ", last, ")"));
  }
  return std::make_pair(first, last);
}

unsigned __int128 SweepSeedCount(uint64_t first, uint64_t last, uint64_t k, uint64_t n) {
  const uint64_t span = last - first;  // Fits; span + 1 may not.
  if (span < k - 1) return 0;
  return static_cast<unsigned __int128>((span - (k - 1)) / n) + 1;
}

absl::StatusOr<std::vector<uint64_t>> SweepSeeds(uint64_t first, uint64_t last, uint64_t k, uint64_t n) {
  const unsigned __int128 count = SweepSeedCount(first, last, k, n);
  if (count > kMaxSweepSeeds) {
    return TooMany(first, last, n == 1 ? std::string() : absl::StrCat(" in slice ", k, "/", n), count);
  }
  std::vector<uint64_t> seeds;
  seeds.reserve(static_cast<size_t>(count));
  for (uint64_t i = 0; i < count; ++i) seeds.push_back(first + (k - 1) + i * n);
  return seeds;
}

absl::StatusOr<std::vector<uint64_t>> SampleSeeds(uint64_t first, uint64_t last, uint64_t sample) {
  // The whole range's count, which is 2^64 for 0..2^64-1.
  const unsigned __int128 span = static_cast<unsigned __int128>(last - first) + 1;
  if (sample == 0 || sample >= span) {
    if (span > kMaxSweepSeeds) return TooMany(first, last, "", span);
    return SweepSeeds(first, last);
  }
  if (sample > kMaxSweepSeeds) return TooMany(first, last, " sampled", sample);
  std::vector<uint64_t> seeds;
  seeds.reserve(sample);
  for (uint64_t i = 0; i < sample; ++i) seeds.push_back(first + static_cast<uint64_t>(i * span / sample));
  return seeds;
}

}  // namespace kv::sim
