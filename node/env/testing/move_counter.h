#pragma once
// MoveCounter: a test value that counts the copies and moves made of it,
// wherever it goes; a lambda that captures one is moved or copied as often
// as the lambda. Used by the tests of in-place callbacks (node/env, sim).

namespace kv::env::testing {

struct MoveCounter {
  int* moves;
  explicit MoveCounter(int* counter) : moves(counter) {}
  MoveCounter(const MoveCounter& other) : moves(other.moves) { ++*moves; }
  MoveCounter(MoveCounter&& other) noexcept : moves(other.moves) { ++*moves; }
  MoveCounter& operator=(const MoveCounter&) = delete;
  MoveCounter& operator=(MoveCounter&&) = delete;
};

}  // namespace kv::env::testing
