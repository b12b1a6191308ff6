// feeds/zip_archive.h — read-only access to a ZIP held in memory (XLSX and DOCX are ZIPs),
// with hard bounds so that a zip bomb is refused with its reason instead of filling memory.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct zip;  // libzip's handle, kept out of this header

namespace iocgate {

struct ZipLimits {
  uint64_t max_entries = 10'000;              // an Office file has tens
  uint64_t max_entry_bytes = 64ull << 20;     // one decompressed part
  uint64_t max_total_bytes = 256ull << 20;    // everything read from one archive
};

class ZipArchive {
 public:
  // nullopt with `error` when `bytes` is not a ZIP or has more entries than allowed.
  // `bytes` must outlive the archive.
  static std::unique_ptr<ZipArchive> open(std::string_view bytes, const ZipLimits& limits, std::string& error);
  ~ZipArchive();

  bool has(const std::string& name) const;

  // Decompresses entry `name` into `out`; false with `error` when it is missing, damaged,
  // or larger than the limits (counted on the bytes actually inflated, not the header's
  // claim, which a bomb may understate).
  bool read(const std::string& name, std::string& out, std::string& error);

 private:
  ZipArchive() = default;
  ::zip* zip_ = nullptr;
  ZipLimits limits_;
  uint64_t total_read_ = 0;
};

}  // namespace iocgate
