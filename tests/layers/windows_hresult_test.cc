// The HRESULT table: both encodings of an HCS error map to the same clear message and code, and
// HCS result documents add their details.
#include <catch2/catch.hpp>

#include "layers/windows/hresult.h"

namespace win = kiln::layers::windows;
using kiln::core::ErrorCode;

TEST_CASE("0xC037xxxx and 0x8037xxxx are the same HCS condition", "[unit]") {
  CHECK(win::SameHResult(win::HResultOf(0xC0370101), win::kHcsImageMismatch));
  CHECK(win::Canonical(win::HResultOf(0xC0370110)) == win::kHcsSystemAlreadyStopped);
  CHECK_FALSE(win::SameHResult(win::kHcsImageMismatch, win::kHcsInvalidLayer));
  CHECK(win::DescribeHResult(win::HResultOf(0xC0370101)).name == "HCS_E_IMAGE_MISMATCH");
}

TEST_CASE("HRESULTs become errors with a sentence, the code and the hex value", "[unit]") {
  auto e = win::HcsError("creating container kiln-1", win::HResultOf(0xC0370101));
  CHECK(e.code == ErrorCode::kUnsupported);
  CHECK(e.message ==
        "creating container kiln-1: the container's Windows build does not match the host's "
        "(process isolation needs a compatible host build, Hyper-V isolation a host build no "
        "older than the image's) (0xC0370101)");
  CHECK(win::HcsError("starting utility VM kiln-1@vm", win::HResultOf(0x80370102)).message ==
        "starting utility VM kiln-1@vm: a required Windows feature is not installed (enable the "
        "Containers feature, and Hyper-V for Hyper-V isolation, then reboot) (0x80370102)");
  CHECK(win::HcsError("x", win::kHcsAccessDenied).message.find("elevated") != std::string::npos);
  CHECK(win::HcsError("x", win::kWin32SharingViolation).code == ErrorCode::kIo);
  CHECK(win::HcsError("x", win::HResultFromWin32(1314)).message ==
        "x: a required privilege is not held (run kiln elevated) (0x80070522)");
}

TEST_CASE("unknown HRESULTs still name their value", "[unit]") {
  auto e = win::HcsError("PrepareLayer", win::HResultOf(0x8037FFFF));
  CHECK(e.code == ErrorCode::kRuntime);
  CHECK(e.message == "PrepareLayer: failed (0x8037FFFF)");
  CHECK(win::HResultHex(0) == "0x00000000");
  CHECK(win::HResultFromWin32(0) == 0);
  CHECK(win::HResultFromWin32(5) == win::kWin32AccessDenied);
}

TEST_CASE("a ResultError document adds ErrorMessage and each ErrorEvents message", "[unit]") {
  std::string doc =
      R"({"Error":-2143878911,"ErrorMessage":"The container operating system does not match )"
      R"(the host operating system.","ErrorEvents":[{"Message":"image build 20348","Provider":)"
      R"("x"},{"Message":""},{"EventId":3}]})";
  auto e = win::HcsError("starting", win::kHcsImageMismatch, doc);
  CHECK(e.message.ends_with(
      "(0x80370101): The container operating system does not match the host operating "
      "system.; image build 20348"));
  auto garbage = win::HcsError("starting", win::kHcsImageMismatch, "{not json");
  CHECK(garbage.message.ends_with("(0x80370101)"));
}
