// Status and Result<T>: how every layer below the gRPC adapter reports failure.
//
// Domain and store code never throw across layers; they return a Status (or a Result<T> holding
// either a value or a non-OK Status). A message names the field or the state it is about, e.g.
// "branch_id: must not be empty" or "ticket A023 is 'waiting'; only a 'serving' ticket can be
// completed". Exactly one function, ToGrpcStatus (grpc_status.h), turns a Status into a
// grpc::Status. An OK Status holds an empty string and costs no allocation.
// Thread safety: values; safe to copy between threads.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace csops {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // the request is malformed; names the field
  kNotFound,            // the named entity does not exist
  kAlreadyExists,       // e.g. an idempotency key reused with a different request
  kFailedPrecondition,  // the entity is in a state that forbids the operation
  kOutOfRange,          // e.g. a ticket number range is exhausted
  kPermissionDenied,    // the caller may not do this
  kUnauthenticated,     // the caller is not known
  kResourceExhausted,   // a quota or capacity limit
  kAborted,             // a concurrency conflict; retry may succeed
  kUnavailable,         // storage or a dependency is down; retry later
  kDeadlineExceeded,    // ran out of time
  kInternal,            // a bug or corruption
};

// Stable lower-case name, e.g. "invalid_argument"; used in logs.
std::string_view StatusCodeName(StatusCode code);

class Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) {
    return {StatusCode::kInvalidArgument, std::move(m)};
  }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status FailedPrecondition(std::string m) {
    return {StatusCode::kFailedPrecondition, std::move(m)};
  }
  static Status OutOfRange(std::string m) { return {StatusCode::kOutOfRange, std::move(m)}; }
  static Status PermissionDenied(std::string m) {
    return {StatusCode::kPermissionDenied, std::move(m)};
  }
  static Status Unauthenticated(std::string m) {
    return {StatusCode::kUnauthenticated, std::move(m)};
  }
  static Status ResourceExhausted(std::string m) {
    return {StatusCode::kResourceExhausted, std::move(m)};
  }
  static Status Aborted(std::string m) { return {StatusCode::kAborted, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status DeadlineExceeded(std::string m) {
    return {StatusCode::kDeadlineExceeded, std::move(m)};
  }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "invalid_argument: branch_id: must not be empty", or "ok".
  std::string ToString() const;

  // Returns a copy whose message is "<prefix>: <message>"; OK stays OK.
  Status WithContext(std::string_view prefix) const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Either a T or a non-OK Status. REQUIRES: a Result is never built from an OK Status.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    if (std::get<Status>(v_).ok()) v_ = Status::Internal("Result built from an OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  // OK when a value is held.
  Status status() const { return ok() ? Status() : std::get<Status>(v_); }
  // REQUIRES: ok().
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace csops

// Returns early from the enclosing function when `expr` yields a non-OK Status.
#define CSOPS_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::csops::Status csops_status_ = (expr);        \
    if (!csops_status_.ok()) return csops_status_; \
  } while (0)
