#include "sim/trace/chrome_trace_sink.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sim/trace/tiny_json_for_tests.h"

namespace kv::sim::trace {
namespace {

using ::kv::sim::testing::Json;
using ::kv::sim::testing::JsonParser;

// Feeds `events` to a ChromeTraceSink and parses what it wrote.
Json Render(const std::vector<TraceEvent>& events, size_t max_messages, env::TimeNs end_ns) {
  char* data = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&data, &size);
  ChromeTraceSink sink(out, max_messages);
  TraceLayout layout;
  layout.seed = 7;
  layout.servers = 3;
  layout.clients = 1;
  sink.Begin(layout);
  for (const TraceEvent& e : events) sink.Record(e);
  EXPECT_TRUE(sink.Finish(end_ns).ok());
  std::fclose(out);
  const std::string text(data, size);
  free(data);
  JsonParser parser;
  std::optional<Json> doc = parser.Parse(text);
  EXPECT_TRUE(doc.has_value()) << parser.error() << "\n" << text.substr(0, 2000);
  return doc.value_or(Json{});
}

std::vector<const Json*> Events(const Json& doc, const std::string& ph) {
  std::vector<const Json*> out;
  const Json* events = doc.Get("traceEvents");
  if (events == nullptr) return out;
  for (const Json& e : events->array) {
    if (e.StringOr("ph", "") == ph) out.push_back(&e);
  }
  return out;
}

TraceEvent Send(uint64_t id, env::TimeNs t) {
  TraceEvent e;
  e.kind = TraceKind::kSend;
  e.time_ns = t;
  e.node = static_cast<int>(id % 3);
  e.peer = static_cast<int>((id + 1) % 3);
  e.message_id = id;
  e.parts = {{1, "MSG_APP term=1"}};
  return e;
}

TEST(ChromeTraceSinkTest, SamplesMessagesEvenlyPastTheCap) {
  std::vector<TraceEvent> events;
  for (uint64_t id = 1; id <= 1000; ++id) {
    events.push_back(Send(id, static_cast<env::TimeNs>(id) * 1000));
    TraceEvent d = events.back();
    d.kind = TraceKind::kDeliver;
    std::swap(d.node, d.peer);
    d.time_ns += 500;
    events.push_back(d);
  }
  const Json doc = Render(events, 100, 2'000'000);
  std::vector<double> sent_ids;
  int received = 0;
  for (const Json* e : Events(doc, "X")) {
    if (e->Get("flow_out") != nullptr) sent_ids.push_back(e->NumberOr("bind_id", 0));
    if (e->Get("flow_in") != nullptr) ++received;
  }
  // 1000 messages, at most 100 drawn: 1 in 16 (62 of them), spread over the run.
  EXPECT_EQ(sent_ids.size(), 62u);
  EXPECT_EQ(received, 62);
  for (double id : sent_ids) EXPECT_EQ(static_cast<uint64_t>(id) % 16, 0u) << id;
  const Json* metadata = doc.Get("metadata");
  ASSERT_NE(metadata, nullptr);
  EXPECT_EQ(metadata->NumberOr("messages_total", 0), 1000);
  EXPECT_EQ(metadata->NumberOr("messages_drawn", 0), 62);
  EXPECT_EQ(metadata->StringOr("message_sampling", ""), "1000 messages; drawn: 1 in 16 by id (62), to stay within 100");
}

TEST(ChromeTraceSinkTest, SpansRolesFaultsAndClientOperations) {
  std::vector<TraceEvent> events;
  auto role = [&](env::TimeNs t, int node, const char* name, uint64_t term) {
    TraceEvent e;
    e.kind = TraceKind::kRole;
    e.time_ns = t;
    e.node = node;
    e.shard = 2;
    e.term = term;
    e.text = name;
    events.push_back(e);
  };
  auto fault = [&](env::TimeNs t, int node, FaultAction action, const char* text, env::DurationNs d = 0) {
    TraceEvent e;
    e.kind = TraceKind::kFault;
    e.time_ns = t;
    e.node = node;
    e.fault = action;
    e.text = text;
    e.duration_ns = d;
    events.push_back(e);
  };
  role(0, 1, "follower", 0);
  role(1'000'000, 1, "leader", 1);
  fault(2'000'000, -1, FaultAction::kPartition, "halves {0} | {1,2}");
  fault(3'000'000, 1, FaultAction::kPause, "", 5'000'000);
  fault(4'000'000, 1, FaultAction::kCrash, "");  // Ends the pause and the role early.
  fault(6'000'000, -1, FaultAction::kHeal, "");
  fault(7'000'000, 1, FaultAction::kRestart, "");
  role(7'000'000, 1, "follower", 1);  // Open until the end.
  TraceEvent call;
  call.kind = TraceKind::kClientCall;
  call.time_ns = 8'000'000;
  call.node = 3;  // Client c0.
  call.shard = 2;
  call.text = "PUT k0-1";
  events.push_back(call);
  TraceEvent reply = call;
  reply.kind = TraceKind::kClientReply;
  reply.time_ns = 9'500'000;
  reply.duration_ns = 1'500'000;
  reply.detail = "OK";
  events.push_back(reply);

  const Json doc = Render(events, 100, 10'000'000);
  std::map<std::string, std::pair<double, double>> spans;  // Name -> (ts, dur) in us.
  for (const Json* e : Events(doc, "X")) spans[e->StringOr("name", "")] = {e->NumberOr("ts", -1), e->NumberOr("dur", -1)};
  EXPECT_EQ(spans["follower (term 0)"], std::make_pair(0.0, 1000.0));
  EXPECT_EQ(spans["leader (term 1)"], std::make_pair(1000.0, 3000.0));     // Ended by the crash.
  EXPECT_EQ(spans["paused"], std::make_pair(3000.0, 1000.0));              // Cut short by the crash.
  EXPECT_EQ(spans["down (crash)"], std::make_pair(4000.0, 3000.0));
  EXPECT_EQ(spans["partition halves {0} | {1,2}"], std::make_pair(2000.0, 4000.0));
  EXPECT_EQ(spans["follower (term 1)"], std::make_pair(7000.0, 3000.0));   // Closed at the end.
  EXPECT_EQ(spans["PUT k0-1"], std::make_pair(8000.0, 1500.0));
  std::map<std::string, int> threads;
  for (const Json* e : Events(doc, "M")) {
    if (e->StringOr("name", "") == "thread_name") ++threads[e->Get("args")->StringOr("name", "")];
  }
  for (const char* t : {"shard 2", "process", "partitions", "c0 operations"}) EXPECT_EQ(threads[t], 1) << t;
}

}  // namespace
}  // namespace kv::sim::trace
