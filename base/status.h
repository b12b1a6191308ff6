// base/status.h — the one error type of everything off the hot path except the feed parsers
// (which report FeedError with file and line): config, shared memory, table files, control.
// A Status is ok or carries a message a person can act on; a Result<T> is a value or that.
#pragma once

#include <cstdlib>
#include <cstdio>
#include <string>
#include <utility>
#include <variant>

namespace iocgate {

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  static Status error(std::string message) { return Status(std::move(message)); }

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  // The message: "/var/lib/iocgate/feeds/x.json: checksum mismatch; push the feed again".
  const std::string& message() const { return message_; }

  // The same error with context in front: "initial publish: " + message.
  Status prefixed(const std::string& context) const {
    return ok() ? *this : Status(context + message_);
  }

 private:
  explicit Status(std::string m) : failed_(true), message_(std::move(m)) {}
  bool failed_ = false;
  std::string message_;
};

inline Status ok_status() { return Status(); }

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}                    // NOLINT: implicit on purpose
  Result(Status error) : v_(std::move(error)) {                // NOLINT
    if (std::get<Status>(v_).ok()) {
      std::fputs("iocgate: Result built from an ok Status (a bug)\n", stderr);
      std::abort();
    }
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &std::get<T>(v_); }
  const T* operator->() const { return &std::get<T>(v_); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  // The error; an ok Status when there is a value.
  Status status() const { return ok() ? Status() : std::get<Status>(v_); }
  const std::string& message() const {
    static const std::string kNone;
    return ok() ? kNone : std::get<Status>(v_).message();
  }

 private:
  std::variant<T, Status> v_;
};

}  // namespace iocgate
