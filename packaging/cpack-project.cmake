# SPDX-License-Identifier: Apache-2.0
# cpack-project.cmake — read by cpack for every package it makes
# (CPACK_PROJECT_CONFIG_FILE). A source package (the release tarball that
# Formula/coreml-lint.rb builds) gets one extra file, COMMIT: the commit it
# was made from, which CMakeLists.txt reads when there is no .git.
if(CPACK_INSTALLED_DIRECTORIES AND NOT CPACK_INSTALL_CMAKE_PROJECTS)
  set(CPACK_INSTALL_SCRIPTS ${CMAKE_CURRENT_LIST_DIR}/cpack-source-commit.cmake)
endif()
