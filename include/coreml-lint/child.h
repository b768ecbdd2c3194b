/* SPDX-License-Identifier: Apache-2.0 */
/* child.h — header-only helpers for code that runs work in a forked child
 * and reports how it ended: the host's isolation of shared-object rules and
 * the runtime probe's child use the same two. Header-only, so no symbol
 * crosses the plugin boundary and plugin.h (ABI v1) is unchanged. POSIX:
 * under -std=c11 define _POSIX_C_SOURCE 200809L (or _DEFAULT_SOURCE)
 * before the first #include, for struct sigaction. */
#ifndef COREML_LINT_CHILD_H
#define COREML_LINT_CHILD_H

#include <signal.h>
#include <string.h>

/* In a freshly forked child: the signals of a crash take their default
 * action again, whatever handlers the parent (or a sanitizer runtime)
 * installed, so that the child dies of the signal and the parent, from the
 * wait status, can name it. */
static inline void cml_child_default_crash_signals(void) {
    static const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS, SIGPIPE};
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaction(sigs[i], &dfl, NULL);
}

/* The name of a signal a child died of ("SIGSEGV"), or "a signal". */
static inline const char *cml_signal_name(int sig) {
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGABRT: return "SIGABRT";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGKILL: return "SIGKILL";
    case SIGTERM: return "SIGTERM";
    case SIGPIPE: return "SIGPIPE";
    case SIGTRAP: return "SIGTRAP";
    case SIGSYS: return "SIGSYS";
    case SIGXCPU: return "SIGXCPU";
    default: return "a signal";
    }
}

#endif
