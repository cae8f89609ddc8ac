#include "sim/cluster/kv_trace_observer.h"

#include "absl/strings/str_cat.h"

namespace kv::sim {

KvTraceObserver::KvTraceObserver(KvCluster& cluster, trace::Tracer& tracer)
    : cluster_(cluster), tracer_(tracer), seen_(cluster.server_count()) {}

void KvTraceObserver::Observe() {
  for (int i = 0; i < cluster_.server_count(); ++i) {
    std::map<uint64_t, Seen>& seen = seen_[i];
    const node::KvNode* server = cluster_.server(i);
    if (server == nullptr) {
      seen.clear();
      continue;
    }
    for (const auto& [shard, replica] : server->replicas()) {
      const raft::Raft& r = replica->raft();
      const Seen now{r.role(), r.term(), r.leader_id(), r.log().committed()};
      auto [it, fresh] = seen.try_emplace(shard, now);
      Seen& before = it->second;
      if (fresh || now.role != before.role || now.term != before.term || now.leader != before.leader) {
        trace::TraceEvent e;
        e.kind = trace::TraceKind::kRole;
        e.node = i;
        e.shard = shard;
        e.term = now.term;
        e.text = raft::RoleName(now.role);
        if (now.role != raft::Role::kLeader) {
          e.detail = now.leader == 0 ? "leader=?" : absl::StrCat("leader=n", now.leader - 1);
        }
        tracer_.Record(std::move(e));
      }
      if (fresh ? now.commit > 0 : now.commit > before.commit) {
        trace::TraceEvent e;
        e.kind = trace::TraceKind::kCommit;
        e.node = i;
        e.shard = shard;
        e.index = now.commit;
        tracer_.Record(std::move(e));
      }
      before = now;
    }
  }
}

}  // namespace kv::sim
