// feeds/zip_archive.cc — see zip_archive.h. libzip (Debian libzip-dev) reads from a memory
// source; nothing touches the file system.
#include "feeds/zip_archive.h"

#include <zip.h>

#include <fmt/format.h>

namespace iocgate {
namespace {

std::string size_text(uint64_t n) { return n % (1 << 20) == 0 ? fmt::format("{} MiB", n >> 20) : fmt::format("{} bytes", n); }

}  // namespace

std::unique_ptr<ZipArchive> ZipArchive::open(std::string_view bytes, const ZipLimits& limits, std::string& error) {
  zip_error_t ze;
  zip_error_init(&ze);
  zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &ze);
  if (src == nullptr) {
    error = fmt::format("not a readable ZIP archive: {}", zip_error_strerror(&ze));
    zip_error_fini(&ze);
    return nullptr;
  }
  zip_t* z = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
  if (z == nullptr) {
    error = fmt::format("not a readable ZIP archive: {}", zip_error_strerror(&ze));
    zip_source_free(src);
    zip_error_fini(&ze);
    return nullptr;
  }
  zip_error_fini(&ze);
  std::unique_ptr<ZipArchive> a(new ZipArchive());
  a->zip_ = z;
  a->limits_ = limits;
  const zip_int64_t n = zip_get_num_entries(z, 0);
  if (n < 0 || static_cast<uint64_t>(n) > limits.max_entries) {
    error = fmt::format("the archive has {} entries, more than the {} an Office document may have", n, limits.max_entries);
    return nullptr;
  }
  return a;
}

ZipArchive::~ZipArchive() {
  if (zip_ != nullptr) zip_discard(zip_);
}

bool ZipArchive::has(const std::string& name) const { return zip_name_locate(zip_, name.c_str(), 0) >= 0; }

bool ZipArchive::read(const std::string& name, std::string& out, std::string& error) {
  out.clear();
  zip_file_t* f = zip_fopen(zip_, name.c_str(), 0);
  if (f == nullptr) {
    error = fmt::format("{}: {}", name, zip_strerror(zip_));
    return false;
  }
  char buf[64 * 1024];
  while (true) {
    const zip_int64_t got = zip_fread(f, buf, sizeof buf);
    if (got < 0) {
      error = fmt::format("{}: damaged entry: {}", name, zip_file_strerror(f));
      zip_fclose(f);
      return false;
    }
    if (got == 0) break;
    total_read_ += static_cast<uint64_t>(got);
    if (out.size() + static_cast<uint64_t>(got) > limits_.max_entry_bytes) {
      error = fmt::format("{} inflates to more than {}: refused as a possible zip bomb", name,
                          size_text(limits_.max_entry_bytes));
      zip_fclose(f);
      return false;
    }
    if (total_read_ > limits_.max_total_bytes) {
      error = fmt::format("the archive inflates to more than {}: refused as a possible zip bomb",
                          size_text(limits_.max_total_bytes));
      zip_fclose(f);
      return false;
    }
    out.append(buf, static_cast<size_t>(got));
  }
  zip_fclose(f);
  return true;
}

}  // namespace iocgate
