// What every fuzz target shares (docs/fuzzing.md): a check that stops the fuzzer on a
// broken property, and fuzzer-chosen chunk sizes for parsers that take a byte stream.
// The targets build twice: with clang and -fsanitize=fuzzer (the fuzz preset, scripts/fuzz)
// and with the normal compiler, linked with replay_main.cpp, which runs the committed
// corpus and regressions through them in ctest (label fuzz).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

// A property that must hold for every input. __builtin_trap, not HOPCOST_CHECK: the fuzzer
// reports a trap as a crash with the input, and the replay fails on it alike.
#define FUZZ_CHECK(cond) \
  do {                   \
    if (!(cond)) __builtin_trap(); \
  } while (0)

namespace hopcost::fuzz {

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Chunk sizes from a seed the input carries (its first bytes), so that the same input
// splits the same way every time and the fuzzer can change the split without touching
// the bytes that follow. Sizes are 1 to `max` (at least 1).
class Chunks {
 public:
  Chunks(uint32_t seed, size_t max) : state_(seed * 2654435761u + 1), max_(max == 0 ? 1 : max) {}
  size_t next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 17;
    state_ ^= state_ << 5;
    return 1 + state_ % max_;
  }

 private:
  uint32_t state_;
  size_t max_;
};

// The first bytes of an input as a header: `take(n)` reads up to n bytes big-endian
// (missing bytes read as zero) and leaves the rest as the payload.
class Header {
 public:
  Header(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint32_t take(size_t n) {
    uint32_t v = 0;
    for (size_t i = 0; i < n; ++i) v = v << 8 | (pos_ < size_ ? data_[pos_++] : 0);
    return v;
  }
  std::string_view rest() const { return {reinterpret_cast<const char*>(data_ + pos_), size_ - pos_}; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

}  // namespace hopcost::fuzz
