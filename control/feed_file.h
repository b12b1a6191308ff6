// control/feed_file.h — reading a feed file from disk and parsing it, with errors an
// operator can act on ("FILE:LINE: reason"). Used by replay, feed check and the control daemon.
#pragma once

#include <optional>
#include <string>

#include "feeds/ioc.h"

namespace iocgate {

struct FeedFile {
  std::string path;
  std::string name;  // file name without directories: how reports refer to the feed
  ParsedFeed feed;
};

// Reads the bytes of `path` (bounded: a feed over 2 GiB is the wrong file). Returns false
// with *error holding "PATH: reason".
bool read_feed_bytes(const std::string& path, std::string& content, std::string* error);

// Reads and parses `path` (format detected from content unless `format` says otherwise).
// Returns nullopt with *error holding the reason; the caller must then not use the feed.
std::optional<FeedFile> load_feed_file(const std::string& path, FeedFormat format, std::string* error);

// "ipv4 12, cidr4 3, ipv6 2, cidr6 1, domain 40, url-host 2": what a feed holds by kind.
std::string summarize_iocs(const ParsedFeed& feed);

}  // namespace iocgate
