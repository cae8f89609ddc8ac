#include "sim/cluster/kv_key_names.h"

#include "absl/strings/str_cat.h"
#include "node/env/check.h"

namespace kv::sim {

KvKeyNames::KvKeyNames(int client_count, int keys_per_client)
    : client_count_(client_count), keys_per_client_(keys_per_client) {
  KV_CHECK_GE(client_count, 0);
  KV_CHECK_GE(keys_per_client, 0);
  names_.reserve(static_cast<size_t>(client_count) * static_cast<size_t>(keys_per_client));
  for (int owner = 0; owner < client_count; ++owner) {
    for (int key_index = 0; key_index < keys_per_client; ++key_index) {
      names_.push_back(absl::StrCat("k", owner, "-", key_index));
    }
  }
}

}  // namespace kv::sim
