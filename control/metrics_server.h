// control/metrics_server.h — serves GET /metrics (Prometheus text format 0.0.4) on the
// address of the config's [metrics] listen, from a thread of its own. Each scrape renders a
// fresh snapshot through the callback; nothing is cached.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace iocgate {

class MetricsServer {
 public:
  explicit MetricsServer(std::function<std::string()> render);
  ~MetricsServer();

  // "127.0.0.1:9108", "[::1]:9108", ":9108" (every address). False with *error when the
  // address is malformed or cannot be bound.
  bool start(const std::string& listen, std::string* error);
  void stop();

 private:
  std::function<std::string()> render_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace iocgate
