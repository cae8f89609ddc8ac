#include "node/backend/os_entropy.h"

#include <unistd.h>

#include <random>

namespace kv::backend {

uint64_t OsEntropySeed() {
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) ^ device() ^
         (static_cast<uint64_t>(::getpid()) << 16);
}

}  // namespace kv::backend
