#include "node/redis/redis_tcp_server.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "node/backend/backend_log.h"
#include "node/env/check.h"

namespace kv::redis {
namespace {

constexpr size_t kMaxBufferedInputBytes = 8 << 20;
// Parsed commands queued per connection; a pipeline beyond this stays in
// the input buffer and the connection stops being read (back-pressure).
constexpr size_t kMaxPendingCommands = 128;
// The longest unknown command name echoed in its error reply.
constexpr size_t kMaxEchoedNameBytes = 128;

std::string ErrorFor(const absl::Status& status) {
  return RespError(absl::StrCat("ERR ", absl::StatusCodeToString(status.code()), ": ", status.message()));
}

}  // namespace

RedisTcpServer::RedisTcpServer(backend::EventLoop& loop, env::MemoryBudget& budget,
                               const node::Cluster& cluster, env::Random& random)
    : loop_(loop),
      budget_(budget),
      cluster_(cluster),
      random_(random),
      server_(loop, "redis", kMaxBufferedInputBytes,
              [this](uint64_t id, std::string& input) { OnData(id, input); },
              [this](uint64_t id) { OnClose(id); }),
      alive_(std::make_shared<bool>(true)) {
  // A client may pipeline commands and shut its sending side at once
  // (`printf ... | nc -N`): the commands still queued or running are owed
  // their replies before the connection closes.
  // The documented answer to a request beyond the buffer (docs/operating.md):
  // once the connection closed without one.
  server_.SetOversizedInputReply(RespError(absl::StrCat(
      "ERR Protocol error: request larger than ", kMaxBufferedInputBytes, " bytes")));
  server_.SetOwesReplies([this](uint64_t id) {
    auto it = sessions_.find(id);
    return it != sessions_.end() && (!it->second->pending.empty() || !it->second->running.empty() ||
                                     !it->second->protocol_error_reply.empty());
  });
}

RedisTcpServer::~RedisTcpServer() {
  *alive_ = false;
  sessions_.clear();
  parked_.clear();
}

void RedisTcpServer::OnClose(uint64_t id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  // A call in flight holds a callback into this session: park the session
  // until the loop's next turn instead of destroying the client inside its
  // own network callback.
  parked_.push_back(std::move(it->second));
  sessions_.erase(it);
  loop_.Post([this, alive = alive_] {
    if (*alive) parked_.clear();
  });
}

void RedisTcpServer::OnData(uint64_t id, std::string& input) {
  auto [it, inserted] = sessions_.try_emplace(id, nullptr);
  if (inserted) it->second = std::make_unique<Session>();
  Session& session = *it->second;
  if (!session.protocol_error_reply.empty()) {
    // Nothing after a protocol error runs; the reply waits for the commands
    // before it (Pump).
    input.clear();
    server_.PauseInput(id);
    return;
  }
  size_t offset = 0;
  while (offset < input.size()) {
    if (session.pending.size() >= kMaxPendingCommands) {
      server_.PauseInput(id);  // Redeliver()ed once the queue drains.
      break;
    }
    size_t consumed = 0;
    auto parsed = ParseRespRequest(absl::string_view(input).substr(offset), limits_, consumed);
    if (!parsed.ok()) {
      backend::Log(backend::LogLevel::kWarn, "redis",
                   absl::StrCat("protocol error, closing: ", parsed.status().message()));
      ++requests_[{"protocol", "error"}];
      // The commands parsed before the error are answered first, in order:
      // replying at once sent the error ahead of them and closed the
      // connection before their replies.
      session.protocol_error_reply = RespError(absl::StrCat("ERR Protocol error: ", parsed.status().message()));
      input.clear();
      server_.PauseInput(id);
      Pump(id);
      return;
    }
    if (!parsed->has_value()) break;
    offset += consumed;
    if (!(*parsed)->empty()) session.pending.push_back(std::move(**parsed));
  }
  input.erase(0, offset);
  Pump(id);
}

size_t RedisTcpServer::busy_sessions() const {
  size_t count = 0;
  for (const auto& [id, session] : sessions_) count += session->running.empty() ? 0 : 1;
  return count;
}

int64_t RedisTcpServer::queued_output_bytes() const {
  return static_cast<int64_t>(server_.queued_output_bytes());
}

void RedisTcpServer::Pump(uint64_t id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  Session& session = *it->second;
  if (draining_) {
    // Answered after the running commands, to keep the replies in order.
    if (!session.running.empty()) return;
    for (size_t i = 0; i < session.pending.size(); ++i) {
      server_.Reply(id, RespError("ERR node is shutting down; use another node"));
      ++requests_[{"any", "shutting_down"}];
    }
    session.pending.clear();
    MaybeSendProtocolError(id, session);
    return;
  }
  while (!session.pending.empty()) {
    const std::vector<std::string>& next = session.pending.front();
    const bool is_read = next.size() == 2 && absl::EqualsIgnoreCase(next[0], "get");
    // A read joins running reads; anything else waits for the connection
    // to be idle, and once it runs nothing else starts.
    const bool may_start = session.running.empty() ||
                           (is_read && session.running.back().is_read &&
                            session.running.size() < kMaxConcurrentReads);
    if (!may_start) break;
    std::vector<std::string> args = std::move(session.pending.front());
    session.pending.pop_front();
    const uint64_t seq = session.first_running_seq + session.running.size();
    session.running.emplace_back().is_read = is_read;
    running_peak_ = std::max(running_peak_, session.running.size());
    // Execute may finish the command before returning (local commands do),
    // and Finish sends its reply; Finish never starts commands itself.
    Execute(id, session, seq, std::move(args));
    if (sessions_.find(id) == sessions_.end()) return;
  }
  MaybeSendProtocolError(id, session);
}

void RedisTcpServer::MaybeSendProtocolError(uint64_t id, Session& session) {
  if (session.protocol_error_reply.empty() || !session.pending.empty() || !session.running.empty()) return;
  // Sent once; the close after it drops whatever the client sends meanwhile.
  server_.Reply(id, session.protocol_error_reply, /*close_after=*/true);
  session.protocol_error_reply.clear();
}

void RedisTcpServer::Finish(uint64_t id, uint64_t seq, const std::string& command, std::string reply,
                            absl::string_view outcome, env::TimeNs start_ns) {
  ++requests_[{command, std::string(outcome)}];
  auto [h, unused] = latency_ns_.try_emplace(command, 10 * env::kMicrosecond, 2, 20);
  h->second.Observe(loop_.NowNs() - start_ns);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;  // Closed: nobody to answer.
  Session& session = *it->second;
  KV_CHECK_GE(seq, session.first_running_seq);
  KV_CHECK_LT(seq - session.first_running_seq, session.running.size());
  Running& running = session.running[seq - session.first_running_seq];
  running.done = true;
  running.close_after = command == "quit";
  running.reply = std::move(reply);
  SendFinishedReplies(id, session);
  if (!session.running.empty()) return;
  // Idle: start the next queued commands on a fresh turn, so a pipeline of
  // local commands cannot recurse without bound; with the queue half empty,
  // take more of the buffered input (and resume reading a paused
  // connection).
  loop_.Post([this, alive = alive_, id] {
    if (!*alive) return;
    auto session = sessions_.find(id);
    if (session != sessions_.end() && session->second->pending.size() <= kMaxPendingCommands / 2) {
      server_.Redeliver(id);
    }
    Pump(id);
  });
}

void RedisTcpServer::SendFinishedReplies(uint64_t id, Session& session) {
  while (!session.running.empty() && session.running.front().done) {
    Running& front = session.running.front();
    server_.Reply(id, front.reply, front.close_after);
    session.running.pop_front();
    ++session.first_running_seq;
  }
}

node::KvClient& RedisTcpServer::ClientOf(Session& session) {
  if (session.client == nullptr) {
    backend::TcpNetworkOptions o;
    o.self = backend::kFirstClientId - 1;  // Not used as an address: replies come back on our connections.
    o.send_hello = false;
    for (const auto& node : cluster_.config().nodes()) o.peers[node.id()] = node.client_address();
    o.max_queued_bytes_per_connection = 8 << 20;
    session.network = std::make_unique<backend::TcpNetwork>(loop_, budget_, o);
    session.env = std::make_unique<env::Env>(env::Env{loop_, *session.network, loop_, random_, budget_});
    session.client = std::make_unique<node::KvClient>(*session.env, cluster_, random_.Next64(),
                                                      node::KvClientOptions());
    session.client->Start();
  }
  return *session.client;
}

void RedisTcpServer::Execute(uint64_t id, Session& session, uint64_t seq, std::vector<std::string> args) {
  const env::TimeNs start = loop_.NowNs();
  std::string command = absl::AsciiStrToLower(args[0]);
  auto done = [this, id, seq, command, start](std::string reply, absl::string_view outcome) {
    Finish(id, seq, command, std::move(reply), outcome, start);
  };
  auto arity_error = [&] {
    done(RespError(absl::StrCat("ERR wrong number of arguments for '", command, "' command")), "error");
  };
  if (command == "ping") {
    if (args.size() > 2) return arity_error();
    return done(args.size() == 2 ? RespBulk(args[1]) : RespSimple("PONG"), "ok");
  }
  if (command == "echo") {
    if (args.size() != 2) return arity_error();
    return done(RespBulk(args[1]), "ok");
  }
  if (command == "quit") return done(RespSimple("OK"), "ok");
  if (command == "select") {
    if (args.size() != 2) return arity_error();
    return done(args[1] == "0" ? RespSimple("OK") : RespError("ERR DB index is out of range"),
                args[1] == "0" ? "ok" : "error");
  }
  if (command == "client") return done(RespSimple("OK"), "ok");
  if (command == "command") return done(RespArrayHeader(0), "ok");
  if (command == "info") {
    return done(RespBulk("# Server\r\nredis_version:7.0.0\r\nredis_mode:standalone\r\n"), "ok");
  }
  if (command == "config") {
    // redis-benchmark reads "save" and "appendonly"; answer every GET with
    // empty values so it proceeds.
    if (args.size() < 3 || absl::AsciiStrToLower(args[1]) != "get") {
      return done(RespError("ERR only CONFIG GET is supported"), "error");
    }
    std::string reply = RespArrayHeader(static_cast<int64_t>(2 * (args.size() - 2)));
    for (size_t i = 2; i < args.size(); ++i) reply += RespBulk(args[i]) + RespBulk("");
    return done(reply, "ok");
  }
  if (command == "get") {
    if (args.size() != 2) return arity_error();
    return ClientOf(session).Get(args[1], [done](absl::StatusOr<node::pb::Result> r) {
      if (!r.ok()) return done(ErrorFor(r.status()), "error");
      if (r->code() == node::pb::CODE_NOT_FOUND) return done(RespNull(), "not_found");
      if (r->code() != node::pb::CODE_OK) return done(RespError("ERR unavailable"), "error");
      done(RespBulk(r->value()), "ok");
    });
  }
  if (command == "set") {
    if (args.size() != 3) {
      return done(RespError("ERR only SET key value is supported (no options)"), "error");
    }
    return ClientOf(session).Put(args[1], args[2], [done](absl::StatusOr<node::pb::Result> r) {
      if (!r.ok()) return done(ErrorFor(r.status()), "error");
      if (r->code() != node::pb::CODE_OK) return done(RespError("ERR write refused"), "error");
      done(RespSimple("OK"), "ok");
    });
  }
  if (command == "del") {
    if (args.size() < 2) return arity_error();
    // Keys are deleted one after another; the reply counts those that existed.
    struct State {
      std::vector<std::string> keys;
      size_t next = 0;
      int64_t deleted = 0;
    };
    auto state = std::make_shared<State>();
    state->keys.assign(args.begin() + 1, args.end());
    node::KvClient* client = &ClientOf(session);
    auto step = std::make_shared<absl::AnyInvocable<void()>>();
    *step = [state, client, done, step, alive = alive_]() mutable {
      if (state->next == state->keys.size()) {
        auto finish = std::move(done);
        step.reset();  // Break the self-reference.
        return finish(RespInteger(state->deleted), "ok");
      }
      client->Delete(state->keys[state->next++],
                     [state, step, done, alive](absl::StatusOr<node::pb::Result> r) mutable {
                       if (!*alive) return;
                       if (!r.ok()) return done(ErrorFor(r.status()), "error");
                       if (r->code() == node::pb::CODE_OK) ++state->deleted;
                       (*step)();
                     });
    };
    return (*step)();
  }
  // Unknown names are counted under one label, so clients cannot grow the
  // metrics without bound.
  // Its name is echoed as Redis does, cut to 128 bytes: a client's 2 MiB
  // name need not come back whole.
  Finish(id, seq, "unknown",
         RespError(absl::StrCat("ERR unknown command '", absl::string_view(args[0]).substr(0, kMaxEchoedNameBytes),
                                "'")),
         "error", start);
}

std::string RedisTcpServer::RenderMetrics() const {
  metrics::PrometheusWriter w;
  w.Counter("kv_redis_read_pauses_total",
            "Times a Redis connection stopped being read (back-pressure: 128 queued commands or 1 MiB of unread replies).",
            "", server_.read_pauses());
  w.Gauge("kv_redis_running_commands_peak",
          "Most commands one Redis connection has had running at once (pipelined GETs run together, up to 32).",
          "", static_cast<int64_t>(running_peak_));
  for (const auto& [key, count] : requests_) {
    w.Counter("kv_redis_requests_total", "RESP requests by command and outcome.",
              absl::StrCat("command=\"", metrics::EscapeLabelValue(key.first), "\",outcome=\"",
                           key.second, "\""),
              count);
  }
  for (const auto& [command, histogram] : latency_ns_) {
    w.WriteHistogram("kv_redis_request_duration_seconds", "RESP request latency by command.",
                     absl::StrCat("command=\"", metrics::EscapeLabelValue(command), "\""), histogram,
                     1e9);
  }
  return w.text();
}

}  // namespace kv::redis
