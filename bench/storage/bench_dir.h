#pragma once
// Where the storage benchmarks put their files: a fresh directory under
// $KV_BENCH_DIR (default /tmp, which on our machines is the same disk as the
// build tree), removed afterwards. Layer: bench/.

#include <string>

namespace kv::bench {

class BenchDir {
 public:
  BenchDir();
  ~BenchDir();
  BenchDir(const BenchDir&) = delete;
  BenchDir& operator=(const BenchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace kv::bench
