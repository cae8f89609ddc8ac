#include "bench/storage/bench_dir.h"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace kv::bench {

BenchDir::BenchDir() {
  const char* base = std::getenv("KV_BENCH_DIR");
  std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/kv_storage_bench_XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) std::abort();
  path_ = pattern;
}

BenchDir::~BenchDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace kv::bench
