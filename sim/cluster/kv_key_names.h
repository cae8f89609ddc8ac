#pragma once
// KvKeyNames: the names of every key the simulated clients use, built once
// for all the workloads of a run. Layer: sim (harness).
//
// Client `owner`'s keys are "k<owner>-<key_index>". Every operation names
// one; built per operation (a StrCat, or digits written by hand) or per
// workload (each client building the names it reads, nearly all of them),
// the names showed in the profile, where one table for the run builds each
// once and lets a workload refer to a name instead of copying it.

#include <cstdint>
#include <string>
#include <vector>

#include "node/env/check.h"

namespace kv::sim {

class KvKeyNames {
 public:
  // The names of `client_count` clients' `keys_per_client` keys each.
  // Preconditions: both >= 0.
  KvKeyNames(int client_count, int keys_per_client);
  KvKeyNames(const KvKeyNames&) = delete;
  KvKeyNames& operator=(const KvKeyNames&) = delete;

  // "k<owner>-<key_index>", valid while this table is. Preconditions:
  // owner < client_count(), key_index < keys_per_client(). Inline: every
  // operation names its key.
  const std::string& Name(uint64_t owner, uint64_t key_index) const {
    KV_DCHECK_LT(owner, static_cast<uint64_t>(client_count_));
    KV_DCHECK_LT(key_index, static_cast<uint64_t>(keys_per_client_));
    return names_[owner * static_cast<uint64_t>(keys_per_client_) + key_index];
  }

  int client_count() const { return client_count_; }
  int keys_per_client() const { return keys_per_client_; }

 private:
  int client_count_;
  int keys_per_client_;
  // By owner * keys_per_client + key index.
  std::vector<std::string> names_;
};

}  // namespace kv::sim
