#pragma once
// ClusterFingerprint: a 64-bit digest of what every member of a cluster must
// agree on, sent in the peer hello (node/backend/tcp_network.h) so that a
// node started with a different cluster file is refused as a peer instead
// of having its Raft messages stepped. Layer: node.
//
// Covered, as effective values (a 0 that stands for a default hashes as the
// default, so `virtual_nodes: 128` and an omitted field agree):
// - every node's id and peer_address: who the Raft members are and where
//   each node sends Raft traffic. A node whose file names other members, or
//   the same members at other addresses, is in another cluster. Addresses
//   are compared as written ("localhost:7100" differs from "127.0.0.1:7100").
// - every shard's id and replica set: the Raft groups and their voters
//   (replication factor included). Members that disagree would each step
//   messages for groups the other does not have, or count a quorum over
//   different voters.
// - virtual_nodes: the key -> shard ring. Members with different rings
//   accept a key on a shard whose leader routes it elsewhere.
// - tick_interval_ms, election_ticks, heartbeat_ticks: Raft's timing
//   assumptions are cluster-wide. Check-quorum and lease reads rely on every
//   follower waiting a full election timeout before voting for another
//   leader, and heartbeats must come well within every follower's timeout.
// Left out, because no other member uses them and each node may change its
// own with a restart: client_address, redis_address and metrics_address (a
// node's own listeners; clients and a node's RESP front end read them from
// their own copy of the file, over connections that carry no hello).
// Order that carries no meaning is canonicalized: shards by id, replicas of
// a shard ascending. Node order is fixed by validation (ids dense from 0,
// in order), so it is the id order.
//
// The encoding is versioned and every string and list is length-prefixed, so
// distinct configurations give distinct inputs to StableHash64. Changing the
// encoding changes every cluster's fingerprint, which refuses a rolling
// upgrade between the versions: cluster_fingerprint_test pins a value.

#include <cstdint>
#include <string>

#include "node/kv/cluster_config.h"

namespace kv::node {

// The canonical bytes that ClusterFingerprint hashes (for tests and for
// anyone reproducing a fingerprint by hand).
std::string ClusterFingerprintInput(const Cluster& cluster);

// StableHash64 of ClusterFingerprintInput(cluster): the same in every
// process, build and machine.
uint64_t ClusterFingerprint(const Cluster& cluster);

// `fingerprint` as 16 lowercase hex digits, zero padded: how logs, metrics
// and kvctl show it.
std::string FormatClusterFingerprint(uint64_t fingerprint);

}  // namespace kv::node
