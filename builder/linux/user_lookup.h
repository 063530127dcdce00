// Resolves a RUN step's USER ("name", "name:group", "uid", "uid:gid"...) against the /etc/passwd
// and /etc/group of the step's root file system, the way docker does.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace kiln::builder {

struct ResolvedUser {
  uint32_t uid = 0, gid = 0;
  std::vector<uint32_t> additional_gids;  // groups listing the user, when no group was given
  std::string home = "/";                 // from passwd, for HOME
};

// Resolves `user` against the texts of passwd and group files. An empty user is root. A name
// (user or group) missing from its file fails with kInvalidInput ("unable to find user bob: no
// matching entries in passwd file"); a number needs no entry. Without a group, the gid is the
// passwd entry's, else 0.
core::Result<ResolvedUser> ResolveUser(std::string_view user, std::string_view passwd,
                                       std::string_view group);

// ResolveUser with /etc/passwd and /etc/group read inside the root at `root_fd` (missing files
// count as empty).
core::Result<ResolvedUser> LookupUser(int root_fd, std::string_view user);

}  // namespace kiln::builder
