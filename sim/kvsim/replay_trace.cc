#include "sim/kvsim/replay_trace.h"

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sim/trace/chrome_trace_sink.h"

namespace kv::sim {

const std::set<std::string>& ReplayTrace::ValueFlags() {
  static const std::set<std::string>* const flags =
      new std::set<std::string>{"node", "shard", "from", "to", "trace-json", "trace-json-messages"};
  return *flags;
}

const std::set<std::string>& ReplayTrace::BoolFlags() {
  static const std::set<std::string>* const flags = new std::set<std::string>{"trace"};
  return *flags;
}

absl::StatusOr<std::unique_ptr<ReplayTrace>> ReplayTrace::Create(const Flags& flags, int servers, int clients,
                                                                 int shards) {
  std::unique_ptr<ReplayTrace> r(new ReplayTrace());
  const bool text = flags.Has("trace");
  const bool json = flags.Has("trace-json");
  for (const char* name : {"node", "shard", "from", "to"}) {
    if (flags.Has(name) && !text) {
      return absl::InvalidArgumentError(absl::StrCat("--", name, " filters the text trace: add --trace"));
    }
  }
  if (flags.Has("trace-json-messages") && !json) {
    return absl::InvalidArgumentError("--trace-json-messages applies to --trace-json");
  }
  if (!text && !json) {
    return absl::InvalidArgumentError("replay needs --trace (a text trace on stdout) and/or --trace-json FILE");
  }
  trace::TraceFilter& f = r->filter_;
  if (flags.Has("node")) {
    absl::StatusOr<int> node = trace::ParseTraceNode(flags.GetString("node", ""), servers, clients);
    if (!node.ok()) return node.status();
    f.node = *node;
  }
  if (flags.Has("shard")) {
    absl::StatusOr<uint64_t> shard = flags.GetUint("shard", 0);
    if (!shard.ok()) return shard.status();
    if (*shard < 1 || *shard > static_cast<uint64_t>(shards)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--shard ", *shard, " is out of range: this run has shards 1..", shards));
    }
    f.shard = *shard;
  }
  for (const char* name : {"from", "to"}) {
    if (!flags.Has(name)) continue;
    absl::StatusOr<env::TimeNs> t = trace::ParseTraceTime(flags.GetString(name, ""));
    if (!t.ok()) return absl::InvalidArgumentError(absl::StrCat("--", name, ": ", t.status().message()));
    (std::string(name) == "from" ? f.from_ns : f.to_ns) = *t;
  }
  if (f.from_ns > f.to_ns) {
    return absl::InvalidArgumentError(absl::StrCat("--from ", trace::FormatTraceTime(f.from_ns), " is after --to ",
                                                   trace::FormatTraceTime(f.to_ns)));
  }
  std::vector<trace::TraceSink*> sinks;
  if (text) {
    r->text_ = std::make_unique<trace::TextTraceSink>(stdout, f);
    sinks.push_back(r->text_.get());
  }
  if (json) {
    absl::StatusOr<uint64_t> max_messages =
        flags.GetUint("trace-json-messages", trace::ChromeTraceSink::kDefaultMaxMessages);
    if (!max_messages.ok()) return max_messages.status();
    if (*max_messages < 1 || *max_messages > 10'000'000) {
      return absl::InvalidArgumentError(
          absl::StrCat("--trace-json-messages must be 1..10000000, got ", *max_messages));
    }
    r->json_path_ = flags.GetString("trace-json", "");
    r->json_file_ = std::fopen(r->json_path_.c_str(), "w");
    if (r->json_file_ == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot write --trace-json ", r->json_path_, ": ", std::strerror(errno)));
    }
    r->json_ = std::make_unique<trace::ChromeTraceSink>(r->json_file_, *max_messages);
    sinks.push_back(r->json_.get());
  }
  if (sinks.size() == 1) {
    r->sink_ = sinks[0];
  } else {
    r->fanout_ = std::make_unique<trace::FanoutSink>(sinks);
    r->sink_ = r->fanout_.get();
  }
  return r;
}

ReplayTrace::~ReplayTrace() {
  if (json_file_ != nullptr) std::fclose(json_file_);
}

absl::Status ReplayTrace::Finish(env::TimeNs end_ns) {
  absl::Status status = sink_->Finish(end_ns);
  if (json_file_ != nullptr) {
    if (std::fclose(json_file_) != 0 && status.ok()) {
      status = absl::DataLossError(absl::StrCat("could not write ", json_path_, ": ", std::strerror(errno)));
    }
    json_file_ = nullptr;
  }
  return status;
}

}  // namespace kv::sim
