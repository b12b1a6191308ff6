// control/ioc_explain.h — `iocctl explain VALUE`: which feed entries cover an address, prefix,
// domain or URL (every listing of every covering key: feed, line, the entry as written,
// advisory, group, action, expiry) and what the table in force does with it. Off the hot path;
// a handful of exact probes per query, so it answers on a table of millions of entries at once.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "control/feed_store.h"
#include "table/ioc_table_view.h"

namespace iocgate {

// The value as the operator gives it (defanged forms, URLs and host:port accepted, as in a
// plain feed), read into the IoC it stands for; an error says why it is none.
Result<Ioc> read_explain_value(const std::string& value);

// `view`: the table the dataplane enforces (may be empty); `store`: the feeds behind it.
nlohmann::json explain_ioc(const Ioc& query, const std::string& value, const table::IocTableView& view,
                           uint64_t generation, const FeedStore& store, int64_t now);

// The text of line `line` (1-based) of `content`, trimmed and cut to a readable length;
// "" when there is no such line.
std::string line_text(std::string_view content, uint32_t line);

}  // namespace iocgate
