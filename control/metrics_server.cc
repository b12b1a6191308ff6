// control/metrics_server.cc — cpp-httplib (Debian libcpp-httplib-dev) behind MetricsServer.

#include "control/metrics_server.h"

#include <httplib.h>

namespace iocgate {

MetricsServer::MetricsServer(std::function<std::string()> render) : render_(std::move(render)) {}

MetricsServer::~MetricsServer() { stop(); }

bool MetricsServer::start(const std::string& listen, std::string* error) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    *error = "metrics listen '" + listen + "': use HOST:PORT";
    return false;
  }
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  int port = -1;
  try {
    port = std::stoi(listen.substr(colon + 1));
  } catch (...) {
  }
  if (port <= 0 || port > 65535) {
    *error = "metrics listen '" + listen + "': bad port";
    return false;
  }
  server_ = std::make_unique<httplib::Server>();
  server_->set_keep_alive_max_count(100);
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(render_(), "text/plain; version=0.0.4; charset=utf-8");
  });
  server_->Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("iocgate: metrics at /metrics\n", "text/plain");
  });
  if (!server_->bind_to_port(host.c_str(), port)) {
    *error = "metrics listen '" + listen + "': cannot bind";
    server_.reset();
    return false;
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return true;
}

void MetricsServer::stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

}  // namespace iocgate
