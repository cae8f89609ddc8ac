#include "sim/trace/text_trace_sink.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace kv::sim::trace {
namespace {

std::string Millis(env::DurationNs ns) { return absl::StrFormat("%d.%03dms", ns / 1'000'000, (ns % 1'000'000) / 1000); }

std::string ShardTag(uint64_t shard) { return shard == 0 ? "" : absl::StrCat("s", shard, " "); }

}  // namespace

void TextTraceSink::Begin(const TraceLayout& layout) {
  layout_ = layout;
  absl::StrAppend(&buffer_, "# trace of seed ", layout.seed, ": servers n0..n", layout.servers - 1,
                  layout.clients > 0 ? absl::StrCat(", clients c0..c", layout.clients - 1, " (node ids ",
                                                    layout.servers, "..", layout.servers + layout.clients - 1, ")")
                                     : "",
                  "\n");
  if (!layout.command.empty()) absl::StrAppend(&buffer_, "# ", layout.command, "\n");
}

void TextTraceSink::Line(const TraceEvent& event, const std::string& rest) {
  absl::StrAppend(&buffer_, FormatTraceTime(event.time_ns), " ", NodeName(layout_, event.node), " ", rest, "\n");
  ++lines_written_;
  if (buffer_.size() >= (1 << 16)) Flush();
}

void TextTraceSink::Record(const TraceEvent& e) {
  if (!filter_.MatchesTime(e.time_ns) || !filter_.MatchesNode(e)) return;
  switch (e.kind) {
    case TraceKind::kSend:
    case TraceKind::kDeliver:
    case TraceKind::kDrop: {
      const std::string peer = NodeName(layout_, e.peer);
      std::string head, tail;
      if (e.kind == TraceKind::kSend) {
        head = absl::StrCat("send -> ", peer);
        tail = absl::StrCat("+", Millis(e.duration_ns), e.detail.empty() ? "" : ", ", e.detail);
      } else if (e.kind == TraceKind::kDeliver) {
        head = absl::StrCat("recv <- ", peer);
      } else {
        head = absl::StrCat("drop -> ", peer);
        tail = absl::StrCat("dropped ", e.at_arrival ? "on arrival" : "at send", ": ", DropReasonName(e.drop));
      }
      const size_t count = e.parts.size();
      for (size_t i = 0; i < count; ++i) {
        const MessagePart& part = e.parts[i];
        if (!filter_.MatchesShardOf(part.shard)) continue;
        Line(e, absl::StrCat(head, " ", ShardTag(part.shard), part.text, " (", tail, tail.empty() ? "" : ", ", "msg ",
                             e.message_id, count > 1 ? absl::StrCat(" part ", i + 1, "/", count) : "", ")"));
      }
      return;
    }
    default:
      break;
  }
  if (!filter_.MatchesShard(e)) return;
  switch (e.kind) {
    case TraceKind::kTimer:
      Line(e, absl::StrCat("timer ", e.index, " fires"));
      break;
    case TraceKind::kRole:
      Line(e, absl::StrCat(ShardTag(e.shard), "role ", e.text, " term=", e.term, e.detail.empty() ? "" : " ", e.detail));
      break;
    case TraceKind::kCommit:
      Line(e, absl::StrCat(ShardTag(e.shard), "commit ", e.index));
      break;
    case TraceKind::kClientCall:
      Line(e, absl::StrCat("call ", e.text, " ", ShardTag(e.shard), e.detail));
      break;
    case TraceKind::kClientReply:
      Line(e, absl::StrCat("reply ", e.text, " ", ShardTag(e.shard), "-> ", e.detail, " (latency ",
                           Millis(e.duration_ns), ")"));
      break;
    case TraceKind::kFault:
      Line(e, absl::StrCat("fault ", FaultActionName(e.fault), e.text.empty() ? "" : " ", e.text,
                           e.fault == FaultAction::kPause ? absl::StrCat(" for ", Millis(e.duration_ns)) : "",
                           e.detail.empty() ? "" : " (", e.detail, e.detail.empty() ? "" : ")"));
      break;
    default:
      break;
  }
}

void TextTraceSink::Flush() {
  if (!buffer_.empty()) std::fwrite(buffer_.data(), 1, buffer_.size(), out_);
  buffer_.clear();
  // Nothing stays in stdio's buffer, so that WritePendingOnAbort finds every
  // unwritten line in buffer_.
  std::fflush(out_);
}

void TextTraceSink::WritePendingOnAbort() const {
  const int fd = fileno(out_);
  if (fd < 0) return;
  const char* data = buffer_.data();
  size_t left = buffer_.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, data, left);
    if (n <= 0) return;
    data += n;
    left -= static_cast<size_t>(n);
  }
  static constexpr char kNote[] = "# trace cut short: the process is aborting (see the failed check on stderr)\n";
  [[maybe_unused]] const ssize_t ignored = ::write(fd, kNote, sizeof(kNote) - 1);
}

absl::Status TextTraceSink::Finish(env::TimeNs end_ns) {
  absl::StrAppend(&buffer_, "# end of trace at ", FormatTraceTime(end_ns), ": ", lines_written_, " lines\n");
  Flush();
  if (std::fflush(out_) != 0 || std::ferror(out_)) return absl::DataLossError("could not write the trace");
  return absl::OkStatus();
}

}  // namespace kv::sim::trace
