#include "node/redis/redis_tcp_server.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "node/backend/backend_log.h"

namespace kv::redis {
namespace {

constexpr size_t kMaxBufferedInputBytes = 8 << 20;
// Parsed commands queued per connection; a pipeline beyond this stays in
// the input buffer and the connection stops being read (back-pressure).
constexpr size_t kMaxPendingCommands = 128;

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
      alive_(std::make_shared<bool>(true)) {}

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
      server_.Reply(id, RespError(absl::StrCat("ERR Protocol error: ", parsed.status().message())), true);
      input.clear();
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
  for (const auto& [id, session] : sessions_) count += session->busy ? 1 : 0;
  return count;
}

int64_t RedisTcpServer::queued_output_bytes() const {
  return static_cast<int64_t>(server_.queued_output_bytes());
}

void RedisTcpServer::Pump(uint64_t id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  Session& session = *it->second;
  if (session.busy || session.pending.empty()) return;
  if (draining_) {
    for (size_t i = 0; i < session.pending.size(); ++i) {
      server_.Reply(id, RespError("ERR node is shutting down; use another node"));
      ++requests_[{"any", "shutting_down"}];
    }
    session.pending.clear();
    return;
  }
  std::vector<std::string> args = std::move(session.pending.front());
  session.pending.pop_front();
  session.busy = true;
  Execute(id, session, std::move(args));
}

void RedisTcpServer::Finish(uint64_t id, const std::string& command, std::string reply,
                            absl::string_view outcome, env::TimeNs start_ns) {
  ++requests_[{command, std::string(outcome)}];
  auto [h, unused] = latency_ns_.try_emplace(command, 10 * env::kMicrosecond, 2, 20);
  h->second.Observe(loop_.NowNs() - start_ns);
  const bool quit = command == "quit";
  server_.Reply(id, reply, quit);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  it->second->busy = false;
  // Run the next queued command on a fresh turn, so a pipeline of local
  // commands cannot recurse without bound; with the queue half empty, take
  // more of the buffered input (and resume reading a paused connection).
  loop_.Post([this, alive = alive_, id] {
    if (!*alive) return;
    auto session = sessions_.find(id);
    if (session != sessions_.end() && session->second->pending.size() <= kMaxPendingCommands / 2) {
      server_.Redeliver(id);
    }
    Pump(id);
  });
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

void RedisTcpServer::Execute(uint64_t id, Session& session, std::vector<std::string> args) {
  const env::TimeNs start = loop_.NowNs();
  std::string command = absl::AsciiStrToLower(args[0]);
  auto done = [this, id, command, start](std::string reply, absl::string_view outcome) {
    Finish(id, command, std::move(reply), outcome, start);
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
  Finish(id, "unknown", RespError(absl::StrCat("ERR unknown command '", args[0], "'")), "error",
         start);
}

std::string RedisTcpServer::RenderMetrics() const {
  metrics::PrometheusWriter w;
  w.Counter("kv_redis_read_pauses_total",
            "Times a Redis connection stopped being read (back-pressure: 128 queued commands or 1 MiB of unread replies).",
            "", server_.read_pauses());
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
