#include "builder/linux/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "core/cancel.h"
#include "layers/linux/unique_fd.h"

extern char** environ;

namespace kiln::builder {
namespace {

using Clock = std::chrono::steady_clock;
using layers::UniqueFd;

core::Result<std::string> FindProgram(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::string dirs = path && *path ? path
                                   : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
                                     "/sbin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(start, end - start) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return core::Fail(core::ErrorCode::kNotFound, name + ": program not found in PATH");
}

// Between fork and exec only async-signal-safe calls.
[[noreturn]] void ExecChild(const char* path, char* const* argv, int out_fd, int err_fd) {
  ::setpgid(0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  int null_fd = ::open("/dev/null", O_RDONLY);
  if (null_fd < 0 || ::dup2(null_fd, 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(err_fd, 2) < 0)
    ::_exit(127);
  ::close_range(3, ~0U, 0);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::execve(path, argv, environ);
  ::_exit(127);
}

struct Pipe {
  UniqueFd read, write;
};

core::Result<Pipe> MakePipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return core::Fail(core::ErrorCode::kIo, std::string("pipe: ") + std::strerror(errno));
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// Reads what is available on `fd` into `sink`; closes fd at end of stream.
void Drain(UniqueFd& fd, const std::function<void(std::string_view)>& sink) {
  char buf[16384];
  ssize_t n = ::read(fd.get(), buf, sizeof buf);
  if (n > 0) {
    if (sink) sink(std::string_view(buf, static_cast<size_t>(n)));
  } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
    fd.Reset();
  }
}

class Supervisor {
 public:
  Supervisor(pid_t pid, const ChildOptions& options) : pid_(pid), options_(options) {
    if (options.timeout.count() > 0) deadline_ = Clock::now() + options.timeout;
    stop_time_ = Clock::now();
  }

  // Called on each loop turn; stops the child when the deadline passed or Ctrl-C was pressed.
  void Check(ChildOutcome& outcome) {
    auto now = Clock::now();
    if (!stopping_) {
      bool late = now >= deadline_;
      bool cancel = options_.watch_cancel && core::CancelRequested();
      if (!late && !cancel) return;
      outcome.timed_out = late;
      outcome.cancelled = cancel && !late;
      stopping_ = true;
      stop_time_ = now;
      if (options_.on_stop)
        options_.on_stop();
      else
        ::kill(-pid_, SIGKILL);
    } else if (!killed_ && now - stop_time_ >= options_.kill_grace) {
      ::kill(-pid_, SIGKILL);
      killed_ = true;
    }
  }

 private:
  pid_t pid_;
  const ChildOptions& options_;
  Clock::time_point deadline_ = Clock::time_point::max();
  bool stopping_ = false, killed_ = false;
  Clock::time_point stop_time_;
};

int DecodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

}  // namespace

core::Result<ChildOutcome> RunChild(const std::vector<std::string>& argv,
                                    const ChildOptions& options) {
  if (argv.empty()) return core::Fail(core::ErrorCode::kInternal, "RunChild: empty argv");
  KILN_ASSIGN(std::string path, FindProgram(argv[0]));
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  KILN_ASSIGN(Pipe out, MakePipe());
  KILN_ASSIGN(Pipe err, MakePipe());
  pid_t pid = ::fork();
  if (pid < 0)
    return core::Fail(core::ErrorCode::kIo, std::string("fork: ") + std::strerror(errno));
  if (pid == 0) ExecChild(path.c_str(), args.data(), out.write.get(), err.write.get());
  ::setpgid(pid, pid);  // also here, so a kill(-pid) right after fork reaches it
  out.write.Reset();
  err.write.Reset();

  ChildOutcome outcome;
  Supervisor supervisor(pid, options);
  std::optional<int> status;
  auto exited_at = Clock::now();
  while (!status || out.read.valid() || err.read.valid()) {
    pollfd fds[2] = {{out.read.get(), POLLIN, 0}, {err.read.get(), POLLIN, 0}};
    bool open = out.read.valid() || err.read.valid();
    ::poll(fds, 2, open ? 50 : 5);
    if (fds[0].revents) Drain(out.read, options.on_stdout);
    if (fds[1].revents) Drain(err.read, options.on_stderr);
    if (!status) {
      int st = 0;
      if (::waitpid(pid, &st, WNOHANG) == pid) {
        status = st;
        exited_at = Clock::now();
      } else {
        supervisor.Check(outcome);
      }
    } else if (Clock::now() - exited_at > std::chrono::seconds(2)) {
      break;  // a grandchild holds the pipes open; do not wait for it
    }
  }
  outcome.exit_code = DecodeStatus(*status);
  return outcome;
}

core::Result<CapturedOutput> RunCaptured(const std::vector<std::string>& argv,
                                         std::chrono::milliseconds timeout) {
  CapturedOutput captured;
  ChildOptions options;
  options.on_stdout = [&](std::string_view s) { captured.out.append(s); };
  options.on_stderr = [&](std::string_view s) { captured.err.append(s); };
  options.timeout = timeout;
  KILN_ASSIGN(ChildOutcome outcome, RunChild(argv, options));
  captured.exit_code = outcome.exit_code;
  return captured;
}

}  // namespace kiln::builder
