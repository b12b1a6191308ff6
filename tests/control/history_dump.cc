// tests/control/history_dump.cc — prints every flow a history directory holds, one JSON object
// a line, for tests that compare the appliance's own history with another record of the same
// flows (tests/integration/ipfix_test.py: what nfdump reads from nfcapd's files).
//
// usage: history_dump DIR

#include <cstdio>
#include <nlohmann/json.hpp>

#include "control/history_store.h"
#include "control/tsc_clock.h"
#include "shm/event_text.h"

int main(int argc, char** argv) {
  using namespace iocgate;
  if (argc != 2) {
    std::fprintf(stderr, "usage: history_dump DIR\n");
    return 2;
  }
  HistoryConfig c;
  c.dir = argv[1];
  c.max_age_ms = int64_t{3650} * 86400 * 1000;
  c.max_bytes = ~0ull;
  HistoryStore store(c);
  // Opening a copy cuts nothing a running writer still appends: the caller stops it first.
  if (Status s = store.open(TscClock::wall_now_ms()); !s.ok()) {
    std::fprintf(stderr, "history_dump: %s\n", s.message().c_str());
    return 1;
  }
  std::string raw;
  for (const HistoryBlock& b : store.blocks(0, INT64_MAX)) {
    if (Status s = store.read_block(b, &raw); !s.ok()) {
      std::fprintf(stderr, "history_dump: %s\n", s.message().c_str());
      return 1;
    }
    FlowRowReader rd(reinterpret_cast<const uint8_t*>(raw.data()), raw.size(), b.base_ms);
    FlowRow r;
    while (rd.next(&r)) {
      nlohmann::json j = {{"first_ms", r.first_ms}, {"last_ms", r.last_ms}, {"proto", r.proto},
                          {"client", format_address(r.ip_version, r.client)}, {"client_port", r.client_port},
                          {"server", format_address(r.ip_version, r.server)}, {"server_port", r.server_port},
                          {"packets", {r.packets[0], r.packets[1]}}, {"bytes", {r.bytes[0], r.bytes[1]}},
                          {"tcp_flags", r.tcp_flags}, {"end", r.end}, {"action", r.action}, {"vlan", r.vlan}};
      nlohmann::json names = nlohmann::json::array();
      for_each_name(r, [&](FlowNameKind k, const char* p, size_t n) {
        names.push_back({{"kind", static_cast<int>(k)}, {"name", std::string(p, n)}});
      });
      j["names"] = names;
      nlohmann::json answers = nlohmann::json::array();
      for (uint8_t i = 0; i < r.answer_count; ++i) answers.push_back(format_address((r.answer_v6 >> i) & 1 ? 6 : 4, r.answers[i]));
      j["answers"] = answers;
      std::printf("%s\n", j.dump().c_str());
    }
    if (rd.error()) {
      std::fprintf(stderr, "history_dump: %s: a damaged row\n", b.path.c_str());
      return 1;
    }
  }
  return 0;
}
