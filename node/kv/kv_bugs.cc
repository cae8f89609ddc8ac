#include "node/kv/kv_bugs.h"

#include "absl/strings/str_cat.h"

namespace kv::node {
namespace {
constexpr KvBugs kAll[] = {kApplyRetryTwice, kReadWithoutReadIndex, kAckBeforeSync,
                          kAppliedIndexApart};
}  // namespace

const char* KvBugName(KvBugs bug) {
  switch (bug) {
    case kApplyRetryTwice: return "apply-retry-twice";
    case kReadWithoutReadIndex: return "read-without-read-index";
    case kAckBeforeSync: return "ack-before-sync";
    case kAppliedIndexApart: return "applied-index-apart";
    default: return "none";
  }
}

absl::StatusOr<KvBugs> ParseKvBug(absl::string_view name) {
  std::string known;
  for (KvBugs bug : kAll) {
    if (name == KvBugName(bug)) return bug;
    absl::StrAppend(&known, known.empty() ? "" : ", ", KvBugName(bug));
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown KV bug '", name, "' (known: ", known, ")"));
}

}  // namespace kv::node
