#pragma once
// OsEntropySeed: a seed for a real node's env::Random from the operating
// system. Layer: node/backend (real nodes only: the simulator derives every
// stream from its run seed, and must never call this).

#include <cstdint>

namespace kv::backend {

// Returns 64 bits from std::random_device, mixed with the process id so
// that two nodes started in the same instant still differ.
uint64_t OsEntropySeed();

}  // namespace kv::backend
