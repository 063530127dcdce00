// registry/credential_helper.h on POSIX hosts: posix_spawnp with two pipes.
#include "registry/credential_helper.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

extern char** environ;

namespace kiln::registry {

core::Result<HelperResult> RunCredentialHelper(std::string_view name, std::string_view action,
                                               std::string_view input) {
  std::string program = "docker-credential-" + std::string(name);
  int in[2], out[2];
  if (pipe(in) != 0) return core::Fail(core::ErrorCode::kIo, "pipe: " + std::string(strerror(errno)));
  if (pipe(out) != 0) {
    close(in[0]);
    close(in[1]);
    return core::Fail(core::ErrorCode::kIo, "pipe: " + std::string(strerror(errno)));
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  for (int fd : {in[0], in[1], out[0], out[1]}) posix_spawn_file_actions_addclose(&fa, fd);
  std::string act(action);
  std::vector<char*> argv{program.data(), act.data(), nullptr};
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, program.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(in[0]);
  close(out[1]);
  if (rc != 0) {
    close(in[1]);
    close(out[0]);
    if (rc == ENOENT)
      return core::Fail(core::ErrorCode::kNotFound,
                        "credential helper " + program + " not found on PATH");
    return core::Fail(core::ErrorCode::kIo, "cannot run " + program + ": " + strerror(rc));
  }
  // Requests are small (a URL or a short JSON object): they fit in the pipe buffer.
  for (size_t off = 0; off < input.size();) {
    ssize_t n = write(in[1], input.data() + off, input.size() - off);
    if (n <= 0) break;  // the helper exited early; its exit code tells
    off += static_cast<size_t>(n);
  }
  close(in[1]);
  HelperResult result;
  char buf[4096];
  for (;;) {
    ssize_t n = read(out[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (result.out.size() < (1 << 20)) result.out.append(buf, static_cast<size_t>(n));
  }
  close(out[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace kiln::registry
