// The default stream-socket implementation of EventLoop: wait for readiness
// (epoll, or io_uring poll requests in the fallback mode), then call accept4,
// connect, recv and send. Layer: node/backend (real nodes only).
//
// One Stream per socket fd holds the callbacks and the write in progress;
// one Watch per fd dispatches to them. Completions that are known at once
// (a send that wrote everything) are deferred to the next turn, so callbacks
// never run inside the call that started the operation.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>

#include "node/backend/event_loop.h"
#include "node/env/check.h"

namespace kv::backend {


EventLoop::Stream* EventLoop::StreamOf(int fd) {
  auto it = streams_.find(fd);
  if (it != streams_.end()) return it->second.get();
  auto stream = std::make_unique<Stream>();
  stream->generation = next_stream_generation_++;
  const uint64_t generation = stream->generation;
  Stream* raw = stream.get();
  streams_[fd] = std::move(stream);
  // Interest starts empty; UpdateStreamInterest sets it per operation.
  absl::Status s = Watch(fd, false, [this, fd, generation](uint32_t events) {
    OnStreamReady(fd, generation, events);
  });
  KV_CHECK(s.ok());
  SetInterest(fd, false, false);
  return raw;
}

bool EventLoop::AcceptFailedForResources(int error) {
  return error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM;
}

void EventLoop::PauseAccepting(int fd, Stream& stream) {
  stream.accept_paused = true;
  UpdateStreamInterest(fd, stream);
  After(kAcceptBackoffNs, [this, fd, generation = stream.generation] {
    auto it = streams_.find(fd);
    if (it == streams_.end() || it->second->generation != generation) return;  // Closed since.
    it->second->accept_paused = false;
    UpdateStreamInterest(fd, *it->second);
  });
}

void EventLoop::UpdateStreamInterest(int fd, Stream& stream) {
  const bool want_read = stream.reading || (stream.on_accepted != nullptr && !stream.accept_paused);
  const bool want_write = stream.connecting || stream.writing;
  SetInterest(fd, want_read, want_write);
}

void EventLoop::AcceptOn(int listen_fd, OnAccepted on_accepted) {
  Stream* stream = StreamOf(listen_fd);
  stream->on_accepted = std::move(on_accepted);
  UpdateStreamInterest(listen_fd, *stream);
}

void EventLoop::ConnectSocket(int fd, const sockaddr_in& address, OnConnected on_connected) {
  Stream* stream = StreamOf(fd);
  stream->on_connected = std::move(on_connected);
  const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address));
  const int error = rc == 0 ? 0 : errno;
  if (error == EINPROGRESS) {
    stream->connecting = true;
    UpdateStreamInterest(fd, *stream);
    return;
  }
  // Known at once (loopback may connect synchronously, or fail): post it.
  const uint64_t generation = stream->generation;
  Defer([this, fd, generation, error] {
    auto it = streams_.find(fd);
    if (it == streams_.end() || it->second->generation != generation) return;
    OnConnected done = std::move(it->second->on_connected);
    if (done) done(error);
  });
}

void EventLoop::ReadFrom(int fd, OnRead on_read) {
  Stream* stream = StreamOf(fd);
  KV_CHECK(stream->on_read == nullptr);
  stream->on_read = std::move(on_read);
  stream->reading = true;
  UpdateStreamInterest(fd, *stream);
}

void EventLoop::ResumeReading(int fd) {
  auto it = streams_.find(fd);
  if (it == streams_.end() || it->second->on_read == nullptr || it->second->reading) return;
  it->second->reading = true;
  UpdateStreamInterest(fd, *it->second);
}

void EventLoop::WriteTo(int fd, std::string bytes, OnWritten on_written) {
  Stream* stream = StreamOf(fd);
  KV_CHECK(!stream->writing);
  stream->out = std::move(bytes);
  stream->out_offset = 0;
  stream->on_written = std::move(on_written);
  stream->writing = true;
  // Try at once: most writes fit the socket buffer, and waiting for
  // writability first would cost a turn per write.
  StreamWrite(fd, *stream);
}

void EventLoop::StreamWrite(int fd, Stream& stream) {
  int error = 0;
  while (stream.out_offset < stream.out.size()) {
    const ssize_t n = ::send(fd, stream.out.data() + stream.out_offset,
                             stream.out.size() - stream.out_offset, MSG_NOSIGNAL);
    if (n >= 0) {
      stream.out_offset += static_cast<size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      UpdateStreamInterest(fd, stream);  // Wait for room.
      return;
    }
    error = errno;
    break;
  }
  stream.writing = false;
  stream.out.clear();
  stream.out_offset = 0;
  UpdateStreamInterest(fd, stream);
  const uint64_t generation = stream.generation;
  Defer([this, fd, generation, error] {
    auto it = streams_.find(fd);
    if (it == streams_.end() || it->second->generation != generation) return;
    OnWritten done = std::move(it->second->on_written);
    if (done) done(error);
  });
}

void EventLoop::StreamRead(int fd, Stream& stream) {
  // One buffer per loop serves every socket: bytes are valid only during on_read.
  if (stream_read_buffer_ == nullptr) stream_read_buffer_ = std::make_unique<char[]>(kStreamReadChunkBytes);
  char* buffer = stream_read_buffer_.get();
  const uint64_t generation = stream.generation;
  // A bounded number of reads per turn keeps one busy socket from starving the rest.
  for (int i = 0; i < 16; ++i) {
    const ssize_t n = ::recv(fd, buffer, kStreamReadChunkBytes, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    const int error = n < 0 ? errno : 0;
    const absl::string_view bytes(buffer, n > 0 ? static_cast<size_t>(n) : 0);
    if (n <= 0) stream.reading = false;  // End of stream or error: reading is over.
    const bool more = stream.on_read(bytes, error);
    // The callback may have closed the socket (then `stream` is parked
    // until the turn ends and must not be touched through the map again).
    auto it = streams_.find(fd);
    if (it == streams_.end() || it->second->generation != generation) return;
    if (n <= 0) {
      UpdateStreamInterest(fd, stream);
      return;
    }
    if (!more) {
      stream.reading = false;
      UpdateStreamInterest(fd, stream);
      return;
    }
  }
}

void EventLoop::OnStreamReady(int fd, uint64_t generation, uint32_t events) {
  auto it = streams_.find(fd);
  if (it == streams_.end() || it->second->generation != generation) return;
  Stream& stream = *it->second;
  if (stream.on_accepted != nullptr) {
    for (int i = 0; i < 64; ++i) {
      const int accepted = ::accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (accepted < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      const int result = accepted >= 0 ? accepted : -errno;
      stream.on_accepted(result);
      auto again = streams_.find(fd);
      if (again == streams_.end() || again->second->generation != generation) return;
      if (result < 0) {
        if (AcceptFailedForResources(-result)) PauseAccepting(fd, stream);
        return;
      }
    }
    return;
  }
  if (stream.connecting) {
    if ((events & (kWritable | kHangup)) == 0) return;
    int error = 0;
    socklen_t length = sizeof(error);
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
    stream.connecting = false;
    UpdateStreamInterest(fd, stream);
    OnConnected done = std::move(stream.on_connected);
    done(error);
    return;
  }
  if (stream.writing && (events & (kWritable | kHangup))) {
    StreamWrite(fd, stream);
    auto again = streams_.find(fd);
    if (again == streams_.end() || again->second->generation != generation) return;
  }
  if (stream.reading && (events & kReadable)) {
    StreamRead(fd, stream);
    return;
  }
  if ((events & kHangup) && !stream.reading && !stream.writing && stream.on_read != nullptr) {
    // Paused, and the connection is gone (hang-ups and errors are reported
    // whatever the interest): end the stream with an error now, and stop
    // watching so it cannot wake every turn until the owner closes it.
    OnRead on_read = std::move(stream.on_read);
    stream.on_read = [](absl::string_view, int) { return false; };
    Unwatch(fd);
    on_read(absl::string_view(), ECONNRESET);
  }
}

void EventLoop::CloseSocket(int fd) {
  auto it = streams_.find(fd);
  if (it != streams_.end()) {
    closed_streams_.push_back(std::move(it->second));
    streams_.erase(it);
    Unwatch(fd);
  }
  ::close(fd);
}

}  // namespace kv::backend
