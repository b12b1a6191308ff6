// dataplane/name_log.h — the names flows saw (SNI, Host, DNS-over-TCP query), kept per worker
// in one byte ring sized at start-up, so a new table generation can judge them again.
// Appending and reading back are O(1); the oldest names are overwritten first.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>

namespace iocgate {

class NameLog {
 public:
  // `bytes` is rounded up to a power of two of at least 4 KiB.
  explicit NameLog(uint32_t bytes) {
    size_ = 4096;
    while (size_ < bytes && size_ < (1u << 30)) size_ <<= 1;
    ring_.reset(new char[size_]);
  }

  // Stores a name of 1..255 bytes; returns where (a running position, wrapping at 2^32).
  // A name never straddles the ring's end: the tail is skipped instead.
  uint32_t put(const char* name, uint8_t len) {
    uint32_t at = head_ & (size_ - 1);
    if (at + len > size_) {
      head_ += size_ - at;
      at = 0;
    }
    std::memcpy(ring_.get() + at, name, len);
    const uint32_t pos = head_;
    head_ += len;
    return pos;
  }

  // Copies the name stored at `pos` to out[0..len) and returns true, unless newer names have
  // overwritten it since. (Across a 2^32 wrap this can be fooled; the caller checks a hash.)
  bool get(uint32_t pos, uint8_t len, char* out) const {
    if (head_ - pos > size_) return false;
    std::memcpy(out, ring_.get() + (pos & (size_ - 1)), len);
    return true;
  }

  uint32_t capacity() const { return size_; }

 private:
  std::unique_ptr<char[]> ring_;
  uint32_t size_;
  uint32_t head_ = 0;
};

}  // namespace iocgate
