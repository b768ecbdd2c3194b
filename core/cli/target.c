/* SPDX-License-Identifier: Apache-2.0 */
/* target.c — deployment targets from the command line and from Xcode's
 * build settings (target.h). A Run Script phase sees the target's build
 * settings as environment variables: PLATFORM_NAME names the SDK and
 * <PLATFORM>_DEPLOYMENT_TARGET holds a bare version such as "16.0".
 * SOURCE: Xcode build settings reference (developer.apple.com/documentation/
 * xcode/build-settings-reference: "Deployment Target" settings
 * IPHONEOS_DEPLOYMENT_TARGET, MACOSX_DEPLOYMENT_TARGET, TVOS_DEPLOYMENT_TARGET,
 * WATCHOS_DEPLOYMENT_TARGET, XROS_DEPLOYMENT_TARGET; PLATFORM_NAME). */
#include "cli/target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/config.h"

typedef struct sdk_platform {
    const char *sdk;          /* PLATFORM_NAME */
    const char *platform;     /* as a target spells it */
    const char *setting;      /* the deployment-target build setting */
} sdk_platform;

static const sdk_platform SDKS[] = {
    {"iphoneos", "iOS", "IPHONEOS_DEPLOYMENT_TARGET"},
    {"iphonesimulator", "iOS", "IPHONEOS_DEPLOYMENT_TARGET"},
    {"macosx", "macOS", "MACOSX_DEPLOYMENT_TARGET"},
    {"appletvos", "tvOS", "TVOS_DEPLOYMENT_TARGET"},
    {"appletvsimulator", "tvOS", "TVOS_DEPLOYMENT_TARGET"},
    {"watchos", "watchOS", "WATCHOS_DEPLOYMENT_TARGET"},
    {"watchsimulator", "watchOS", "WATCHOS_DEPLOYMENT_TARGET"},
    {"xros", "visionOS", "XROS_DEPLOYMENT_TARGET"},
    {"xrsimulator", "visionOS", "XROS_DEPLOYMENT_TARGET"},
};

static const sdk_platform *sdk_of(const char *platform_name) {
    for (size_t i = 0; platform_name && i < sizeof SDKS / sizeof SDKS[0]; i++)
        if (!strcmp(SDKS[i].sdk, platform_name)) return &SDKS[i];
    return NULL;
}

const char *target_platform_of_sdk(const char *platform_name) {
    const sdk_platform *s = sdk_of(platform_name);
    return s ? s->platform : NULL;
}

static bool bare_version(const char *v) {
    if (!v || !(*v >= '0' && *v <= '9')) return false;
    for (const char *p = v; *p; p++)
        if (!((*p >= '0' && *p <= '9') || *p == '.')) return false;
    return true;
}

bool target_from_flag(const char *value, char *buf, size_t cap) {
    if (config_target_valid(value)) {
        snprintf(buf, cap, "%s", value);
        return true;
    }
    if (bare_version(value)) {
        const char *pn = getenv("PLATFORM_NAME");
        const char *platform = target_platform_of_sdk(pn);
        if (!platform) {
            snprintf(buf, cap,
                     "--target %s is a version without a platform: give it as iOS%s (macOS, tvOS, watchOS, visionOS), "
                     "or run from an Xcode build phase, where PLATFORM_NAME names it%s%s%s",
                     value, value, pn ? " (PLATFORM_NAME is '" : "", pn ? pn : "", pn ? "', not an Apple SDK)" : "");
            return false;
        }
        snprintf(buf, cap, "%s%s", platform, value);
        if (config_target_valid(buf)) return true;
    }
    snprintf(buf, cap,
             "--target must be a deployment target such as iOS16, iOS17.4, macOS13, tvOS17, watchOS10 or visionOS2 "
             "(or, in an Xcode build phase, a bare version such as \"$IPHONEOS_DEPLOYMENT_TARGET\"), not '%s'",
             value);
    return false;
}

bool target_from_xcode_env(char *buf, size_t cap, char *names, size_t names_cap) {
    const sdk_platform *s = sdk_of(getenv("PLATFORM_NAME"));
    const char *v = s ? getenv(s->setting) : NULL;
    if (!v || !bare_version(v)) return false;
    snprintf(buf, cap, "%s%s", s->platform, v);
    if (!config_target_valid(buf)) return false;
    if (names) snprintf(names, names_cap, "PLATFORM_NAME=%s, %s=%s", s->sdk, s->setting, v);
    return true;
}
