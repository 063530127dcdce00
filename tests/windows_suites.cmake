# The [unit] Catch2 suites for Windows, in the mingw-w64 cross build that scripts/windows_build.sh
# drives (build-windows/cmake): tests/kiln_<folder>_tests.exe for core, parser, layers, registry
# and builder, run under wine by scripts/windows_unit.sh with the spec [unit]~[posix]~[wine].
# They link the same kiln_* libraries as kiln.exe (libarchive, zstd, ISA-L, OpenSSL, curl from
# the dependency cache), so what they test is the code kiln.exe runs. Not part of `all`:
# windows_unit.sh builds them by name, and a vcpkg build of kiln.exe needs no Catch2.
# Wine is not Windows: nothing here says how the code behaves on a Windows host.

# Catch2 v2 is one header. The build machine's (Debian's catch2 package) is copied into the build
# tree, so the cross compiler never gets the host's /usr/include on its path.
find_file(KILN_CATCH_HPP catch2/catch.hpp PATHS /usr/include NO_DEFAULT_PATH NO_CMAKE_FIND_ROOT_PATH)
if(NOT KILN_CATCH_HPP)
  message(STATUS "kiln: no catch2/catch.hpp on the build machine: no Windows test suites")
  return()
endif()
set(catch_dir ${CMAKE_CURRENT_BINARY_DIR}/catch2_include)
configure_file(${KILN_CATCH_HPP} ${catch_dir}/catch2/catch.hpp COPYONLY)
file(CONFIGURE OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/catch_main.cc
     CONTENT "#define CATCH_CONFIG_MAIN\n#include <catch2/catch.hpp>\n")
add_library(kiln_catch2_main STATIC EXCLUDE_FROM_ALL ${CMAKE_CURRENT_BINARY_DIR}/catch_main.cc)
target_include_directories(kiln_catch2_main SYSTEM PUBLIC ${catch_dir})

# Test support: the neutral files and the Windows half of test_env (support/windows/*_win.cc).
# fault_proxy.cc is POSIX sockets and serves [integration] tests only.
file(GLOB support_srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/support/*.cc
     ${CMAKE_CURRENT_SOURCE_DIR}/support/windows/*_win.cc)
list(FILTER support_srcs EXCLUDE REGEX "(_posix|/fault_proxy)\\.cc$")
add_library(kiln_test_support STATIC EXCLUDE_FROM_ALL ${support_srcs})
target_link_libraries(kiln_test_support PUBLIC kiln_core kiln_catch2_main)
target_compile_definitions(kiln_test_support PUBLIC
  KILN_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
  KILN_SHARED_DIR="${KILN_SHARED_DIR}"
  KILN_BINARY="$<TARGET_FILE:kiln>")

# kiln_add_windows_tests(folder lib): tests/<folder>/*.cc -> tests/kiln_<folder>_tests.exe, but
#  - not a *_test.cc without one [unit] test: [integration] tests start docker-registry, runc,
#    dockerd, skopeo... and do not run under wine, so they are not compiled for it either;
#  - not a *_posix_test.cc: tests that need fork or other POSIX calls (tagged [posix]);
#  - not the files named after the folder below: they test Linux-only code (builder/linux,
#    layers/linux), which is not part of kiln.exe.
function(kiln_add_windows_tests folder lib)
  file(GLOB all CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${folder}/*.cc)
  set(srcs)
  foreach(src ${all})
    get_filename_component(name ${src} NAME)
    if(name MATCHES "_posix_test\\.cc$" OR name IN_LIST ARGN)
      continue()
    endif()
    if(name MATCHES "_test\\.cc$")
      file(STRINGS ${src} unit REGEX "\"(\\[[a-z]+\\])*\\[unit\\]")  # a tag string with [unit]
      if(NOT unit)
        continue()
      endif()
    endif()
    list(APPEND srcs ${src})
  endforeach()
  set(exe kiln_${folder}_tests)
  add_executable(${exe} EXCLUDE_FROM_ALL ${srcs})
  target_link_libraries(${exe} PRIVATE ${lib} kiln_test_support)
  # One static program: no libstdc++/libgcc/winpthread DLLs to find in the wine prefix.
  target_link_options(${exe} PRIVATE -static)
endfunction()

kiln_add_windows_tests(core kiln_core)
kiln_add_windows_tests(parser kiln_parser)
# apply_layer tests ApplyLayer, whose Windows half (layers/windows/apply_layer_win.cc) only says
# "not implemented in kiln.exe yet".
kiln_add_windows_tests(layers kiln_layers apply_layer_test.cc)
kiln_add_windows_tests(registry kiln_registry)
# runc_*, step_mounts and user_lookup test builder/linux (runc bundles, mounts, /etc/passwd).
kiln_add_windows_tests(builder kiln_builder
  runc_bundle_test.cc runc_executor_test.cc runc_mounts_test.cc runc_preflight_test.cc
  run_on_snapshot_test.cc step_mounts_test.cc user_lookup_test.cc)
