// Explicit errors for every fallible call in kiln: Error (code + message + optional Dockerfile
// location) and Result<T> = std::expected<T, Error>. cli/ turns an Error into one line + exit code.
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/source_range.h"

namespace kiln::core {

enum class ErrorCode {
  kInvalidInput,   // bad Dockerfile, flag, reference, archive, JSON...
  kNotFound,       // image, blob, file or stage that does not exist
  kUnauthorized,   // registry refused the credentials
  kConflict,       // already exists, lock held, digest mismatch
  kIo,             // local file system failure
  kNetwork,        // registry unreachable, connection dropped, 5xx after retries
  kRuntime,        // a build step (RUN) failed
  kUnsupported,    // valid input kiln cannot do (on this host)
  kCancelled,      // Ctrl-C
  kInternal,       // a bug: should not happen
};

// Short lower-case name of a code ("invalid input", "not found", ...).
std::string_view ErrorCodeName(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  std::optional<SourceRange> location;

  // Adds context in front of the message: Wrap("pushing layer sha256:ab") gives
  // "pushing layer sha256:ab: <message>". The location and code are kept.
  Error Wrap(std::string_view context) const&;
  Error Wrap(std::string_view context) &&;

  // One line: "FILE:LINE:COL: message" when located, else "message".
  std::string ToString() const;
};

template <typename T>
using Result = std::expected<T, Error>;
using Status = Result<void>;

// Builds an unexpected Error; `return Fail(ErrorCode::kNotFound, "no such stage " + name);`
inline std::unexpected<Error> Fail(ErrorCode code, std::string message) {
  return std::unexpected(Error{code, std::move(message), std::nullopt});
}
inline std::unexpected<Error> Fail(ErrorCode code, std::string message, SourceRange where) {
  return std::unexpected(Error{code, std::move(message), std::move(where)});
}
inline std::unexpected<Error> Fail(Error error) { return std::unexpected(std::move(error)); }

// Returns the error of `expr` (a Result) from the enclosing function, or continues.
#define KILN_TRY(expr)                                            \
  do {                                                            \
    if (auto kiln_try_r_ = (expr); !kiln_try_r_)                  \
      return std::unexpected(std::move(kiln_try_r_).error());     \
  } while (0)

// `KILN_ASSIGN(auto x, Call());` declares x from a Result or returns its error.
#define KILN_ASSIGN_CAT2_(a, b) a##b
#define KILN_ASSIGN_CAT_(a, b) KILN_ASSIGN_CAT2_(a, b)
#define KILN_ASSIGN(lhs, expr) KILN_ASSIGN_IMPL_(KILN_ASSIGN_CAT_(kiln_r_, __LINE__), lhs, expr)
#define KILN_ASSIGN_IMPL_(tmp, lhs, expr)                   \
  auto tmp = (expr);                                        \
  if (!tmp) return std::unexpected(std::move(tmp).error()); \
  lhs = std::move(*tmp)

}  // namespace kiln::core
