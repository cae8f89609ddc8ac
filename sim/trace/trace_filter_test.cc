#include "sim/trace/trace_filter.h"

#include <cstdio>
#include <string>

#include "gtest/gtest.h"
#include "sim/trace/text_trace_sink.h"

namespace kv::sim::trace {
namespace {

TEST(TraceFilterTest, ParsesTimesWithUnits) {
  EXPECT_EQ(*ParseTraceTime("3s"), 3'000'000'000);
  EXPECT_EQ(*ParseTraceTime("1.5s"), 1'500'000'000);
  EXPECT_EQ(*ParseTraceTime("0.000001s"), 1'000);
  EXPECT_EQ(*ParseTraceTime("250ms"), 250'000'000);
  EXPECT_EQ(*ParseTraceTime("2.25ms"), 2'250'000);
  EXPECT_EQ(*ParseTraceTime("40us"), 40'000);
  EXPECT_EQ(*ParseTraceTime("100ns"), 100);
  EXPECT_EQ(*ParseTraceTime("12345"), 12'345);
  EXPECT_EQ(*ParseTraceTime("0"), 0);
  for (const char* bad : {"", "s", "3m", "3 s", "-1s", "1.s", ".5s", "1.2.3s", "1.0000000001s", "1e3",
                          "99999999999999999999s", "1.5ns"}) {
    EXPECT_FALSE(ParseTraceTime(bad).ok()) << bad;
  }
}

TEST(TraceFilterTest, ParsesNodes) {
  EXPECT_EQ(*ParseTraceNode("3", 5, 10), 3);
  EXPECT_EQ(*ParseTraceNode("n4", 5, 10), 4);
  EXPECT_EQ(*ParseTraceNode("c0", 5, 10), 5);
  EXPECT_EQ(*ParseTraceNode("c9", 5, 10), 14);
  for (const char* bad : {"5", "n5", "c10", "x1", "", "n", "-1", "+1", "c-1", "1.0"}) {
    EXPECT_FALSE(ParseTraceNode(bad, 5, 10).ok()) << bad;
  }
  EXPECT_NE(std::string(ParseTraceNode("c0", 5, 0).status().message()).find("no clients"), std::string::npos);
}

TEST(TraceFilterTest, FormatsTimeAsSecondsWithMicroseconds) {
  EXPECT_EQ(FormatTraceTime(0), "0.000000s");
  EXPECT_EQ(FormatTraceTime(12'345'678'999), "12.345678s");
}

TraceEvent Message(TraceKind kind, int node, int peer, std::vector<MessagePart> parts) {
  TraceEvent e;
  e.kind = kind;
  e.node = node;
  e.peer = peer;
  e.message_id = 7;
  e.parts = std::move(parts);
  return e;
}

// Runs events through a TextTraceSink with `filter`; returns its output.
std::string Render(const TraceFilter& filter, const std::vector<TraceEvent>& events) {
  char* data = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&data, &size);
  TextTraceSink sink(out, filter);
  TraceLayout layout;
  layout.servers = 3;
  layout.clients = 2;
  sink.Begin(layout);
  for (const TraceEvent& e : events) sink.Record(e);
  EXPECT_TRUE(sink.Finish(9'000'000'000).ok());
  std::fclose(out);
  std::string text(data, size);
  free(data);
  return text;
}

std::vector<TraceEvent> SomeEvents() {
  std::vector<TraceEvent> events;
  TraceEvent batch = Message(TraceKind::kSend, 0, 1, {{1, "MSG_APP term=2"}, {2, "MSG_HEARTBEAT term=3"}});
  batch.time_ns = 1'000'000'000;
  batch.duration_ns = 250'000;
  events.push_back(batch);
  TraceEvent role;
  role.kind = TraceKind::kRole;
  role.time_ns = 2'000'000'000;
  role.node = 2;
  role.shard = 2;
  role.term = 4;
  role.text = "leader";
  events.push_back(role);
  TraceEvent crash;
  crash.kind = TraceKind::kFault;
  crash.fault = FaultAction::kCrash;
  crash.time_ns = 3'000'000'000;
  crash.node = 1;
  events.push_back(crash);
  TraceEvent heal;
  heal.kind = TraceKind::kFault;
  heal.fault = FaultAction::kHeal;
  heal.time_ns = 4'000'000'000;
  events.push_back(heal);
  TraceEvent timer;
  timer.kind = TraceKind::kTimer;
  timer.time_ns = 5'000'000'000;
  timer.node = 3;  // Client c0.
  timer.index = 12;
  events.push_back(timer);
  return events;
}

TEST(TextTraceSinkTest, WritesOneLinePerEventAndPart) {
  const std::string text = Render(TraceFilter{}, SomeEvents());
  EXPECT_NE(text.find("1.000000s n0 send -> n1 s1 MSG_APP term=2 (+0.250ms, msg 7 part 1/2)\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("1.000000s n0 send -> n1 s2 MSG_HEARTBEAT term=3 (+0.250ms, msg 7 part 2/2)\n"),
            std::string::npos);
  EXPECT_NE(text.find("2.000000s n2 s2 role leader term=4\n"), std::string::npos) << text;
  EXPECT_NE(text.find("3.000000s n1 fault crash\n"), std::string::npos) << text;
  EXPECT_NE(text.find("4.000000s * fault heal\n"), std::string::npos) << text;
  EXPECT_NE(text.find("5.000000s c0 timer 12 fires\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# end of trace at 9.000000s: 6 lines"), std::string::npos) << text;
}

TEST(TextTraceSinkTest, FiltersByNodeShardAndTime) {
  TraceFilter shard;
  shard.shard = 2;
  const std::string by_shard = Render(shard, SomeEvents());
  EXPECT_EQ(by_shard.find("MSG_APP"), std::string::npos) << by_shard;
  EXPECT_NE(by_shard.find("MSG_HEARTBEAT"), std::string::npos) << by_shard;
  EXPECT_NE(by_shard.find("role leader"), std::string::npos) << by_shard;
  EXPECT_NE(by_shard.find("fault crash"), std::string::npos) << by_shard;  // Faults are context.
  EXPECT_EQ(by_shard.find("timer"), std::string::npos) << by_shard;

  TraceFilter node;
  node.node = 1;
  const std::string by_node = Render(node, SomeEvents());
  EXPECT_NE(by_node.find("send -> n1"), std::string::npos) << by_node;  // n1 at the other end.
  EXPECT_EQ(by_node.find("role"), std::string::npos) << by_node;
  EXPECT_NE(by_node.find("n1 fault crash"), std::string::npos) << by_node;
  EXPECT_NE(by_node.find("* fault heal"), std::string::npos) << by_node;

  TraceFilter window;
  window.from_ns = 2'000'000'000;
  window.to_ns = 3'000'000'000;
  const std::string by_time = Render(window, SomeEvents());
  EXPECT_NE(by_time.find("role leader"), std::string::npos) << by_time;
  EXPECT_NE(by_time.find("fault crash"), std::string::npos) << by_time;
  EXPECT_EQ(by_time.find("send"), std::string::npos) << by_time;
  EXPECT_EQ(by_time.find("heal"), std::string::npos) << by_time;
}

}  // namespace
}  // namespace kv::sim::trace
