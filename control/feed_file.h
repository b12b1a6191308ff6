// control/feed_file.h — reading a feed file from disk and parsing it, with errors an
// operator can act on ("FILE:LINE: reason"). Used by replay, feed check and the control daemon.
#pragma once

#include <optional>
#include <string>

#include "base/status.h"
#include "feeds/ioc.h"

namespace iocgate {

struct FeedFile {
  std::string path;
  std::string name;  // file name without directories: how reports refer to the feed
  ParsedFeed feed;
};

// Reads the bytes of `path`: a regular file of at most 2 GiB (anything larger is the wrong
// file). The error is "PATH: reason".
Result<std::string> read_feed_bytes(const std::string& path);

// Reads and parses `path` (format detected from content unless `format` says otherwise).
Result<FeedFile> load_feed_file(const std::string& path, FeedFormat format);

// "ipv4 12, cidr4 3, ipv6 2, cidr6 1, domain 40, url-host 2": what a feed holds by kind.
std::string summarize_iocs(const ParsedFeed& feed);

}  // namespace iocgate
