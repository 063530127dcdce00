// registry/credential_helper.h on Windows: `docker-credential-<name>.exe` (wincred, desktop...)
// found on PATH with SearchPathW and started with CreateProcessW, the request on a stdin pipe
// and the answer read from a stdout pipe, as docker does. Only the two pipe ends the helper
// uses are inheritable.
#include <windows.h>

#include <string>

#include "core/windows/win_text.h"
#include "registry/credential_helper.h"

namespace kiln::registry {
namespace {

// The system's text for `error`, with its %1 (the file concerned, e.g. in "%1 is not a valid
// Win32 application") replaced by `subject`.
std::string Win32Message(DWORD error, std::string_view subject) {
  wchar_t* text = nullptr;
  DWORD n = FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM |
                               FORMAT_MESSAGE_IGNORE_INSERTS,
                           nullptr, error, 0, reinterpret_cast<wchar_t*>(&text), 0, nullptr);
  std::string out = n ? sys::WideToUtf8(std::wstring_view(text, n)) : "error " + std::to_string(error);
  if (text) LocalFree(text);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == '.'))
    out.pop_back();
  for (size_t at = out.find("%1"); at != std::string::npos; at = out.find("%1", at + subject.size()))
    out.replace(at, 2, subject);
  return out;
}

struct Handle {
  HANDLE h = nullptr;
  ~Handle() { Close(); }
  void Close() {
    if (h && h != INVALID_HANDLE_VALUE) CloseHandle(h);
    h = nullptr;
  }
};

}  // namespace

core::Result<HelperResult> RunCredentialHelper(std::string_view name, std::string_view action,
                                               std::string_view input) {
  std::string program = "docker-credential-" + std::string(name);
  std::wstring exe = sys::Utf8ToWide(program + ".exe");
  std::wstring path(32768, L'\0');
  DWORD n = SearchPathW(nullptr, exe.c_str(), nullptr, static_cast<DWORD>(path.size()),
                        path.data(), nullptr);
  if (n == 0 || n >= path.size())
    return core::Fail(core::ErrorCode::kNotFound,
                      "credential helper " + program + " not found on PATH");
  path.resize(n);

  SECURITY_ATTRIBUTES inherit{sizeof inherit, nullptr, TRUE};
  Handle in_read, in_write, out_read, out_write;
  if (!CreatePipe(&in_read.h, &in_write.h, &inherit, 0) ||
      !CreatePipe(&out_read.h, &out_write.h, &inherit, 0))
    return core::Fail(core::ErrorCode::kIo, "pipe: " + Win32Message(GetLastError(), "pipe"));
  // kiln's own ends stay in kiln.
  SetHandleInformation(in_write.h, HANDLE_FLAG_INHERIT, 0);
  SetHandleInformation(out_read.h, HANDLE_FLAG_INHERIT, 0);

  STARTUPINFOW si{};
  si.cb = sizeof si;
  si.dwFlags = STARTF_USESTDHANDLES;
  si.hStdInput = in_read.h;
  si.hStdOutput = out_write.h;
  si.hStdError = GetStdHandle(STD_ERROR_HANDLE);
  std::wstring command = L"\"" + path + L"\" " + sys::Utf8ToWide(action);
  PROCESS_INFORMATION pi{};
  if (!CreateProcessW(path.c_str(), command.data(), nullptr, nullptr, TRUE, CREATE_NO_WINDOW,
                      nullptr, nullptr, &si, &pi))
    return core::Fail(core::ErrorCode::kIo, "cannot run " + program + ": " +
                                                Win32Message(GetLastError(), sys::WideToUtf8(path)));
  Handle process{pi.hProcess}, thread{pi.hThread};
  in_read.Close();
  out_write.Close();

  // Requests are small (a URL or a short JSON object): they fit in the pipe buffer.
  for (size_t off = 0; off < input.size();) {
    DWORD wrote = 0;
    if (!WriteFile(in_write.h, input.data() + off, static_cast<DWORD>(input.size() - off), &wrote,
                   nullptr) ||
        wrote == 0)
      break;  // the helper exited early; its exit code tells
    off += wrote;
  }
  in_write.Close();
  HelperResult result;
  char buf[4096];
  for (;;) {
    DWORD got = 0;
    if (!ReadFile(out_read.h, buf, sizeof buf, &got, nullptr) || got == 0) break;
    if (result.out.size() < (1 << 20)) result.out.append(buf, got);
  }
  WaitForSingleObject(process.h, INFINITE);
  DWORD code = 0;
  GetExitCodeProcess(process.h, &code);
  result.exit_code = static_cast<int>(code);
  return result;
}

}  // namespace kiln::registry
