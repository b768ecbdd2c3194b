# SPDX-License-Identifier: Apache-2.0
# sdk_install_test.cmake — ctest script: `cmake --install` the build into a
# temporary prefix, check the SDK files are there (headers, coreml-lint.pc,
# bundled plugins), then compile plugins/_template/my_rule.c the way the
# template's README says, with only `pkg-config --cflags coreml-lint`
# (PKG_CONFIG_PATH pointing into the prefix) and -z defs, and check that the
# result exports cml_plugin_entry. Inputs: BUILD_DIR SOURCE_DIR CC
# PKG_CONFIG LIBDIR.
if(NOT PKG_CONFIG)
  message("SKIP: pkg-config not found")
  return()
endif()
set(prefix ${BUILD_DIR}/sdk-install-test)
file(REMOVE_RECURSE ${prefix})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed:\n${out}")
endif()
foreach(f include/coreml-lint/plugin.h include/coreml-lint/ir.h include/coreml-lint/version.h
          ${LIBDIR}/pkgconfig/coreml-lint.pc ${LIBDIR}/coreml-lint/ane-fp32-program.so)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "not installed: ${f}")
  endif()
endforeach()
foreach(f ${LIBDIR}/coreml-lint/template-plugin.so ${LIBDIR}/coreml-lint/good.so)
  if(EXISTS ${prefix}/${f})
    message(FATAL_ERROR "test/template plugin installed as a bundled plugin: ${f}")
  endif()
endforeach()

set(ENV{PKG_CONFIG_PATH} ${prefix}/${LIBDIR}/pkgconfig)
execute_process(COMMAND ${PKG_CONFIG} --cflags coreml-lint RESULT_VARIABLE rc
                OUTPUT_VARIABLE cflags ERROR_VARIABLE err OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "pkg-config --cflags coreml-lint failed: ${err}")
endif()
execute_process(COMMAND ${PKG_CONFIG} --variable=plugindir coreml-lint
                OUTPUT_VARIABLE plugindir OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT EXISTS ${plugindir}/ane-fp32-program.so)
  message(FATAL_ERROR "plugindir '${plugindir}' does not hold the bundled plugins")
endif()
message("pkg-config --cflags coreml-lint: ${cflags}")
separate_arguments(cflags_list UNIX_COMMAND "${cflags}")
# The include path must lead into the prefix, not back to the source tree.
execute_process(COMMAND ${PKG_CONFIG} --variable=includedir coreml-lint
                OUTPUT_VARIABLE incdir OUTPUT_STRIP_TRAILING_WHITESPACE)
get_filename_component(incdir "${incdir}" REALPATH)
get_filename_component(want "${prefix}/include" REALPATH)
if(NOT incdir STREQUAL want)
  message(FATAL_ERROR "includedir is ${incdir}, expected ${want}")
endif()

set(so ${prefix}/example-zero-weight.so)
execute_process(COMMAND ${CC} -std=c11 -O2 -Wall -Wextra -Werror -fPIC -fvisibility=hidden -shared
                        ${cflags_list} -o ${so} ${SOURCE_DIR}/plugins/_template/my_rule.c -Wl,-z,defs -lm
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "building the template against the installed SDK failed:\n${out}")
endif()
find_program(NM nm)
if(NM)
  execute_process(COMMAND ${NM} -D --defined-only ${so} OUTPUT_VARIABLE syms)
  if(NOT syms MATCHES "T cml_plugin_entry")
    message(FATAL_ERROR "the template exports no cml_plugin_entry:\n${syms}")
  endif()
endif()
file(REMOVE_RECURSE ${prefix})
message("SDK install + template build: ok")
