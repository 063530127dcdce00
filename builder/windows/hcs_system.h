// Thin layer (2): an owned HCS compute system (a container, or the utility VM of a Hyper-V
// isolated step). Whatever happens, the system is stopped (shutdown, then terminate) and its
// handle closed when the object dies.
#pragma once

#include <string>
#include <string_view>

#include "builder/windows/compute_api.h"
#include "builder/windows/hcs_timeouts.h"

namespace kiln::builder::windows {

class HcsSystem {
 public:
  // HcsCreateComputeSystem + wait. When the creation fails after HCS handed out a handle, the
  // half-made system is terminated and closed before the error returns.
  // `kind` names the system in errors ("container", "utility VM").
  static core::Result<HcsSystem> Create(ComputeApi& api, const std::string& id,
                                        const std::string& document, const HcsTimeouts& timeouts,
                                        std::string kind = "container");
  HcsSystem(HcsSystem&& other) noexcept;
  HcsSystem(const HcsSystem&) = delete;
  HcsSystem& operator=(const HcsSystem&) = delete;
  HcsSystem& operator=(HcsSystem&&) = delete;
  ~HcsSystem();

  SystemHandle get() const { return handle_; }
  const std::string& id() const { return id_; }

  core::Status Start();
  // HcsModifyComputeSystem with a ModifySettingRequest document; `what` names it in errors.
  core::Status Modify(const std::string& request, std::string_view what);
  // Shutdown (up to timeouts.shutdown), then terminate if that did not work (up to
  // timeouts.terminate). "Already stopped" counts as stopped. Safe to call twice.
  core::Status Stop();
  // Stops if needed (errors ignored) and closes the handle.
  void Close();

 private:
  HcsSystem(ComputeApi& api, SystemHandle handle, std::string id, const HcsTimeouts& timeouts,
            std::string kind)
      : api_(&api),
        handle_(handle),
        id_(std::move(id)),
        kind_(std::move(kind)),
        timeouts_(timeouts) {}
  core::Status Terminate();

  ComputeApi* api_;
  SystemHandle handle_;
  std::string id_;
  std::string kind_;
  HcsTimeouts timeouts_;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace kiln::builder::windows
