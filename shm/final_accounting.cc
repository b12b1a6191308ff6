// shm/final_accounting.cc — the workers' part of the clean-stop accounting line.

#include "shm/final_accounting.h"

#include <cstdio>

namespace iocgate {

std::string worker_accounting_json(const WorkerSlot& w, uint32_t index) {
  uint64_t judged = w.tally_folded.load();
  const uint64_t switches = w.switches.load();
  std::string gens;
  for (uint64_t k = 0; k < kGenerationTally && k <= switches; ++k) {
    const GenerationTally& t = w.tally[(switches - k) % kGenerationTally];
    judged += t.packets.load();
    gens += (gens.empty() ? "\"" : ",\"") + std::to_string(t.generation.load()) + "\":" + std::to_string(t.packets.load());
  }
  std::string counters;
  for (size_t c = 0; c < kDataplaneCounterCount; ++c)
    counters += std::string(c == 0 ? "\"" : ",\"") + kDataplaneCounterInfo[c].name + "\":" +
                std::to_string(counter_array(w.counters)[c]);
  return "{\"worker\":" + std::to_string(index) + ",\"counters\":{" + counters + "},\"judged\":" +
         std::to_string(judged) + ",\"switches\":" + std::to_string(switches) + ",\"recent_generations\":{" + gens +
         "}}";
}

std::string json_quoted(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') out += '\\', out += static_cast<char>(c);
    else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else out += static_cast<char>(c);
  }
  return out + "\"";
}

}  // namespace iocgate
