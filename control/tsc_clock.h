// control/tsc_clock.h — turns the workers' clock (TSC cycles, ControlBlock::tsc_hz) into wall
// clock milliseconds, from a (TSC, wall) reference pair renewed every minute so that drift
// between the two clocks stays small.
#pragma once

#include <chrono>
#include <cstdint>

#include "shm/shm_protocol.h"

namespace iocgate {

class TscClock {
 public:
  static int64_t wall_now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  // `hz` 0 (no dataplane has said yet): the wall clock now.
  int64_t to_wall_ms(uint64_t tsc, uint64_t hz) {
    const int64_t now = wall_now_ms();
    if (hz == 0) return now;
    if (taken_ms_ == 0 || now - taken_ms_ > 60000) {
      ref_tsc_ = read_tsc();
      ref_ms_ = now;
      taken_ms_ = now;
    }
    const int64_t d = static_cast<int64_t>(tsc - ref_tsc_);  // signed: records precede the reference
    return ref_ms_ + static_cast<int64_t>(static_cast<double>(d) * 1000.0 / static_cast<double>(hz));
  }

 private:
  uint64_t ref_tsc_ = 0;
  int64_t ref_ms_ = 0;
  int64_t taken_ms_ = 0;
};

}  // namespace iocgate
