/* SPDX-License-Identifier: Apache-2.0 */
/* util.h — small helpers of the host: strings, globs, paths. */
#ifndef CML_HOST_UTIL_H
#define CML_HOST_UTIL_H

#include <stdbool.h>
#include <stdint.h>

char *host_strdup(const char *s);           /* NULL for NULL; aborts never */
/* Glob match. '*' any run of characters ('/' excluded in path_mode), '**'
 * any run including '/' ("**" + "/" also matches no folder at all), '?' one
 * character ('/' excluded in path_mode), '\' escapes the next character.
 * No [...] classes: logical locations contain brackets ("layer[3]"). */
bool host_glob_match(const char *pattern, const char *s, bool path_mode);
/* The same, charging *budget (when not NULL) one unit per byte of s and 64
 * pattern positions; when the budget runs out, *budget is 0 and the answer
 * is false (the caller tells that apart by the budget). */
bool host_glob_match_n(const char *pattern, const char *s, bool path_mode, uint64_t *budget);
bool host_is_glob(const char *s);           /* contains * or ? */
/* Two paths that name one file (by device and inode: a link, "./x" and
 * "x", a relative and an absolute path); false when either does not stat. */
bool host_same_file(const char *a, const char *b);
/* A set of strings the caller keeps alive (not copied): open addressing on
 * a keyed hash (coreml-lint/hash.h), at most half full. Zeroed is empty. */
typedef struct host_strset {
    const char **keys;
    size_t n, cap;
} host_strset;
/* 1 added, 0 already there, -1 out of memory */
int host_strset_add(host_strset *s, const char *key);
bool host_strset_has(const host_strset *s, const char *key);
void host_strset_free(host_strset *s);
/* A path as the user gave it, normalised: no "./" components, no "//", no
 * trailing '/', "name/.." dropped (unless name is a symbolic link, whose
 * ".." is elsewhere; leading ".." of a relative path stay); an absolute
 * path under cwd (absolute, may be NULL) becomes relative. malloc'd; NULL
 * only when out of memory. */
char *host_path_normalize(const char *path, const char *cwd);
/* dir + "/" + path, malloc'd (NULL when out of memory). */
char *host_join_path(const char *dir, const char *path);
/* The repository root above dir (absolute): the nearest folder, dir itself
 * included, that holds a ".git" (a folder, or the file of a worktree or
 * submodule); NULL when none does or out of memory. malloc'd. */
char *host_repo_root(const char *dir);
/* The rule id or glob syntax accepted in configs and on the command line:
 * a valid id, or [a-z0-9*?/-]+ with at least one * or ?. */
bool host_rule_pattern_valid(const char *pattern);
/* Seconds on the monotonic clock (for `--profile`). */
double host_now_s(void);

#endif
