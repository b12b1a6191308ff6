// dataplane/reassembly_pool.h — fixed buffers that hold the first bytes of a TCP stream
// until a ClientHello or HTTP header block is complete. Allocated once per worker; taking,
// returning, touching and taking back the least recently used buffer are all O(1) (a stack of
// unused slots and an intrusive LRU list), so the hot path never touches the heap or scans.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>

namespace iocgate {

class ReassemblyPool {
 public:
  // A post-quantum ClientHello is ~1.8 KB; 16 KiB is the largest TLS record, so this bound
  // also covers a ClientHello split across several records.
  static constexpr uint32_t kBufferSize = 16384;
  static constexpr uint16_t kNone = 0xffff;

  explicit ReassemblyPool(uint16_t count)
      : data_(new uint8_t[size_t{count} * kBufferSize]), lens_(new uint32_t[count]()),
        unused_(new uint16_t[count]), prev_(new uint16_t[count]), next_(new uint16_t[count]),
        unused_count_(count), capacity_(count) {
    for (uint16_t i = 0; i < count; ++i) {
      unused_[i] = static_cast<uint16_t>(count - 1 - i);
      prev_[i] = next_[i] = kNone;
    }
  }

  // Returns a slot index, or -1 when all buffers are in use. The slot becomes the most
  // recently used one.
  int take() {
    if (unused_count_ == 0) return -1;
    const uint16_t s = unused_[--unused_count_];
    lens_[s] = 0;
    link_tail(s);
    return s;
  }
  void give_back(uint16_t slot) {
    unlink(slot);
    unused_[unused_count_++] = slot;
  }
  // The slot's stream was seen again: it is now the most recently used.
  void touch(uint16_t slot) {
    if (tail_ == slot) return;
    unlink(slot);
    link_tail(slot);
  }
  // The held slot least recently used (taken or touched), or -1 when none is held.
  int oldest() const { return head_ == kNone ? -1 : head_; }

  uint8_t* data(uint16_t slot) { return data_.get() + size_t{slot} * kBufferSize; }
  uint32_t len(uint16_t slot) const { return lens_[slot]; }

  // Appends; false when the buffer would overflow (the caller stops inspecting).
  bool append(uint16_t slot, const uint8_t* p, uint32_t n) {
    if (n > kBufferSize - lens_[slot]) return false;
    std::memcpy(data(slot) + lens_[slot], p, n);
    lens_[slot] += n;
    return true;
  }
  uint32_t in_use() const { return capacity_ - unused_count_; }
  uint32_t capacity() const { return capacity_; }

 private:
  void link_tail(uint16_t s) {
    prev_[s] = tail_;
    next_[s] = kNone;
    if (tail_ != kNone) next_[tail_] = s;
    else head_ = s;
    tail_ = s;
  }
  void unlink(uint16_t s) {
    if (prev_[s] != kNone) next_[prev_[s]] = next_[s];
    else head_ = next_[s];
    if (next_[s] != kNone) prev_[next_[s]] = prev_[s];
    else tail_ = prev_[s];
    prev_[s] = next_[s] = kNone;
  }

  std::unique_ptr<uint8_t[]> data_;
  std::unique_ptr<uint32_t[]> lens_;
  std::unique_ptr<uint16_t[]> unused_;
  std::unique_ptr<uint16_t[]> prev_, next_;  // LRU list of held slots, head = oldest
  uint32_t unused_count_;
  uint32_t capacity_;
  uint16_t head_ = kNone, tail_ = kNone;
};

}  // namespace iocgate
