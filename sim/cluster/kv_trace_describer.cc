#include "sim/cluster/kv_trace_describer.h"

#include "absl/strings/str_cat.h"
#include "node/kv/kv.pb.h"
#include "raft/raft.pb.h"

namespace kv::sim {
namespace {

std::string OpName(node::pb::Op op) {
  switch (op) {
    case node::pb::OP_GET: return "GET";
    case node::pb::OP_PUT: return "PUT";
    case node::pb::OP_DELETE: return "DELETE";
    case node::pb::OP_CAS: return "CAS";
    default: return "OP?";
  }
}

// "OK", "NOT_LEADER": the code without its "CODE_" prefix.
std::string CodeName(node::pb::Code code) {
  const std::string name = node::pb::Code_Name(code);
  return name.rfind("CODE_", 0) == 0 ? name.substr(5) : name;
}

// One Raft message, with the fields that matter for its type.
std::string DescribeRaft(const raft::Message& m) {
  std::string out = absl::StrCat(raft::MessageType_Name(m.type()), " term=", m.term());
  switch (m.type()) {
    case raft::MSG_APP:
      absl::StrAppend(&out, " index=", m.index(), " log_term=", m.log_term(), " entries=", m.entries_size(),
                      " commit=", m.commit());
      break;
    case raft::MSG_APP_RESP:
      absl::StrAppend(&out, " index=", m.index(), m.reject() ? absl::StrCat(" reject hint=", m.reject_hint()) : "");
      break;
    case raft::MSG_VOTE:
    case raft::MSG_PRE_VOTE:
      absl::StrAppend(&out, " last_index=", m.index(), " last_term=", m.log_term(), m.transfer() ? " transfer" : "");
      break;
    case raft::MSG_VOTE_RESP:
    case raft::MSG_PRE_VOTE_RESP:
      absl::StrAppend(&out, m.reject() ? " reject" : " granted");
      break;
    case raft::MSG_HEARTBEAT:
      absl::StrAppend(&out, " commit=", m.commit(), " seq=", m.heartbeat_seq());
      break;
    case raft::MSG_HEARTBEAT_RESP:
      absl::StrAppend(&out, " seq=", m.heartbeat_seq());
      break;
    case raft::MSG_SNAP:
      absl::StrAppend(&out, " snapshot_index=", m.snapshot_metadata().index(), " offset=", m.snapshot_offset(),
                      " bytes=", m.snapshot_data().size(), m.snapshot_done() ? " done" : "");
      break;
    case raft::MSG_SNAP_RESP:
      absl::StrAppend(&out, " offset=", m.snapshot_offset(), m.snapshot_done() ? " installed" : "",
                      m.reject() ? " reject" : "");
      break;
    default:
      break;
  }
  return out;
}

}  // namespace

std::vector<trace::MessagePart> KvTraceDescriber::Describe(int from, int to, absl::string_view bytes) {
  std::vector<trace::MessagePart> parts;
  node::pb::NodeMessage message;
  if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    parts.push_back({0, absl::StrCat("malformed message (", bytes.size(), " bytes)")});
    return parts;
  }
  switch (message.body_case()) {
    case node::pb::NodeMessage::kPeer:
      for (const node::pb::ShardRaftMessage& m : message.peer().messages()) {
        parts.push_back({m.shard(), DescribeRaft(m.message())});
      }
      break;
    case node::pb::NodeMessage::kRequest: {
      const node::pb::ClientRequest& r = message.request();
      const node::pb::Command& c = r.command();
      Request& seen = requests_[{from, r.request_id()}];
      seen.shard = r.shard();
      seen.what = absl::StrCat(OpName(c.op()), " ", c.key());
      parts.push_back({r.shard(), absl::StrCat("request ", r.request_id(), " ", seen.what,
                                               c.op() == node::pb::OP_GET ? "" : absl::StrCat(" seq=", c.sequence()))});
      break;
    }
    case node::pb::NodeMessage::kResponse: {
      const node::pb::ClientResponse& r = message.response();
      auto it = requests_.find({to, r.request_id()});
      const uint64_t shard = it == requests_.end() ? 0 : it->second.shard;
      std::string text = absl::StrCat("reply ", r.request_id(), it == requests_.end() ? "" : " ",
                                      it == requests_.end() ? "" : it->second.what, " ",
                                      CodeName(r.result().code()));
      if (r.result().code() == node::pb::CODE_NOT_LEADER) {
        absl::StrAppend(&text, r.leader_hint() == 0 ? " (leader unknown)" : absl::StrCat(" (leader n", r.leader_hint() - 1, ")"));
      }
      parts.push_back({shard, std::move(text)});
      break;
    }
    default:
      parts.push_back({0, absl::StrCat("empty message (", bytes.size(), " bytes)")});
      break;
  }
  return parts;
}

}  // namespace kv::sim
