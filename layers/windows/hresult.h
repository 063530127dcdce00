// HRESULTs returned by the Host Compute Service (computecore.dll, vmcompute.dll) and the Win32
// calls around it, and their translation into core::Error (hcs-api.md 1.6). Platform-neutral: the
// numbers are plain integers so the table is unit-tested on Linux.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"

namespace kiln::layers::windows {

using HResult = int32_t;

constexpr HResult HResultOf(uint32_t value) { return static_cast<HResult>(value); }
constexpr bool Failed(HResult hr) { return hr < 0; }
// HRESULT_FROM_WIN32: 0x8007xxxx for a Win32 error code (0 stays 0).
constexpr HResult HResultFromWin32(uint32_t code) {
  return code == 0 ? 0 : HResultOf(0x80070000u | (code & 0xFFFFu));
}

inline constexpr HResult kOk = 0;
// HCS (facility 0x37). The same conditions also arrive as 0xC037xxxx (vmcompute.dll); compare
// through Canonical().
inline constexpr HResult kHcsTerminatedDuringStart = HResultOf(0x80370100);
inline constexpr HResult kHcsImageMismatch = HResultOf(0x80370101);
inline constexpr HResult kHcsHyperVNotInstalled = HResultOf(0x80370102);
inline constexpr HResult kHcsInvalidState = HResultOf(0x80370105);
inline constexpr HResult kHcsUnexpectedExit = HResultOf(0x80370106);
inline constexpr HResult kHcsTerminated = HResultOf(0x80370107);
inline constexpr HResult kHcsInvalidJson = HResultOf(0x8037010D);
inline constexpr HResult kHcsSystemNotFound = HResultOf(0x8037010E);
inline constexpr HResult kHcsSystemAlreadyExists = HResultOf(0x8037010F);
inline constexpr HResult kHcsSystemAlreadyStopped = HResultOf(0x80370110);
inline constexpr HResult kHcsInvalidLayer = HResultOf(0x80370112);
inline constexpr HResult kHcsServiceNotAvailable = HResultOf(0x80370114);
inline constexpr HResult kHcsOperationNotStarted = HResultOf(0x80370115);
inline constexpr HResult kHcsOperationPending = HResultOf(0x80370117);
inline constexpr HResult kHcsOperationTimeout = HResultOf(0x80370118);
inline constexpr HResult kHcsCallbackAlreadySet = HResultOf(0x80370119);
inline constexpr HResult kHcsAccessDenied = HResultOf(0x8037011B);
inline constexpr HResult kHcsServiceDisconnect = HResultOf(0x8037011E);
inline constexpr HResult kHcsProcessAlreadyStopped = HResultOf(0x8037011F);
// Win32 errors seen around layer operations.
inline constexpr HResult kWin32FileNotFound = HResultFromWin32(2);
inline constexpr HResult kWin32PathNotFound = HResultFromWin32(3);
inline constexpr HResult kWin32AccessDenied = HResultFromWin32(5);
inline constexpr HResult kWin32NotReady = HResultFromWin32(21);
inline constexpr HResult kWin32SharingViolation = HResultFromWin32(32);
inline constexpr HResult kWin32AlreadyExists = HResultFromWin32(183);
inline constexpr HResult kWin32WaitTimeout = HResultFromWin32(258);
inline constexpr HResult kWin32DeviceNotConnected = HResultFromWin32(1167);
inline constexpr HResult kWin32PrivilegeNotHeld = HResultFromWin32(1314);
inline constexpr HResult kWin32NotAllAssigned = HResultFromWin32(1300);

// Clears the 0x40000000 bit so 0xC037xxxx and 0x8037xxxx compare equal (hcs-api.md 1.6).
constexpr HResult Canonical(HResult hr) {
  return HResultOf(static_cast<uint32_t>(hr) & ~0x40000000u);
}
constexpr bool SameHResult(HResult a, HResult b) { return Canonical(a) == Canonical(b); }

// "0x80370101".
std::string HResultHex(HResult hr);

// The symbolic name and a sentence for a known HRESULT ("HCS_E_IMAGE_MISMATCH: the container's
// Windows build does not match the host's"); empty name for unknown values.
struct HResultInfo {
  std::string_view name;
  std::string_view text;
  core::ErrorCode code = core::ErrorCode::kRuntime;
};
HResultInfo DescribeHResult(HResult hr);

// Builds the error for a failed HCS or layer call: "<context>: <text> (<hex>)", followed by the
// ErrorMessage and ErrorEvents[].Message of a ResultError document when `result_document` holds
// one (HCS returns it from operations). The ErrorCode comes from the table (kRuntime if unknown).
core::Error HcsError(std::string_view context, HResult hr, std::string_view result_document = {});

}  // namespace kiln::layers::windows
