// tests/control/stats_test.cc — sums over worker slots, top N, and the Prometheus rendering.

#include "control/stats.h"

#include <gtest/gtest.h>

#include <memory>
#include <sstream>

namespace iocgate {
namespace {

// The value of the sample `series` (name{labels} exactly as rendered), or -1.
double sample(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (l.rfind(series + " ", 0) == 0) return std::stod(l.substr(series.size() + 1));
  return -1;
}

TEST(Stats, SumsWorkerSlotsAndPorts) {
  auto cb = std::make_unique<ControlBlock>();
  cb->worker_count.store(2);
  cb->workers[0].counters.rx_packets = 100;
  cb->workers[0].counters.dropped_packets = 7;
  cb->workers[0].counters.match_sni = 3;
  cb->workers[1].counters.rx_packets = 50;
  cb->workers[1].counters.dropped_packets = 1;
  cb->workers[1].counters.match_ip = 1;
  cb->port_count.store(1);
  std::snprintf(cb->ports[0].name, sizeof(cb->ports[0].name), "net_pcap_in");
  cb->ports[0].ipackets.store(150);
  cb->ports[0].imissed.store(2);
  cb->published_generation.store(4);
  StatsSnapshot s;
  read_control_block(*cb, false, &s);
  EXPECT_EQ(s.total.rx_packets, 150u);
  EXPECT_EQ(s.total.dropped_packets, 8u);
  const std::string t = render_prometheus(s);
  EXPECT_EQ(sample(t, "iocgate_dataplane_packets_total{outcome=\"received\"}"), 150);
  EXPECT_EQ(sample(t, "iocgate_action_packets_total{action=\"drop\"}"), 8);
  EXPECT_EQ(sample(t, "iocgate_matches_total{kind=\"sni\"}"), 3);
  EXPECT_EQ(sample(t, "iocgate_matches_total{kind=\"ip\"}"), 1);
  EXPECT_EQ(sample(t, "iocgate_packets_total{port=\"net_pcap_in\",direction=\"rx\"}"), 150);
  EXPECT_EQ(sample(t, "iocgate_port_missed_total{port=\"net_pcap_in\"}"), 2);
  EXPECT_EQ(sample(t, "iocgate_worker_alive{worker=\"1\"}"), 0);
  EXPECT_EQ(sample(t, "iocgate_table_generation{state=\"published\"}"), 4);
  EXPECT_EQ(sample(t, "iocgate_dataplane_events_lost_total"), 0);
  EXPECT_EQ(stats_json(s)["counters"]["rx_packets"], 150);
}

TEST(Stats, TopNAndLabelEscaping) {
  HitStats h;
  for (int i = 0; i < 30; ++i)
    h.add("apt", "941/CATTT", "Mustang \"Panda\"", "198.51.100." + std::to_string(i), "ip",
          "10.0.0." + std::to_string(i), static_cast<uint64_t>(i + 1), 0);
  h.add("apt", "941/CATTT", "Mustang \"Panda\"", "198.51.100.29", "ip", "10.0.0.29", 0, 12);
  StatsSnapshot s;
  h.fill(&s);
  ASSERT_EQ(s.iocs.size(), kTopN);
  EXPECT_EQ(s.iocs[0].ioc, "198.51.100.29");
  EXPECT_EQ(s.iocs_seen, 30u);
  EXPECT_EQ(s.hosts[0].hits.flows, 30u);
  EXPECT_EQ(s.hosts[0].hits.packets, 12u);
  ASSERT_EQ(s.feeds.size(), 1u);
  EXPECT_EQ(s.feeds[0].hits.flows, 30u * 31 / 2);
  const std::string t = render_prometheus(s);
  EXPECT_EQ(sample(t, "iocgate_feed_hits_total{feed=\"apt\",advisory=\"941/CATTT\",group=\"Mustang \\\"Panda\\\"\"}"),
            465);
  EXPECT_EQ(sample(t, "iocgate_ioc_hits_total{ioc=\"198.51.100.29\",feed=\"apt\",kind=\"ip\"}"), 30);
  EXPECT_EQ(sample(t, "iocgate_ioc_hits_total{ioc=\"198.51.100.0\",feed=\"apt\",kind=\"ip\"}"), -1);  // not top 20
  EXPECT_EQ(sample(t, "iocgate_host_hits_total{host=\"10.0.0.29\"}"), 30);
  // Every family is announced once, with its type.
  EXPECT_NE(t.find("# TYPE iocgate_matches_total counter\n"), std::string::npos);
  EXPECT_EQ(t.find("# TYPE iocgate_matches_total counter\n"), t.rfind("# TYPE iocgate_matches_total counter\n"));
}

}  // namespace
}  // namespace iocgate
