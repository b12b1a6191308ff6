// control/beacon_detector.h — tells repeated contact (malware calling home) from a one-off,
// per (host, IoC), from the review store's lines in time order. The definition the report
// prints: contacts (flows at least kContactGapMs apart) on at least kMinHours distinct clock
// hours, or at least kMinContacts contacts of which kRegularShare lie within a factor
// kSpread of their median interval. Bounded memory: the last kKeptIntervals intervals.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace iocgate {

class BeaconDetector {
 public:
  static constexpr int64_t kContactGapMs = 10000;  // flows closer than this: one contact
  static constexpr uint64_t kMinHours = 3;
  static constexpr uint64_t kMinContacts = 6;
  static constexpr double kRegularShare = 0.75;
  static constexpr double kSpread = 1.5;
  static constexpr size_t kKeptIntervals = 64;

  // One store line with flows > 0, first flow at `t_ms`.
  void add(int64_t t_ms);

  uint64_t contacts() const { return contacts_; }
  uint64_t hours() const { return hours_; }
  // The median interval between contacts (ms) when regular, else 0.
  int64_t regular_interval_ms() const;
  bool repeated() const { return hours_ >= kMinHours || regular_interval_ms() != 0; }

 private:
  int64_t last_ms_ = -1;
  int64_t last_hour_ = -1;
  uint64_t contacts_ = 0, hours_ = 0;
  std::array<uint32_t, kKeptIntervals> intervals_{};  // seconds, a ring
  size_t n_intervals_ = 0;
};

}  // namespace iocgate
