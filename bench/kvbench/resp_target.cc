#include "bench/kvbench/resp_target.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "node/backend/tcp_network.h"

namespace kv::bench {
namespace {

constexpr env::DurationNs kReconnectDelayNs = 100 * env::kMillisecond;
constexpr env::DurationNs kTimeoutSweepNs = 50 * env::kMillisecond;

// Parses "<digits>\r\n" at `pos` (after a type byte). Returns the position
// after the CRLF, 0 if incomplete, -1 if malformed.
int64_t ParseLineNumber(absl::string_view input, size_t pos, int64_t& value) {
  const size_t end = input.find("\r\n", pos);
  if (end == absl::string_view::npos) return input.size() - pos > 32 ? -1 : 0;
  if (!absl::SimpleAtoi(input.substr(pos, end - pos), &value)) return -1;
  return static_cast<int64_t>(end + 2);
}

}  // namespace

void RespTarget::AppendCommand(std::string& out, std::initializer_list<absl::string_view> args) {
  absl::StrAppend(&out, "*", args.size(), "\r\n");
  for (absl::string_view a : args) absl::StrAppend(&out, "$", a.size(), "\r\n", a, "\r\n");
}

int64_t RespTarget::ParseReply(absl::string_view input, bool& is_error, bool& is_null) {
  if (input.empty()) return 0;
  is_error = false;
  is_null = false;
  switch (input[0]) {
    case '+':
    case '-':
    case ':': {
      is_error = input[0] == '-';
      const size_t end = input.find("\r\n");
      if (end == absl::string_view::npos) return 0;
      return static_cast<int64_t>(end + 2);
    }
    case '$': {
      int64_t length = 0;
      const int64_t after = ParseLineNumber(input, 1, length);
      if (after <= 0) return after;
      if (length < 0) {
        is_null = true;
        return after;
      }
      const int64_t total = after + length + 2;
      if (static_cast<int64_t>(input.size()) < total) return 0;
      if (input.substr(static_cast<size_t>(after + length), 2) != "\r\n") return -1;
      return total;
    }
    case '*': {
      int64_t count = 0;
      int64_t pos = ParseLineNumber(input, 1, count);
      if (pos <= 0) return pos;
      if (count < 0) {
        is_null = true;
        return pos;
      }
      for (int64_t i = 0; i < count; ++i) {
        bool e = false, n = false;
        const int64_t used = ParseReply(input.substr(static_cast<size_t>(pos)), e, n);
        if (used <= 0) return used;
        pos += used;
      }
      return pos;
    }
    default:
      return -1;
  }
}

RespTarget::RespTarget(backend::EventLoop& loop, std::vector<std::string> addresses, int slots,
                       int connections, int64_t timeout_ms)
    : loop_(loop), addresses_(std::move(addresses)), slots_(slots), timeout_ns_(timeout_ms * env::kMillisecond) {
  for (int i = 0; i < connections; ++i) {
    auto c = std::make_unique<Connection>();
    c->index = i;
    connections_.push_back(std::move(c));
  }
  for (auto& c : connections_) Open(*c);
  loop_.AddEndOfTurnHook([this, alive = alive_] {
    if (!*alive) return;
    for (auto& c : connections_) {
      if (c->fd >= 0 && !c->connecting && c->out_offset < c->out.size()) Flush(*c);
    }
  });
  loop_.After(kTimeoutSweepNs, [this, alive = alive_] {
    if (*alive) CheckTimeouts();
  });
}

RespTarget::~RespTarget() {
  *alive_ = false;
  for (auto& c : connections_) {
    if (c->fd >= 0) {
      loop_.Unwatch(c->fd);
      ::close(c->fd);
    }
  }
}

std::string RespTarget::Describe() const {
  std::string list;
  for (const std::string& a : addresses_) absl::StrAppend(&list, list.empty() ? "" : ",", a);
  return absl::StrCat("resp ", list, " (", connections_.size(), " connections, ", slots_, " slots)");
}

void RespTarget::Open(Connection& c) {
  const std::string& address = addresses_[static_cast<size_t>(c.index) % addresses_.size()];
  std::string host;
  int port = 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  if (!backend::ParseAddress(address, host, port).ok() ||
      ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return Fail(c, Outcome::kError, absl::StrCat("bad address ", address));
  }
  addr.sin_port = htons(static_cast<uint16_t>(port));
  c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c.fd < 0) return Fail(c, Outcome::kError, absl::StrCat("socket: ", std::strerror(errno)));
  int one = 1;
  ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  const int rc = ::connect(c.fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  if (rc != 0 && errno != EINPROGRESS) {
    const int error = errno;
    ::close(c.fd);
    c.fd = -1;
    return Fail(c, Outcome::kError, absl::StrCat("connect ", address, ": ", std::strerror(error)));
  }
  c.connecting = rc != 0;
  c.want_write = c.connecting;
  const int index = c.index;
  if (!loop_.Watch(c.fd, c.want_write, [this, index](uint32_t events) { OnReady(index, events); }).ok()) {
    ::close(c.fd);
    c.fd = -1;
    return Fail(c, Outcome::kError, "cannot watch the socket");
  }
}

void RespTarget::Fail(Connection& c, Outcome outcome, absl::string_view why) {
  if (failures_logged_++ < 5) {
    std::fprintf(stderr, "kvbench: connection %d: %.*s\n", c.index, static_cast<int>(why.size()), why.data());
  }
  if (c.fd >= 0) {
    loop_.Unwatch(c.fd);
    ::close(c.fd);
    c.fd = -1;
  }
  c.connecting = false;
  c.out.clear();
  c.out_offset = 0;
  c.in.clear();
  // Answer on a fresh turn: the driver may issue again from `done`.
  std::deque<Pending> failed = std::move(c.in_flight);
  c.in_flight.clear();
  loop_.Post([failed = std::move(failed), outcome]() mutable {
    for (Pending& p : failed) p.done(outcome);
  });
  const int index = c.index;
  loop_.After(kReconnectDelayNs, [this, alive = alive_, index] {
    if (*alive && connections_[static_cast<size_t>(index)]->fd < 0) Open(*connections_[static_cast<size_t>(index)]);
  });
}

void RespTarget::Issue(int slot, OpType op, const std::string& key, const std::string& value, Done done) {
  Connection& c = *connections_[static_cast<size_t>(slot) % connections_.size()];
  if (c.fd < 0) {
    loop_.Post([done = std::move(done)]() mutable { done(Outcome::kError); });
    return;
  }
  if (op == OpType::kGet) {
    AppendCommand(c.out, {"GET", key});
  } else {
    AppendCommand(c.out, {"SET", key, value});
  }
  c.in_flight.push_back(Pending{std::move(done), op, loop_.NowNs()});
}

void RespTarget::Flush(Connection& c) {
  while (c.out_offset < c.out.size()) {
    const ssize_t n = ::send(c.fd, c.out.data() + c.out_offset, c.out.size() - c.out_offset, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (!c.want_write) loop_.SetWantWrite(c.fd, c.want_write = true);
        return;
      }
      return Fail(c, Outcome::kError, absl::StrCat("send: ", std::strerror(errno)));
    }
    c.out_offset += static_cast<size_t>(n);
  }
  c.out.clear();
  c.out_offset = 0;
  if (c.want_write) loop_.SetWantWrite(c.fd, c.want_write = false);
}

void RespTarget::OnReady(int index, uint32_t events) {
  Connection& c = *connections_[static_cast<size_t>(index)];
  if (c.fd < 0) return;
  if (c.connecting) {
    if ((events & (backend::kWritable | backend::kHangup)) == 0) return;
    int error = 0;
    socklen_t length = sizeof(error);
    ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) return Fail(c, Outcome::kError, absl::StrCat("connect: ", std::strerror(error)));
    c.connecting = false;
    Flush(c);
    return;
  }
  if (events & backend::kWritable) {
    Flush(c);
    if (c.fd < 0) return;
  }
  if (events & backend::kReadable) ReadReplies(c);
}

void RespTarget::ReadReplies(Connection& c) {
  char buffer[64 * 1024];
  for (int i = 0; i < 16; ++i) {
    const ssize_t n = ::recv(c.fd, buffer, sizeof(buffer), 0);
    if (n == 0) return Fail(c, Outcome::kError, "closed by the server");
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return Fail(c, Outcome::kError, absl::StrCat("recv: ", std::strerror(errno)));
    }
    c.in.append(buffer, static_cast<size_t>(n));
    if (static_cast<size_t>(n) < sizeof(buffer)) break;
  }
  size_t offset = 0;
  while (offset < c.in.size()) {
    bool is_error = false, is_null = false;
    const int64_t used = ParseReply(absl::string_view(c.in).substr(offset), is_error, is_null);
    if (used == 0) break;
    if (used < 0 || c.in_flight.empty()) {
      c.in.erase(0, offset);
      return Fail(c, Outcome::kError, used < 0 ? "malformed reply" : "reply without a request");
    }
    offset += static_cast<size_t>(used);
    Pending p = std::move(c.in_flight.front());
    c.in_flight.pop_front();
    Outcome outcome = Outcome::kOk;
    if (is_error) {
      outcome = Outcome::kError;
    } else if (is_null) {
      outcome = Outcome::kNotFound;
    }
    p.done(outcome);
    if (c.fd < 0) return;  // `done` cannot close it, but stay safe.
  }
  c.in.erase(0, offset);
}

void RespTarget::CheckTimeouts() {
  const int64_t now = loop_.NowNs();
  for (auto& c : connections_) {
    if (!c->in_flight.empty() && now - c->in_flight.front().sent_ns > timeout_ns_) {
      Fail(*c, Outcome::kTimeout, "request timed out");
    }
  }
  loop_.After(kTimeoutSweepNs, [this, alive = alive_] {
    if (*alive) CheckTimeouts();
  });
}

}  // namespace kv::bench
