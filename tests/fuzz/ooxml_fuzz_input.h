// tests/fuzz/ooxml_fuzz_input.h — turns fuzz bytes that are not a ZIP into an XLSX or DOCX
// package: parts separated by "\n--part--\n", stored uncompressed with correct CRCs, so
// libFuzzer's mutations reach the XML readers instead of dying in deflate or a CRC check.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace iocgate::fuzz {

inline void put16(std::string& s, uint32_t v) {
  s += static_cast<char>(v & 0xff);
  s += static_cast<char>((v >> 8) & 0xff);
}
inline void put32(std::string& s, uint32_t v) {
  put16(s, v & 0xffff);
  put16(s, v >> 16);
}

// A ZIP of `names[i]` = the i-th part of `data` (missing parts are empty).
inline std::string stored_zip(std::string_view data, const std::vector<std::string>& names) {
  std::vector<std::string_view> parts;
  constexpr std::string_view kSep = "\n--part--\n";
  while (parts.size() + 1 < names.size()) {
    size_t at = data.find(kSep);
    if (at == std::string_view::npos) break;
    parts.push_back(data.substr(0, at));
    data.remove_prefix(at + kSep.size());
  }
  parts.push_back(data);
  std::string zip, central;
  for (size_t i = 0; i < names.size(); ++i) {
    std::string_view body = i < parts.size() ? parts[i] : std::string_view();
    const uint32_t crc = static_cast<uint32_t>(
        crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size())));
    const uint32_t offset = static_cast<uint32_t>(zip.size());
    put32(zip, 0x04034b50);
    put16(zip, 20), put16(zip, 0), put16(zip, 0), put16(zip, 0), put16(zip, 0);
    put32(zip, crc), put32(zip, static_cast<uint32_t>(body.size())), put32(zip, static_cast<uint32_t>(body.size()));
    put16(zip, static_cast<uint32_t>(names[i].size())), put16(zip, 0);
    zip += names[i];
    zip += body;
    put32(central, 0x02014b50);
    put16(central, 20), put16(central, 20), put16(central, 0), put16(central, 0), put16(central, 0), put16(central, 0);
    put32(central, crc), put32(central, static_cast<uint32_t>(body.size())),
        put32(central, static_cast<uint32_t>(body.size()));
    put16(central, static_cast<uint32_t>(names[i].size())), put16(central, 0), put16(central, 0);
    put16(central, 0), put16(central, 0), put32(central, 0), put32(central, offset);
    central += names[i];
  }
  const uint32_t cd_offset = static_cast<uint32_t>(zip.size());
  zip += central;
  put32(zip, 0x06054b50);
  put16(zip, 0), put16(zip, 0);
  put16(zip, static_cast<uint32_t>(names.size())), put16(zip, static_cast<uint32_t>(names.size()));
  put32(zip, static_cast<uint32_t>(central.size())), put32(zip, cd_offset), put16(zip, 0);
  return zip;
}

}  // namespace iocgate::fuzz
