// replay/replay.cc — `iocgate replay`: compiles feeds, runs the real worker over DPDK's
// pcap PMD, writes passed and dropped packets in capture order, and reports the hits.

#include "replay/replay.h"

#include <pcap/pcap.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <unistd.h>

#include <filesystem>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "control/feed_file.h"
#include "replay/match_report.h"
#include "dataplane/dpdk_port.h"
#include "dataplane/worker.h"
#include "control/ioc_table_builder.h"

namespace iocgate {

namespace {

// How long the capture may stay silent before replay decides packets were lost.
constexpr double kIdleTimeoutSeconds = 10.0;

struct CaptureInfo {
  uint64_t packets = 0;
};

// Reads the capture once with libpcap: the PMD would skip a bad file silently, and the
// packet count tells the replay loop when the capture is consumed.
bool inspect_capture(const std::string& path, CaptureInfo* info, std::string* error) {
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline(path.c_str(), errbuf);
  if (p == nullptr) {
    *error = path + ": not a readable pcap capture: " + errbuf;
    return false;
  }
  const int link = pcap_datalink(p);
  if (link != DLT_EN10MB) {
    *error = path + ": link type " + std::string(pcap_datalink_val_to_name(link) ? pcap_datalink_val_to_name(link) : "?") +
             " is not Ethernet; iocgate judges Ethernet frames";
    pcap_close(p);
    return false;
  }
  pcap_pkthdr* h;
  const u_char* data;
  int rc;
  while ((rc = pcap_next_ex(p, &h, &data)) == 1) ++info->packets;
  if (rc == PCAP_ERROR) {
    *error = path + ": damaged after packet " + std::to_string(info->packets) + ": " + pcap_geterr(p);
    pcap_close(p);
    return false;
  }
  pcap_close(p);
  return true;
}

bool check_output_path(const std::string& path, std::string* error) {
  if (path.find(',') != std::string::npos) {
    *error = path + ": DPDK device arguments cannot carry a path with ','";
    return false;
  }
  const auto dir = std::filesystem::absolute(path).parent_path();
  if (!std::filesystem::is_directory(dir)) {
    *error = path + ": directory " + dir.string() + " does not exist";
    return false;
  }
  if (access(dir.c_str(), W_OK) != 0) {
    *error = path + ": directory " + dir.string() + " is not writable";
    return false;
  }
  return true;
}

std::vector<std::string> default_eal_args() {
  const unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
  // Without hugepages, PCI or shared config, under a per-process file prefix: a replay must
  // run beside a live dataplane and in parallel tests without sharing DPDK runtime files.
  // (--in-memory would be simpler but DPDK refuses it together with --no-huge.)
  // The main lcore floats over all CPUs.
  return {"--no-huge", "-m", "512", "--no-pci", "--no-shconf", "--no-telemetry",
          "--file-prefix", fmt::format("iocgate-replay-{}", getpid()),
          "--lcores", fmt::format("0@(0-{})", cpus - 1), "--log-level", "lib.eal:error",
          "--log-level", "pmd.net.pcap:error"};
}

}  // namespace

int run_replay(const ReplayOptions& opts) {
  // --- feeds and table, before touching DPDK: a bad feed is the common mistake ---
  table::IocTableBuilder builder;
  std::vector<FeedFile> feeds;
  for (const std::string& path : opts.feeds) {
    Result<FeedFile> f = load_feed_file(path, FeedFormat::kAuto);
    if (!f.ok()) {
      fmt::print(stderr, "iocgate replay: {}\n", f.message());
      return 2;
    }
    const uint32_t id = builder.add_feed({f->name, table::Action::kDrop, "", ""});
    builder.add_all(id, f->feed.iocs);
    feeds.push_back(std::move(*f));
  }
  std::string error;
  auto blob = builder.build();
  table::IocTableView view;
  if (!blob.ok()) error = blob.message();
  if (!blob.ok() || !view.attach(blob->data(), blob->size(), &error)) {
    fmt::print(stderr, "iocgate replay: cannot compile the table: {}\n", error);
    return 2;
  }

  CaptureInfo cap;
  if (opts.in.find(',') != std::string::npos)
    error = opts.in + ": DPDK device arguments cannot carry a path with ','";
  const bool paths_ok = error.empty() && inspect_capture(opts.in, &cap, &error) &&
                        check_output_path(opts.out, &error) &&
                        (opts.dropped.empty() || check_output_path(opts.dropped, &error));
  if (!paths_ok) {
    fmt::print(stderr, "iocgate replay: {}\n", error);
    return 2;
  }

  // --- EAL and ports ---
  std::vector<std::string> args = {"iocgate-replay"};
  const std::vector<std::string> eal = opts.eal_args.empty() ? default_eal_args() : opts.eal_args;
  args.insert(args.end(), eal.begin(), eal.end());
  args.push_back("--vdev=net_pcap_replay_in,rx_pcap=" + opts.in + ",tx_pcap=" + opts.out);
  if (!opts.dropped.empty()) args.push_back("--vdev=net_pcap_replay_drop,tx_pcap=" + opts.dropped);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (rte_eal_init(static_cast<int>(args.size()), argv.data()) < 0) {
    fmt::print(stderr, "iocgate replay: DPDK EAL initialisation failed: {}\n", rte_strerror(rte_errno));
    return 3;
  }

  int rc = 0;
  {
    rte_mempool* pool = create_mbuf_pool("replay_pool", 8191, static_cast<int>(rte_socket_id()), &error);
    WorkerPorts ports;
    ports.answer_rejects = false;  // a capture has no one to answer: the dropped file shows them
    uint16_t in_port = 0, drop_port = 0;
    if (pool == nullptr || !find_port("net_pcap_replay_in", &in_port) ||
        (!opts.dropped.empty() && !find_port("net_pcap_replay_drop", &drop_port))) {
      fmt::print(stderr, "iocgate replay: {}\n", error.empty() ? "pcap device missing" : error);
      rte_eal_cleanup();
      return 3;
    }
    PortSetup in_setup;
    in_setup.port_id = in_port;
    if (!setup_port(in_setup, pool, &error)) {
      fmt::print(stderr, "iocgate replay: {}\n", error);
      rte_eal_cleanup();
      return 3;
    }
    ports.rx_port = ports.tx_port = in_port;
    if (!opts.dropped.empty()) {
      PortSetup drop_setup;
      drop_setup.port_id = drop_port;
      if (!setup_port(drop_setup, pool, &error)) {
        fmt::print(stderr, "iocgate replay: {}\n", error);
        rte_eal_cleanup();
        return 3;
      }
      ports.drop_port = drop_port;
    }

    ClassifierConfig cfg;
    Classifier classifier(cfg);
    classifier.set_table(&view, 1);
    Worker worker(classifier);
    MatchReport report(view);
    auto drain = [&] {
      MatchEvent e;
      while (classifier.events().pop(&e)) report.add(e);
    };

    const uint64_t hz = rte_get_tsc_hz();
    uint64_t received = 0;
    uint64_t last_rx = rte_rdtsc();
    while (received < cap.packets) {
      const uint64_t now = rte_rdtsc();
      const uint16_t n = worker.poll(ports, now);
      received += n;
      if (n != 0) {
        last_rx = now;
        drain();
      } else if (static_cast<double>(now - last_rx) / hz > kIdleTimeoutSeconds) {
        fmt::print(stderr, "iocgate replay: {}: the PMD delivered {} of {} packets\n", opts.in, received,
                   cap.packets);
        rc = 4;
        break;
      }
    }
    classifier.flush_summaries();
    drain();

    // Closing the ports flushes and closes the output pcap files.
    rte_eth_dev_stop(in_port);
    rte_eth_dev_close(in_port);
    if (!opts.dropped.empty()) {
      rte_eth_dev_stop(drop_port);
      rte_eth_dev_close(drop_port);
    }

    const DataplaneCounters& c = classifier.counters();
    if (opts.json) {
      nlohmann::json j;
      j["capture"] = {{"path", opts.in}, {"packets", cap.packets}};
      for (const FeedFile& f : feeds) {
        nlohmann::json fj = {{"name", f.name}, {"path", f.path}, {"format", feed_format_name(f.feed.format)},
                             {"iocs", f.feed.iocs.size()}, {"skipped", f.feed.skipped}};
        j["feeds"].push_back(fj);
      }
      j["table"] = {{"ipv4", view.header().v4_entries}, {"ipv6", view.header().v6_entries},
                    {"domains", view.header().domain_entries}, {"bytes", view.header().total_size}};
      for (size_t i = 0; i < kDataplaneCounterCount; ++i)
        j["counters"][kDataplaneCounterInfo[i].name] = counter_array(c)[i];
      j["by_ioc"] = nlohmann::json::array();
      for (const IocHits& h : report.by_ioc())
        j["by_ioc"].push_back({{"ioc", h.ioc}, {"matched", h.matched}, {"feed", h.feed}, {"line", h.line},
                               {"action", h.action}, {"flows", h.flows}, {"packets", h.packets}});
      j["by_host"] = nlohmann::json::array();
      for (const HostHits& h : report.by_host())
        j["by_host"].push_back({{"host", h.host}, {"iocs", h.iocs}, {"flows", h.flows}, {"packets", h.packets}});
      fmt::print("{}\n", j.dump(2));
    } else {
      print_replay_text(opts, feeds, view, c, report);
    }
  }
  // The runtime directory (per-process file prefix) would otherwise accumulate, one per run.
  const std::string runtime_dir = rte_eal_get_runtime_dir();
  rte_eal_cleanup();
  std::error_code ec;
  if (opts.eal_args.empty()) std::filesystem::remove_all(runtime_dir, ec);
  return rc;
}

void print_replay_text(const ReplayOptions& opts, const std::vector<FeedFile>& feeds,
                       const table::IocTableView& view, const DataplaneCounters& c,
                       const MatchReport& report) {
  for (const FeedFile& f : feeds) {
    std::string skipped;
    for (const auto& [why, n] : f.feed.skipped) skipped += fmt::format("{}{} {}", skipped.empty() ? "" : ", ", why, n);
    fmt::print("feed {} ({}): {}{}\n", f.name, feed_format_name(f.feed.format), summarize_iocs(f.feed),
               skipped.empty() ? "" : "; not enforced: " + skipped);
  }
  fmt::print("table: {} IPv4, {} IPv6, {} domains ({} bytes)\n", view.header().v4_entries,
             view.header().v6_entries, view.header().domain_entries, view.header().total_size);
  fmt::print("{}: {} packets: {} passed, {} dropped, {} mirrored, {} alerted\n", opts.in, c.rx_packets,
             c.tx_packets, c.dropped_packets, c.mirrored_packets, c.alerted_packets);
  fmt::print("  matched by ip {}, dns {}, sni {}, host {}\n", c.match_ip, c.match_dns, c.match_sni, c.match_host);

  const auto iocs = report.by_ioc();
  fmt::print("\nMatched, by IoC ({}):\n", iocs.size());
  if (!iocs.empty()) {
    fmt::print("  {:<40} {:<5} {:<24} {:>6} {:>8}\n", "IOC", "HOW", "FEED:LINE", "FLOWS", "PACKETS");
    for (const IocHits& h : iocs)
      fmt::print("  {:<40} {:<5} {:<24} {:>6} {:>8}\n", h.ioc, h.matched, fmt::format("{}:{}", h.feed, h.line),
                 h.flows, h.packets);
  }
  const auto hosts = report.by_host();
  fmt::print("\nMatched, by internal host ({}):\n", hosts.size());
  if (!hosts.empty()) {
    fmt::print("  {:<40} {:>6} {:>8}  {}\n", "HOST", "FLOWS", "PACKETS", "IOCS");
    for (const HostHits& h : hosts) {
      std::string list;
      for (const std::string& i : h.iocs) list += (list.empty() ? "" : ", ") + i;
      fmt::print("  {:<40} {:>6} {:>8}  {}\n", h.host, h.flows, h.packets, list);
    }
  }
  fmt::print("\nCounters:\n");
  for (size_t i = 0; i < kDataplaneCounterCount; ++i)
    if (counter_array(c)[i] != 0)
      fmt::print("  {:<22} {:>10}  {}\n", kDataplaneCounterInfo[i].name, counter_array(c)[i],
                 kDataplaneCounterInfo[i].help);
  fmt::print("\nwrote {}{}\n", opts.out, opts.dropped.empty() ? "" : " and " + opts.dropped);
}

}  // namespace iocgate
