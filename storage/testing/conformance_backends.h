#pragma once
// The backends every conformance suite runs against. Layer: storage/ tests.

#include <string>

#include "gtest/gtest.h"
#include "storage/testing/rocks_harness.h"
#include "storage/testing/sim_harness.h"

namespace kv::storage::testing {

using ConformanceBackends = ::testing::Types<SimHarness, RocksHarness>;

// Names typed tests after the backend ("LogStorageConformanceTest/Sim.X").
struct BackendNames {
  template <typename Harness>
  static std::string GetName(int) {
    return Harness::kName;
  }
};

}  // namespace kv::storage::testing
