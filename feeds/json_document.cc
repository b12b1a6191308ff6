// feeds/json_document.cc — see json_document.h.
#include "feeds/json_document.h"

#include <algorithm>

namespace iocgate {

uint32_t line_of_offset(std::string_view s, size_t offset) {
  offset = std::min(offset, s.size());
  return 1 + static_cast<uint32_t>(std::count(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
}

std::string without_exception_id(std::string_view what) {
  if (!what.empty() && what[0] == '[') {
    size_t close = what.find("] ");
    if (close != std::string_view::npos) what.remove_prefix(close + 2);
  }
  return std::string(what);
}

bool parse_json_document(std::string_view content, nlohmann::json* doc, uint32_t* line, std::string* reason) {
  // A JSON feed is read whole into a document tree of 8 to 35 times its size (measured:
  // 7.7x for a STIX-like array, up to 35x for the densest shapes); this bound keeps that
  // under about 1.2 GB whatever a publisher sends.
  if (content.size() > kMaxJsonDocumentBytes) {
    *line = 0;
    *reason = "a JSON document of " + std::to_string(content.size() >> 20) + " MiB: JSON feeds are read whole, so at most " +
              std::to_string(kMaxJsonDocumentBytes >> 20) +
              " MiB are taken; export the feed as CSV (MISP, ThreatFox offer it) or split it";
    return false;
  }
  try {
    *doc = nlohmann::json::parse(content.begin(), content.end());
    return true;
  } catch (const nlohmann::json::parse_error& e) {
    *line = line_of_offset(content, e.byte == 0 ? 0 : e.byte - 1);
    *reason = "not valid JSON: " + without_exception_id(e.what());
  } catch (const std::exception& e) {
    *line = 0;
    *reason = "not valid JSON: " + without_exception_id(e.what());
  }
  return false;
}

std::string json_string(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace iocgate
