// config/appliance_config.cc — TOML parsing and validation with toml++.

#include "config/appliance_config.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <regex>
#include <set>

#include <toml++/toml.h>

namespace iocgate {

namespace {

std::string where(const std::string& path, const toml::node& n) {
  return path + ":" + std::to_string(n.source().begin.line);
}

}  // namespace

bool is_pci_address(const std::string& device) {
  static const std::regex pci("^([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\\.[0-7]$");
  return std::regex_match(device, pci);
}

std::string device_port_name(const std::string& device) {
  if (is_pci_address(device)) return device.size() == 7 ? "0000:" + device : device;
  return device.substr(0, device.find(','));
}

Result<ApplianceConfig> load_config(const std::string& path) {
  {
    std::ifstream probe(path);
    if (!probe) return Status::error(path + ": cannot read the config file: " + std::strerror(errno));
  }
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return Status::error(path + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description()));
  }
  ApplianceConfig c;
  c.path = path;
  std::string err;

  // Each known key: where it lives and how to store it. Anything else is refused.
  auto str = [&](const toml::table& t, const char* key, std::string& out) {
    if (const toml::node* n = t.get(key)) {
      if (!n->is_string()) err = where(path, *n) + ": '" + key + "' must be a string";
      else out = n->as_string()->get();
    }
  };
  auto u32 = [&](const toml::table& t, const char* key, uint32_t& out, uint32_t lo, uint32_t hi) {
    if (const toml::node* n = t.get(key)) {
      if (!n->is_integer() || n->as_integer()->get() < lo || n->as_integer()->get() > hi)
        err = where(path, *n) + ": '" + key + "' must be an integer from " + std::to_string(lo) + " to " +
              std::to_string(hi);
      else out = static_cast<uint32_t>(n->as_integer()->get());
    }
  };
  auto boolean = [&](const toml::table& t, const char* key, bool& out) {
    if (const toml::node* n = t.get(key)) {
      if (!n->is_boolean()) err = where(path, *n) + ": '" + key + "' must be true or false";
      else out = n->as_boolean()->get();
    }
  };
  auto strings = [&](const toml::table& t, const char* key, std::vector<std::string>& out) {
    if (const toml::node* n = t.get(key)) {
      const toml::array* a = n->as_array();
      if (a == nullptr) {
        err = where(path, *n) + ": '" + key + "' must be an array of strings";
        return;
      }
      out.clear();
      for (const toml::node& e : *a) {
        if (!e.is_string()) {
          err = where(path, e) + ": '" + key + "' must hold only strings";
          return;
        }
        out.push_back(e.as_string()->get());
      }
    }
  };
  auto only = [&](const toml::table& t, const std::string& section, std::set<std::string> keys) {
    for (const auto& [k, v] : t) {
      if (keys.count(std::string(k.str())) == 0 && err.empty())
        err = where(path, v) + ": unknown key '" + std::string(k.str()) + "'" +
              (section.empty() ? "" : " in [" + section + "]");
    }
  };

  only(root, "", {"instance", "state_dir", "shm_dir", "control", "dataplane", "xdp", "network", "metrics", "events",
                  "guards", "history"});
  str(root, "instance", c.instance);
  str(root, "state_dir", c.state_dir);
  str(root, "shm_dir", c.shm_dir);
  auto section = [&](const char* name) -> const toml::table* {
    const toml::node* n = root.get(name);
    if (n == nullptr) return nullptr;
    if (!n->is_table()) {
      err = where(path, *n) + ": '" + name + "' must be a section";
      return nullptr;
    }
    return n->as_table();
  };
  if (const toml::table* t = section("control")) {
    only(*t, "control", {"socket", "socket_group", "user", "publish_timeout_ms", "keep_tables"});
    str(*t, "socket", c.socket_path);
    str(*t, "socket_group", c.socket_group);
    str(*t, "user", c.control_user);
    u32(*t, "publish_timeout_ms", c.publish_timeout_ms, 100, 600000);
    u32(*t, "keep_tables", c.keep_tables, 2, 64);
  }
  if (const toml::table* t = section("dataplane")) {
    only(*t, "dataplane", {"lcores", "workers", "distribute", "hugepages", "memory_mb", "eal_args", "inside", "outside",
                           "mirror", "flow_capacity", "reassembly_buffers", "mbufs", "on_no_table",
                           "unreadable"});
    str(*t, "lcores", c.lcores);
    u32(*t, "workers", c.workers, 1, 16);
    str(*t, "distribute", c.distribute);
    if (err.empty() && c.distribute != "auto" && c.distribute != "rss" && c.distribute != "ring")
      err = where(path, *t->get("distribute")) + ": 'distribute' must be \"auto\", \"rss\" or \"ring\"";
    boolean(*t, "hugepages", c.hugepages);
    u32(*t, "memory_mb", c.memory_mb, 64, 1u << 20);
    strings(*t, "eal_args", c.eal_args);
    str(*t, "inside", c.inside);
    str(*t, "outside", c.outside);
    str(*t, "mirror", c.mirror);
    u32(*t, "flow_capacity", c.flow_capacity, 1024, 1u << 28);
    u32(*t, "reassembly_buffers", c.reassembly_buffers, 16, 65535);
    u32(*t, "mbufs", c.mbufs, 1023, 1u << 24);
    str(*t, "on_no_table", c.on_no_table);
    if (err.empty() && c.on_no_table != "drop" && c.on_no_table != "forward")
      err = where(path, *t->get("on_no_table")) + ": 'on_no_table' must be \"drop\" or \"forward\"";
    str(*t, "unreadable", c.unreadable);
    if (err.empty() && c.unreadable != "drop" && c.unreadable != "pass")
      err = where(path, *t->get("unreadable")) + ": 'unreadable' must be \"drop\" or \"pass\"";
  }
  if (const toml::table* t = section("xdp")) {
    only(*t, "xdp", {"interfaces", "mode", "on_load_failure", "on_crash", "flow_capacity", "flow_idle_seconds",
                     "alert_mark", "mirror_mark"});
    strings(*t, "interfaces", c.xdp_interfaces);
    str(*t, "mode", c.xdp_mode);
    str(*t, "on_load_failure", c.xdp_on_load_failure);
    str(*t, "on_crash", c.xdp_on_crash);
    u32(*t, "flow_capacity", c.xdp_flow_capacity, 1024, 1u << 24);
    u32(*t, "flow_idle_seconds", c.xdp_flow_idle_seconds, 1, 86400);
    u32(*t, "alert_mark", c.xdp_alert_mark, 0, 0xffffffffu);
    u32(*t, "mirror_mark", c.xdp_mirror_mark, 0, 0xffffffffu);
    auto one_of = [&](const char* key, const std::string& v, std::initializer_list<const char*> allowed) {
      if (!err.empty() || t->get(key) == nullptr) return;
      std::string names;
      for (const char* a : allowed) {
        if (v == a) return;
        names += std::string(names.empty() ? "\"" : ", \"") + a + "\"";
      }
      err = where(path, *t->get(key)) + ": '" + key + "' must be one of " + names;
    };
    one_of("mode", c.xdp_mode, {"native", "generic", "auto"});
    one_of("on_load_failure", c.xdp_on_load_failure, {"exit", "link-down"});
    one_of("on_crash", c.xdp_on_crash, {"detach", "keep"});
    if (err.empty()) {
      static const std::regex ifname("^[A-Za-z0-9_.@-]{1,15}$");
      std::set<std::string> seen;
      const toml::node* n = t->get("interfaces");
      for (const std::string& i : c.xdp_interfaces) {
        if (!std::regex_match(i, ifname))
          err = where(path, *n) + ": 'interfaces': '" + i + "' is not an interface name (1 to 15 characters)";
        else if (!seen.insert(i).second)
          err = where(path, *n) + ": 'interfaces' names '" + i + "' twice";
        if (!err.empty()) break;
      }
      if (err.empty() && c.xdp_interfaces.size() > 4)
        err = where(path, *n) + ": 'interfaces': at most 4 (one port slot each in the control block)";
    }
  }
  if (const toml::table* t = section("network")) {
    only(*t, "network", {"internal"});
    strings(*t, "internal", c.internal_networks);
  }
  if (const toml::table* t = section("metrics")) {
    only(*t, "metrics", {"listen"});
    str(*t, "listen", c.metrics_listen);
  }
  if (const toml::table* t = section("events")) {
    only(*t, "events", {"path", "max_bytes", "keep", "syslog", "rate_limit_per_s"});
    str(*t, "path", c.events_path);
    if (const toml::node* n = t->get("max_bytes")) {
      if (!n->is_integer() || n->as_integer()->get() < 1024)
        err = where(path, *n) + ": 'max_bytes' must be an integer of at least 1024";
      else c.events_max_bytes = static_cast<uint64_t>(n->as_integer()->get());
    }
    u32(*t, "keep", c.events_keep, 0, 1000);
    boolean(*t, "syslog", c.events_syslog);
    u32(*t, "rate_limit_per_s", c.events_rate_limit_per_s, 0, 10000000);
  }
  if (const toml::table* t = section("guards")) {
    only(*t, "guards", {"allowlist", "min_prefix_v4", "min_prefix_v6", "max_shrink_percent"});
    str(*t, "allowlist", c.guards_allowlist);
    u32(*t, "min_prefix_v4", c.guards_min_prefix_v4, 0, 32);
    u32(*t, "min_prefix_v6", c.guards_min_prefix_v6, 0, 128);
    u32(*t, "max_shrink_percent", c.guards_max_shrink_percent, 0, 100);
  }
  if (const toml::table* t = section("history")) {
    only(*t, "history", {"enabled", "dir", "days", "max_bytes", "idle_timeout_s", "active_timeout_s", "ipfix"});
    boolean(*t, "enabled", c.history_enabled);
    str(*t, "dir", c.history_dir);
    u32(*t, "days", c.history_days, 1, 3650);
    if (const toml::node* n = t->get("max_bytes")) {
      if (!n->is_integer() || n->as_integer()->get() < (1 << 20))
        err = where(path, *n) + ": 'max_bytes' must be an integer of at least 1048576 (1 MiB)";
      else c.history_max_bytes = static_cast<uint64_t>(n->as_integer()->get());
    }
    u32(*t, "idle_timeout_s", c.history_idle_timeout_s, 1, 3600);
    u32(*t, "active_timeout_s", c.history_active_timeout_s, 1, 86400);
    str(*t, "ipfix", c.history_ipfix);
    if (err.empty() && !c.history_dir.empty() && c.history_dir[0] != '/')
      err = where(path, *t->get("dir")) + ": [history] 'dir' must be an absolute path (or \"\" for <state_dir>/history)";
    if (err.empty() && c.history_active_timeout_s < c.history_idle_timeout_s) {
      const toml::node* at = t->get("active_timeout_s") ? t->get("active_timeout_s") : t->get("idle_timeout_s");
      err = where(path, *at) + ": [history] 'active_timeout_s' must be at least 'idle_timeout_s'";
    }
  }
  if (err.empty()) {
    static const std::regex name("^[A-Za-z0-9_.-]{1,32}$");
    if (!std::regex_match(c.instance, name))
      err = path + ": 'instance' must be 1 to 32 letters, digits, '_', '.', '-'";
    else if (c.state_dir.empty() || c.state_dir[0] != '/')
      err = path + ": 'state_dir' must be an absolute path";
    else if (c.shm_dir.empty() || c.shm_dir[0] != '/')
      err = path + ": 'shm_dir' must be an absolute path";
    else if (c.control_user.empty())
      err = path + ": [control] 'user' must name a user";
  }
  if (c.events_path.empty()) c.events_path = c.state_dir + "/events.log";
  if (!err.empty()) return Status::error(err);
  return c;
}

}  // namespace iocgate
