# SPDX-License-Identifier: Apache-2.0
# cpack-source-commit.cmake — run by cpack while it stages a source package
# (see cpack-project.cmake): writes COMMIT at the top of the tarball.
if(NOT CPACK_PACKAGE_COMMIT)
  set(CPACK_PACKAGE_COMMIT unknown)
endif()
file(WRITE "${CMAKE_INSTALL_PREFIX}/COMMIT" "${CPACK_PACKAGE_COMMIT}\n")
