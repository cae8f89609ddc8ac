#pragma once
// CheckProperty: runs a rapidcheck property inside a gtest, like
// RC_GTEST_PROP, but with a per-test cap on the number of cases, so that a
// property over a slow backend (RocksDB under ASan) stays fast. RC_PARAMS
// still sets the seed; a failure prints it. Layer: storage/ tests only.

#include <algorithm>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/detail/Configuration.h"

namespace kv::storage::testing {

template <typename Testable>
void CheckProperty(Testable&& testable, int max_success, int max_size = 100) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  rc::detail::TestMetadata metadata;
  metadata.id = std::string(info->test_suite_name()) + "/" + info->name();
  metadata.description = info->name();
  rc::detail::TestParams params = rc::detail::configuration().testParams;
  params.maxSuccess = std::min(params.maxSuccess, max_success);
  params.maxSize = std::min(params.maxSize, max_size);
  const auto result =
      rc::detail::checkTestable(std::forward<Testable>(testable), metadata, params);
  if (!result.template is<rc::detail::SuccessResult>()) {
    std::ostringstream message;
    rc::detail::printResultMessage(result, message);
    FAIL() << message.str();
  }
}

}  // namespace kv::storage::testing
