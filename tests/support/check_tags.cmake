# Fails when a test executable holds a TEST_CASE tagged neither [unit] nor [integration]
# (it would never run under ctest).
execute_process(COMMAND ${EXE} "~[unit]~[integration]" --list-test-names-only
                OUTPUT_VARIABLE out RESULT_VARIABLE rc)
string(STRIP "${out}" out)
if(NOT out STREQUAL "")
  message(FATAL_ERROR "untagged tests:\n${out}")
endif()
