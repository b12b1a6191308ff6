// control/feed_file.cc — file I/O around the pure feed parsers.

#include "control/feed_file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "feeds/feed_parser.h"

namespace iocgate {

namespace {
// A feed larger than this is almost certainly the wrong file (a capture, a disk image).
constexpr uintmax_t kMaxFeedBytes = 2ULL << 30;
}  // namespace

Result<std::string> read_feed_bytes(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return Status::error(path + (ec ? ": cannot read: " + ec.message() : ": not a regular file"));
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return Status::error(path + ": cannot read: " + ec.message());
  if (size > kMaxFeedBytes)
    return Status::error(path + ": " + std::to_string(size) + " bytes is larger than any feed iocgate accepts (2 GiB)");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::error(path + ": cannot open: " + std::strerror(errno));
  std::string content(size, '\0');
  in.read(content.data(), static_cast<std::streamsize>(size));
  if (static_cast<uintmax_t>(in.gcount()) != size) return Status::error(path + ": short read");
  return content;
}

Result<FeedFile> load_feed_file(const std::string& path, FeedFormat format) {
  Result<std::string> content = read_feed_bytes(path);
  if (!content.ok()) return content.status();
  ParseOptions opts;
  opts.file_name = path;
  opts.format = format;
  FeedParseResult r = parse_feed(*content, opts);
  if (!r.ok()) return Status::error(r.error->message());
  FeedFile f;
  f.path = path;
  f.name = std::filesystem::path(path).filename().string();
  f.feed = std::move(r.feed);
  return f;
}

std::string summarize_iocs(const ParsedFeed& feed) {
  std::map<std::string, uint64_t> by_kind;
  for (const Ioc& i : feed.iocs) {
    const char* k = "domain";
    if (i.form == IocForm::kUrlHost) {
      k = "url-host";
    } else if (i.kind == IocKind::kIpv4) {
      k = i.prefix_len == 32 ? "ipv4" : "cidr4";
    } else if (i.kind == IocKind::kIpv6) {
      k = i.prefix_len == 128 ? "ipv6" : "cidr6";
    }
    ++by_kind[k];
  }
  std::ostringstream out;
  const char* order[] = {"ipv4", "cidr4", "ipv6", "cidr6", "domain", "url-host"};
  bool first = true;
  for (const char* k : order) {
    if (by_kind[k] == 0) continue;
    out << (first ? "" : ", ") << k << " " << by_kind[k];
    first = false;
  }
  if (first) out << "no enforceable IoCs";
  return out.str();
}

}  // namespace iocgate
