# SPDX-License-Identifier: Apache-2.0
# check_plugin_deps.cmake — run before a plugin is linked: its include path
# must be exactly the SDK include/ folder, and it may link only libm and the
# system libraries its cml_add_plugin call lists (ALLOWED_LINKS, e.g. the
# runtime probe's BLAS; never a cml* host target), so no plugin can see
# core/ headers or link host code (cmake -P script; DEPS is the file
# cml_add_plugin generated with the target's final properties, lists joined
# with '|' so a line stays one line).
string(REPLACE "|" ";" ALLOWED_LINKS "${ALLOWED_LINKS}")
file(STRINGS "${DEPS}" lines)
foreach(line IN LISTS lines)
  if(line MATCHES "^INCLUDES=(.*)$")
    string(REPLACE "|" ";" incs "${CMAKE_MATCH_1}")
    foreach(i IN LISTS incs)
      if(NOT i STREQUAL ALLOWED_INCLUDE)
        message(FATAL_ERROR "plugin ${PLUGIN}: include directory ${i} is not allowed "
                            "(plugins see only ${ALLOWED_INCLUDE})")
      endif()
    endforeach()
  elseif(line MATCHES "^LINKS=(.*)$")
    string(REPLACE "|" ";" links "${CMAKE_MATCH_1}")
    foreach(l IN LISTS links)
      if(l STREQUAL "m")
        continue()
      endif()
      list(FIND ALLOWED_LINKS "${l}" _allowed)
      if(_allowed LESS 0 OR l MATCHES "^cml")
        message(FATAL_ERROR "plugin ${PLUGIN}: links ${l}; plugins link only libm and reach the host "
                            "through cml_host")
      endif()
    endforeach()
  endif()
endforeach()
