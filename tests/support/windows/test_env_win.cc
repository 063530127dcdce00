// Windows half of tests/support/test_env.h, for the [unit] suites of tests/windows_suites.cmake
// (run under wine by scripts/windows_unit.sh): temp dirs, environment variables, LinkStatus, and
// Run/Kiln through CreateProcessW. Shell (bash), Background and loopback ports have no Windows
// implementation: only [integration] tests use them, and those are not built for Windows; they
// throw here, so a [unit] test that reaches one fails saying so. The POSIX half is
// test_env_posix.cc.
#include <windows.h>

#include <cstdio>
#include <thread>

#include "core/windows/win_text.h"
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <system_error>

#include "tests/support/test_env.h"

namespace kiln::testing {

// %TEMP%\kiln-test-<random>; create_directory fails on an existing name, so a clash retries.
TempDir::TempDir() {
  std::random_device rd;
  std::error_code ec;
  fs::path base = fs::temp_directory_path(ec);
  if (ec) throw std::runtime_error("no temp directory: " + ec.message());
  for (int attempt = 0; attempt < 100; ++attempt) {
    char name[32];
    std::snprintf(name, sizeof name, "kiln-test-%08x", static_cast<unsigned>(rd()));
    if (fs::create_directory(base / name, ec)) {
      path_ = base / name;
      return;
    }
  }
  throw std::runtime_error("could not create a temp dir under " + base.string());
}

// _putenv_s updates the C runtime's copy that std::getenv reads; "" removes the variable.
void SetEnv(const std::string& name, const char* value) {
  _putenv_s(name.c_str(), value ? value : "");
}

namespace {

[[noreturn]] void NoProcesses(const char* what) {
  throw std::runtime_error(std::string("tests/support: ") + what +
                           " has no Windows half (it serves [integration] tests, which are not "
                           "built for Windows)");
}

}  // namespace

namespace {

// One argument quoted for CommandLineToArgvW / the C runtime's parser: backslashes are literal
// except before a '"', where they are doubled, and the quote itself is escaped.
void AppendQuoted(std::wstring& line, const std::wstring& arg) {
  if (!line.empty()) line += L' ';
  if (!arg.empty() && arg.find_first_of(L" \t\n\v\"") == std::wstring::npos) {
    line += arg;
    return;
  }
  line += L'"';
  size_t backslashes = 0;
  for (wchar_t c : arg) {
    if (c == L'\\') {
      ++backslashes;
      continue;
    }
    line.append(c == L'"' ? backslashes * 2 + 1 : backslashes, L'\\');
    backslashes = 0;
    line += c;
  }
  line.append(backslashes * 2, L'\\');
  line += L'"';
}

// This process's environment with `extra` set on top, as a CREATE_UNICODE_ENVIRONMENT block.
std::wstring EnvironmentBlock(const std::map<std::string, std::string>& extra) {
  std::map<std::wstring, std::wstring> all;  // Windows names are case-insensitive; tests use
  if (wchar_t* env = GetEnvironmentStringsW()) {  // upper case, so exact keys suffice here
    for (const wchar_t* e = env; *e; e += wcslen(e) + 1) {
      std::wstring kv = e;
      size_t eq = kv.find(L'=', 1);  // "=C:=C:\..." entries start with '='
      if (eq != std::wstring::npos) all[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    FreeEnvironmentStringsW(env);
  }
  for (const auto& [k, v] : extra) all[sys::Utf8ToWide(k)] = sys::Utf8ToWide(v);
  std::wstring block;
  for (const auto& [k, v] : all) block += k + L'=' + v + L'\0';
  block += L'\0';
  return block;
}

std::string Drain(HANDLE pipe) {
  std::string out;
  char buf[65536];
  DWORD n = 0;
  while (::ReadFile(pipe, buf, sizeof buf, &n, nullptr) && n > 0) out.append(buf, n);
  return out;
}

}  // namespace

// CreateProcessW with three pipes; stdout and stderr are read on their own threads so neither
// can fill up and stall the child.
CommandResult Run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                  const std::string& stdin_data) {
  SECURITY_ATTRIBUTES inherit{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
  HANDLE in_r, in_w, out_r, out_w, err_r, err_w;
  if (!CreatePipe(&in_r, &in_w, &inherit, 0) || !CreatePipe(&out_r, &out_w, &inherit, 0) ||
      !CreatePipe(&err_r, &err_w, &inherit, 0))
    throw std::runtime_error("CreatePipe failed");
  for (HANDLE h : {in_w, out_r, err_r}) SetHandleInformation(h, HANDLE_FLAG_INHERIT, 0);
  std::wstring line;
  for (const auto& a : argv) AppendQuoted(line, sys::Utf8ToWide(a));
  std::wstring block = EnvironmentBlock(env);
  STARTUPINFOW si{};
  si.cb = sizeof si;
  si.dwFlags = STARTF_USESTDHANDLES;
  si.hStdInput = in_r;
  si.hStdOutput = out_w;
  si.hStdError = err_w;
  PROCESS_INFORMATION pi{};
  BOOL started = CreateProcessW(nullptr, line.data(), nullptr, nullptr, TRUE,
                                CREATE_UNICODE_ENVIRONMENT, block.data(), nullptr, &si, &pi);
  DWORD error = GetLastError();
  for (HANDLE h : {in_r, out_w, err_w}) CloseHandle(h);
  CommandResult r;
  if (!started) {
    for (HANDLE h : {in_w, out_r, err_r}) CloseHandle(h);
    r.exit_code = 127;  // as the POSIX half reports a program that cannot start
    r.err = "CreateProcessW failed (error " + std::to_string(error) + ")";
    return r;
  }
  std::thread writer([&] {
    DWORD n = 0;
    for (size_t off = 0; off < stdin_data.size(); off += n)
      if (!::WriteFile(in_w, stdin_data.data() + off, DWORD(stdin_data.size() - off), &n, nullptr))
        break;
    CloseHandle(in_w);
  });
  std::thread err_reader([&] { r.err = Drain(err_r); });
  r.out = Drain(out_r);
  err_reader.join();
  writer.join();
  WaitForSingleObject(pi.hProcess, INFINITE);
  DWORD code = 0;
  GetExitCodeProcess(pi.hProcess, &code);
  r.exit_code = int(code);
  for (HANDLE h : {out_r, err_r, pi.hProcess, pi.hThread}) CloseHandle(h);
  return r;
}

CommandResult Shell(const std::string&, const std::map<std::string, std::string>&) {
  NoProcesses("Shell");
}

CommandResult Kiln(const std::vector<std::string>& args, const std::map<std::string, std::string>& env) {
  std::vector<std::string> argv{KilnBinary().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return Run(argv, env);
}
Background::Background(const std::vector<std::string>&, const fs::path&,
                       const std::map<std::string, std::string>&) {
  NoProcesses("Background");
}
Background::~Background() = default;
bool Background::running() const { return false; }
void Background::Stop() {}
int FreePort() { NoProcesses("FreePort"); }
bool WaitForPort(int, int) { NoProcesses("WaitForPort"); }

// GetFileInformationByHandle on a handle that does not follow a final reparse point (lstat's
// view); FILETIME counts 100 ns ticks since 1601-01-01.
std::optional<LinkStatusInfo> LinkStatus(const fs::path& p) {
  HANDLE h = CreateFileW(p.c_str(), FILE_READ_ATTRIBUTES,
                         FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                         OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT,
                         nullptr);
  if (h == INVALID_HANDLE_VALUE) return std::nullopt;
  BY_HANDLE_FILE_INFORMATION info{};
  bool ok = GetFileInformationByHandle(h, &info);
  CloseHandle(h);
  if (!ok) return std::nullopt;
  constexpr int64_t kUnixEpochTicks = 116444736000000000;  // 1970-01-01 in FILETIME ticks
  int64_t ticks = (int64_t(info.ftLastWriteTime.dwHighDateTime) << 32 |
                   info.ftLastWriteTime.dwLowDateTime) - kUnixEpochTicks;
  int64_t sec = ticks / 10000000, rem = ticks % 10000000;
  if (rem < 0) { --sec; rem += 10000000; }
  return LinkStatusInfo{info.dwVolumeSerialNumber,
                        uint64_t(info.nFileIndexHigh) << 32 | info.nFileIndexLow,
                        uint32_t(info.nNumberOfLinks), sec, uint32_t(rem * 100)};
}

}  // namespace kiln::testing
