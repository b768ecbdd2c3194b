/* SPDX-License-Identifier: Apache-2.0 */
/* target.h — the deployment target as people and Xcode give it. */
#ifndef CML_CLI_TARGET_H
#define CML_CLI_TARGET_H

#include <stdbool.h>
#include <stddef.h>

/* "iOS", "macOS", "tvOS", "watchOS", "visionOS" for an Xcode PLATFORM_NAME
 * (iphoneos, iphonesimulator, macosx, appletvos, watchos, xros, and their
 * simulators), NULL for anything else. */
const char *target_platform_of_sdk(const char *platform_name);

/* value as --target takes it: a full target ("iOS16", "macOS13.3"), or a
 * bare version ("16.0", what $IPHONEOS_DEPLOYMENT_TARGET holds) whose
 * platform comes from $PLATFORM_NAME. The full target in buf; false with a
 * message in buf when it is neither (or a bare version without
 * PLATFORM_NAME). */
bool target_from_flag(const char *value, char *buf, size_t cap);

/* The target of an Xcode build phase: $PLATFORM_NAME and that platform's
 * deployment target ($IPHONEOS_DEPLOYMENT_TARGET, $MACOSX_DEPLOYMENT_TARGET,
 * $TVOS_DEPLOYMENT_TARGET, $WATCHOS_DEPLOYMENT_TARGET,
 * $XROS_DEPLOYMENT_TARGET) into buf; false when they are not set. names
 * (may be NULL) gets "PLATFORM_NAME=iphoneos, IPHONEOS_DEPLOYMENT_TARGET=16.0". */
bool target_from_xcode_env(char *buf, size_t cap, char *names, size_t names_cap);

#endif
