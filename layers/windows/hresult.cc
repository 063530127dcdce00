#include "layers/windows/hresult.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace kiln::layers::windows {
namespace {

using core::ErrorCode;

struct Row {
  uint32_t hr;
  std::string_view name;
  std::string_view text;
  ErrorCode code;
};

// Texts follow the Virtualization-Documentation HCSHResult page and what a builder's user needs
// to do about each condition.
constexpr Row kTable[] = {
    {0x80370100, "HCS_E_TERMINATED_DURING_START", "the container stopped while it was starting",
     ErrorCode::kRuntime},
    {0x80370101, "HCS_E_IMAGE_MISMATCH",
     "the container's Windows build does not match the host's (process isolation needs a "
     "compatible host build, Hyper-V isolation a host build no older than the image's)",
     ErrorCode::kUnsupported},
    {0x80370102, "HCS_E_HYPERV_NOT_INSTALLED",
     "a required Windows feature is not installed (enable the Containers feature, and "
     "Hyper-V for Hyper-V isolation, then reboot)",
     ErrorCode::kUnsupported},
    {0x80370105, "HCS_E_INVALID_STATE", "the container is in a state that does not allow this",
     ErrorCode::kRuntime},
    {0x80370106, "HCS_E_UNEXPECTED_EXIT", "the container exited unexpectedly", ErrorCode::kRuntime},
    {0x80370107, "HCS_E_TERMINATED", "the container was forcefully terminated",
     ErrorCode::kRuntime},
    {0x8037010D, "HCS_E_INVALID_JSON", "HCS rejected the configuration document",
     ErrorCode::kInternal},
    {0x8037010E, "HCS_E_SYSTEM_NOT_FOUND", "no such container", ErrorCode::kNotFound},
    {0x8037010F, "HCS_E_SYSTEM_ALREADY_EXISTS", "a container with this id already exists",
     ErrorCode::kConflict},
    {0x80370110, "HCS_E_SYSTEM_ALREADY_STOPPED", "the container is already stopped",
     ErrorCode::kRuntime},
    {0x80370112, "HCS_E_INVALID_LAYER", "a layer is damaged or in an unrecognized format",
     ErrorCode::kInvalidInput},
    {0x80370114, "HCS_E_SERVICE_NOT_AVAILABLE",
     "the Host Compute Service is not available (is the Containers feature enabled and the "
     "vmcompute service running?)",
     ErrorCode::kUnsupported},
    {0x80370115, "HCS_E_OPERATION_NOT_STARTED", "the operation was never started",
     ErrorCode::kInternal},
    {0x80370117, "HCS_E_OPERATION_PENDING", "the operation is still running", ErrorCode::kRuntime},
    {0x80370118, "HCS_E_OPERATION_TIMEOUT", "the operation timed out", ErrorCode::kRuntime},
    {0x80370119, "HCS_E_OPERATION_SYSTEM_CALLBACK_ALREADY_SET",
     "an event callback is already registered", ErrorCode::kInternal},
    {0x8037011B, "HCS_E_ACCESS_DENIED",
     "access denied: run kiln elevated (as Administrator or a member of Hyper-V Administrators)",
     ErrorCode::kUnsupported},
    {0x8037011E, "HCS_E_SERVICE_DISCONNECT", "lost the connection to the Host Compute Service",
     ErrorCode::kRuntime},
    {0x8037011F, "HCS_E_PROCESS_ALREADY_STOPPED", "the process has already exited",
     ErrorCode::kRuntime},
    {0x80070002, "ERROR_FILE_NOT_FOUND", "file not found", ErrorCode::kNotFound},
    {0x80070003, "ERROR_PATH_NOT_FOUND", "path not found", ErrorCode::kNotFound},
    {0x80070005, "E_ACCESSDENIED", "access denied (is kiln elevated?)", ErrorCode::kIo},
    {0x80070015, "ERROR_NOT_READY", "the device is not ready", ErrorCode::kRuntime},
    {0x80070050, "ERROR_FILE_EXISTS", "the file already exists", ErrorCode::kConflict},
    {0x80070091, "ERROR_DIR_NOT_EMPTY", "the directory is not empty", ErrorCode::kIo},
    {0x8007006D, "ERROR_BROKEN_PIPE", "the pipe has been ended", ErrorCode::kIo},
    {0x800703E3, "ERROR_OPERATION_ABORTED", "the I/O operation was cancelled", ErrorCode::kIo},
    {0x80070020, "ERROR_SHARING_VIOLATION", "the file is in use by another process",
     ErrorCode::kIo},
    {0x800700B7, "ERROR_ALREADY_EXISTS", "the file already exists", ErrorCode::kConflict},
    {0x80070102, "WAIT_TIMEOUT", "the wait timed out", ErrorCode::kRuntime},
    {0x8007048F, "ERROR_DEVICE_NOT_CONNECTED", "the device is not connected", ErrorCode::kRuntime},
    {0x80070514, "ERROR_NOT_ALL_ASSIGNED", "a required privilege is not held",
     ErrorCode::kUnsupported},
    {0x80070522, "ERROR_PRIVILEGE_NOT_HELD", "a required privilege is not held (run kiln elevated)",
     ErrorCode::kUnsupported},
    {0x80070032, "ERROR_NOT_SUPPORTED", "not supported", ErrorCode::kUnsupported},
    {0x80070057, "E_INVALIDARG", "invalid argument", ErrorCode::kInternal},
    {0x8007007E, "ERROR_MOD_NOT_FOUND", "a required DLL was not found", ErrorCode::kUnsupported},
    {0x8007007F, "ERROR_PROC_NOT_FOUND", "a required DLL function was not found",
     ErrorCode::kUnsupported},
    {0x80070070, "ERROR_DISK_FULL", "the disk is full", ErrorCode::kIo},
    {0x8007000E, "E_OUTOFMEMORY", "out of memory", ErrorCode::kRuntime},
};

// Appends ResultError's ErrorMessage and ErrorEvents[].Message (hcsshim does the same).
void AppendResultError(std::string& out, std::string_view document) {
  if (document.empty()) return;
  auto j = nlohmann::json::parse(document, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return;
  auto message = j.find("ErrorMessage");
  if (message != j.end() && message->is_string() && !message->get<std::string>().empty())
    out += ": " + message->get<std::string>();
  auto events = j.find("ErrorEvents");
  if (events == j.end() || !events->is_array()) return;
  for (const auto& e : *events) {
    auto m = e.find("Message");
    if (m != e.end() && m->is_string() && !m->get<std::string>().empty())
      out += "; " + m->get<std::string>();
  }
}

}  // namespace

std::string HResultHex(HResult hr) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08X", static_cast<unsigned>(static_cast<uint32_t>(hr)));
  return buf;
}

HResultInfo DescribeHResult(HResult hr) {
  const uint32_t canonical = static_cast<uint32_t>(Canonical(hr));
  for (const auto& row : kTable)
    if (row.hr == canonical) return {row.name, row.text, row.code};
  return {};
}

core::Error HcsError(std::string_view context, HResult hr, std::string_view result_document) {
  HResultInfo info = DescribeHResult(hr);
  std::string message(context);
  message += ": ";
  message += info.name.empty() ? std::string_view("failed") : info.text;
  message += " (" + HResultHex(hr) + ")";
  AppendResultError(message, result_document);
  return core::Error{info.name.empty() ? core::ErrorCode::kRuntime : info.code, message,
                     std::nullopt};
}

}  // namespace kiln::layers::windows
