// dataplane/reassembly_pool.h — fixed buffers that hold the first bytes of a TCP stream
// until a ClientHello or HTTP header block is complete. Allocated once per worker; taking
// and returning a buffer is a stack pop/push, so the hot path never touches the heap.
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

  explicit ReassemblyPool(uint16_t count)
      : data_(new uint8_t[size_t{count} * kBufferSize]), lens_(new uint32_t[count]()),
        free_(new uint16_t[count]), free_count_(count), capacity_(count) {
    for (uint16_t i = 0; i < count; ++i) free_[i] = static_cast<uint16_t>(count - 1 - i);
  }

  // Returns a slot index, or -1 when all buffers are in use.
  int take() {
    if (free_count_ == 0) return -1;
    const uint16_t s = free_[--free_count_];
    lens_[s] = 0;
    return s;
  }
  void give_back(uint16_t slot) { free_[free_count_++] = slot; }

  uint8_t* data(uint16_t slot) { return data_.get() + size_t{slot} * kBufferSize; }
  uint32_t len(uint16_t slot) const { return lens_[slot]; }

  // Appends; false when the buffer would overflow (the caller stops inspecting).
  bool append(uint16_t slot, const uint8_t* p, uint32_t n) {
    if (n > kBufferSize - lens_[slot]) return false;
    std::memcpy(data(slot) + lens_[slot], p, n);
    lens_[slot] += n;
    return true;
  }
  uint32_t in_use() const { return capacity_ - free_count_; }
  uint32_t capacity() const { return capacity_; }

 private:
  std::unique_ptr<uint8_t[]> data_;
  std::unique_ptr<uint32_t[]> lens_;
  std::unique_ptr<uint16_t[]> free_;
  uint32_t free_count_;
  uint32_t capacity_;
};

}  // namespace iocgate
