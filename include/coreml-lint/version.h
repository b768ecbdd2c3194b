/* SPDX-License-Identifier: Apache-2.0 */
/* coreml-lint/version.h — the version of the coreml-lint SDK these headers
 * belong to. The SDK version names a release of the tool (and of ir.h, which
 * only grows between releases); it is not the plugin ABI: what a plugin and
 * the host agree on is the ABI number negotiated through cml_plugin_entry
 * (CML_ABI_VERSION in plugin.h). The build checks that these numbers equal
 * the project() version in the top-level CMakeLists.txt, so they cannot
 * drift apart. */
#ifndef COREML_LINT_VERSION_H
#define COREML_LINT_VERSION_H

#define CML_VERSION_MAJOR 0
#define CML_VERSION_MINOR 1
#define CML_VERSION_PATCH 0
#define CML_VERSION_STRING "0.1.0"
/* One comparable number: 1.2.3 -> 10203. */
#define CML_VERSION_NUMBER (CML_VERSION_MAJOR * 10000 + CML_VERSION_MINOR * 100 + CML_VERSION_PATCH)

#endif /* COREML_LINT_VERSION_H */
