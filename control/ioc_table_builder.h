// control/ioc_table_builder.h — compiles feeds' IoCs into one immutable table blob
// (ioc_table_format.h). Runs in the control plane and in `iocgate replay`; never per packet.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "feeds/ioc.h"
#include "table/ioc_table_format.h"

namespace iocgate::table {

struct FeedMeta {
  std::string name;
  Action action = Action::kDrop;
  std::string advisory;  // e.g. "941/CATTT-NCSC"
  std::string group;     // e.g. "Mustang Panda"
  bool infected_hosts = false;  // a watch list of own hosts (table::kFeedInfectedHosts)
};

// An owned, 64-byte aligned table blob, ready to be copied into shared memory or a file.
class TableBlob {
 public:
  TableBlob() = default;
  explicit TableBlob(size_t size);
  uint8_t* data() { return data_.get(); }
  const uint8_t* data() const { return data_.get(); }
  size_t size() const { return size_; }

 private:
  struct Free {
    void operator()(uint8_t* p) const;
  };
  std::unique_ptr<uint8_t, Free> data_;
  size_t size_ = 0;
};

class IocTableBuilder {
 public:
  // Returns the feed's index; its IoCs are then added with add().
  uint32_t add_feed(const FeedMeta& meta);
  void add(uint32_t feed, const Ioc& ioc);
  void add_all(uint32_t feed, const std::vector<Ioc>& iocs) {
    for (const Ioc& i : iocs) add(feed, i);
  }

  // Compiles everything added so far. Duplicate keys across feeds collapse into one entry
  // whose action is the strongest of its listings and of every shorter prefix or parent
  // domain that covers it. An error when limits are exceeded.
  Result<TableBlob> build() const;

  // Whether build() adds the IPv4 direct index (ioc_table_format.h kV4DirectWords). By
  // default only where the per-length probes cost: from kV4DirectMinEntries distinct IPv4
  // keys (the hashes no longer fit in cache) with prefixes of kV4DirectMinLengths or more
  // lengths besides /32 (one probe each). A set of hosts needs one probe anyway, and small
  // sets would carry its fixed 64 MiB into every push, store and checksum.
  enum class V4Direct { kAuto, kAlways, kNever };
  static constexpr uint64_t kV4DirectMinEntries = 1u << 16;
  static constexpr uint32_t kV4DirectMinLengths = 4;
  void set_v4_direct(V4Direct mode) { v4_direct_ = mode; }

 private:
  struct AddrEntry {
    uint64_t hi, lo;  // IPv4: lo holds the address; IPv6: both halves, host order
    uint32_t feed, line;
    uint8_t len;
  };
  struct NameEntry {
    std::string name;
    uint32_t feed, line;
  };
  std::vector<FeedMeta> feeds_;
  std::vector<uint64_t> feed_counts_;
  std::vector<AddrEntry> v4_, v6_;
  std::vector<NameEntry> names_;
  V4Direct v4_direct_ = V4Direct::kAuto;
};

}  // namespace iocgate::table
