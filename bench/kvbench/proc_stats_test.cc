#include "bench/kvbench/proc_stats.h"

#include <unistd.h>

#include "gtest/gtest.h"

namespace kv::bench {
namespace {

TEST(ProcStatsTest, ParsesUtimeAndStimeAfterACommandWithSpaces) {
  // Fields after "(name)": state ppid pgrp session tty tpgid flags minflt
  // cminflt majflt cmajflt utime stime ...
  const std::string stat = "1234 (kv node) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0";
  auto cpu = ParseStatCpuSeconds(stat, 100);
  ASSERT_TRUE(cpu.ok()) << cpu.status();
  EXPECT_DOUBLE_EQ(*cpu, 3.0);
  EXPECT_FALSE(ParseStatCpuSeconds("garbage", 100).ok());
}

TEST(ProcStatsTest, SamplesThisProcess) {
  auto sample = SampleProcess(::getpid());
  ASSERT_TRUE(sample.ok()) << sample.status();
  EXPECT_GT(sample->rss_bytes, 0);
  EXPECT_GE(sample->peak_rss_bytes, sample->rss_bytes);
  EXPECT_FALSE(sample->name.empty());
  EXPECT_FALSE(SampleProcess(0x7ffffff0).ok());
}

}  // namespace
}  // namespace kv::bench
