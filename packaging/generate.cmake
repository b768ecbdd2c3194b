# SPDX-License-Identifier: Apache-2.0
# generate.cmake — writes what the built tool generates from its own
# command and flag tables (cmake -P, at build time): the man page and the
# bash, zsh and fish completions. Inputs: BIN OUT_DIR.
file(MAKE_DIRECTORY ${OUT_DIR})
foreach(job "manpage;coreml-lint.1" "completion;bash;coreml-lint.bash" "completion;zsh;_coreml-lint"
            "completion;fish;coreml-lint.fish")
  list(POP_BACK job out)
  execute_process(COMMAND ${BIN} ${job} OUTPUT_FILE ${OUT_DIR}/${out} RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "coreml-lint ${job} failed (${rc}): ${err}")
  endif()
endforeach()
