#include "core/error.h"

namespace kiln::core {

std::string SourceRange::ToString() const {
  std::string out = file.empty() ? std::string() : file + ":";
  out += std::to_string(start.line) + ":" + std::to_string(start.column);
  return out;
}

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidInput: return "invalid input";
    case ErrorCode::kNotFound: return "not found";
    case ErrorCode::kUnauthorized: return "unauthorized";
    case ErrorCode::kConflict: return "conflict";
    case ErrorCode::kIo: return "i/o error";
    case ErrorCode::kNetwork: return "network error";
    case ErrorCode::kRuntime: return "step failed";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kCancelled: return "cancelled";
    case ErrorCode::kInternal: return "internal error";
  }
  return "error";
}

Error Error::Wrap(std::string_view context) const& {
  Error copy = *this;
  return std::move(copy).Wrap(context);
}

Error Error::Wrap(std::string_view context) && {
  message = std::string(context) + ": " + message;
  return std::move(*this);
}

std::string Error::ToString() const {
  if (location && location->valid()) return location->ToString() + ": " + message;
  return message;
}

}  // namespace kiln::core
