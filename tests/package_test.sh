#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# package_test.sh — the packages a new user installs from.
#  1. The release source tarball (CPack source packaging): it holds exactly
#     the repository's tracked files plus COMMIT, nothing from build folders;
#     packaging/update-formula.sh points Formula/coreml-lint.rb at it (url,
#     sha256, same version as the project); and the tool builds from it the
#     way the formula does (no .git, no ../shared, no tests), reporting the
#     tarball's commit in --version and every bundled rule.
#  2. The Debian package (CPack DEB), where dpkg is available: its Depends
#     name the shared libraries, and it installs into a scratch dpkg root
#     (dpkg --root), runs from there with every rule, and removes cleanly.
# Arguments: CMAKE_COMMAND CPACK_COMMAND BUILD_DIR SOURCE_DIR VERSION.
set -u
CMAKE=$1 CPACK=$2 B=$3 S=$4 VERSION=$5
T=$(mktemp -d /tmp/cml-package-XXXXXX)
T=$(cd "$T" && pwd -P)
trap 'rm -rf "$T"' EXIT
unset CML_RULES_DIR CML_PLUGIN_DIR
fail=0
bad() { echo "FAIL: $*"; fail=1; }
JOBS=${CML_PACKAGE_JOBS:-2}

"$B/coreml-lint" rules --no-config > "$T/want.txt" || bad "rules in the build tree failed"
n_want=$(wc -l < "$T/want.txt")
commit=$("$B/coreml-lint" --version | sed -n '1s/.*(commit \([^,]*\),.*/\1/p')

# ---- 1. the source tarball -----------------------------------------------------------
"$CPACK" --config "$B/CPackSourceConfig.cmake" -B "$T/src" > "$T/cpack-src.log" 2>&1 ||
    { cat "$T/cpack-src.log"; bad "source packaging failed"; exit 1; }
tarball=$T/src/coreml-lint-$VERSION.tar.gz
[ -f "$tarball" ] || { bad "no $tarball"; ls "$T/src"; exit 1; }
tar tzf "$tarball" | grep -v '/$' | sed "s|^coreml-lint-$VERSION/||" | sort > "$T/tar-files.txt"
grep -qx COMMIT "$T/tar-files.txt" || bad "the tarball has no COMMIT file"
for f in CMakeLists.txt dev.sh proto/Model.proto core/cli/args.c rules/meta/missing-metadata.lua \
         plugins/CMakeLists.txt tests/fixtures/fixtures.c docs/rules.md Formula/coreml-lint.rb; do
    grep -qx "$f" "$T/tar-files.txt" || bad "the tarball lacks $f"
done
if grep -E '^(build[^/]*|\.git|out)(/|$)' "$T/tar-files.txt" | head -3 | grep -q .; then
    bad "the tarball holds build or VCS files: $(grep -E '^(build[^/]*|\.git|out)(/|$)' "$T/tar-files.txt" | head -3)"
fi
if command -v git > /dev/null 2>&1 && git -C "$S" rev-parse --git-dir > /dev/null 2>&1; then
    # every tracked file, nothing untracked beyond COMMIT (a clean checkout)
    git -C "$S" ls-files | sort > "$T/git-files.txt"
    missing=$(comm -23 "$T/git-files.txt" "$T/tar-files.txt" | head -5)
    [ -z "$missing" ] || bad "tracked files missing from the tarball: $missing"
fi
got_commit=$(tar xzf "$tarball" -O "coreml-lint-$VERSION/COMMIT")
[ "$got_commit" = "$commit" ] || bad "COMMIT says '$got_commit', the build '$commit'"

# the formula, pointed at this tarball
cp "$S/Formula/coreml-lint.rb" "$T/formula.rb"
url=https://example.invalid/releases/download/v$VERSION/coreml-lint-$VERSION.tar.gz
sh "$S/packaging/update-formula.sh" "$tarball" "$url" "$T/formula.rb" > /dev/null || bad "update-formula.sh failed"
sum=$(sha256sum "$tarball" | cut -d' ' -f1)
grep -q "^  sha256 \"$sum\"\$" "$T/formula.rb" || bad "the formula's sha256 is not the tarball's"
grep -q "^  url \"$url\"\$" "$T/formula.rb" || bad "the formula's url was not set"
grep -q "releases/download/v$VERSION/coreml-lint-$VERSION.tar.gz\"\$" "$S/Formula/coreml-lint.rb" ||
    bad "Formula/coreml-lint.rb does not point at version $VERSION's tarball"
if command -v ruby > /dev/null 2>&1; then
    ruby -c "$T/formula.rb" > /dev/null || bad "the formula is not valid Ruby"
fi

# built from the tarball as the formula does: no .git, no ../shared, no tests
mkdir -p "$T/unpack"
tar xzf "$tarball" -C "$T/unpack"
src=$T/unpack/coreml-lint-$VERSION
if "$CMAKE" -S "$src" -B "$T/unpack/build" -DCMAKE_BUILD_TYPE=Release -DCML_BUILD_TESTS=OFF \
        -DCMAKE_INSTALL_PREFIX="$T/unpack/prefix" > "$T/configure.log" 2>&1 &&
    "$CMAKE" --build "$T/unpack/build" -j "$JOBS" > "$T/build.log" 2>&1 &&
    "$CMAKE" --install "$T/unpack/build" > "$T/install.log" 2>&1; then
    bin=$T/unpack/prefix/bin/coreml-lint
    "$bin" --version | head -1 | grep -qF "(commit $commit," ||
        bad "built from the tarball, --version says: $("$bin" --version | head -1)"
    "$bin" rules --no-config > "$T/got.txt" 2>&1
    cmp -s "$T/want.txt" "$T/got.txt" || bad "built from the tarball, it lists $(wc -l < "$T/got.txt") rules, not $n_want"
    [ $fail -eq 0 ] && echo "ok   source tarball: $(wc -l < "$T/tar-files.txt") files, builds, $n_want rules, commit $commit"
else
    tail -n 30 "$T/configure.log" "$T/build.log" "$T/install.log" 2>/dev/null
    bad "the tool does not build from the source tarball"
fi

# ---- 2. the Debian package ------------------------------------------------------------------
if ! command -v dpkg-deb > /dev/null 2>&1 || ! command -v dpkg > /dev/null 2>&1 ||
    ! command -v dpkg-shlibdeps > /dev/null 2>&1; then
    echo "SKIP (deb): dpkg, dpkg-deb or dpkg-shlibdeps not found (Debian: apt-get install dpkg-dev)"
    exit $fail
fi
"$CPACK" --config "$B/CPackConfig.cmake" -G DEB -B "$T/deb" > "$T/cpack-deb.log" 2>&1 ||
    { cat "$T/cpack-deb.log"; bad "DEB packaging failed"; exit 1; }
deb=$(ls "$T"/deb/coreml-lint_"$VERSION"_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || { bad "no .deb written"; exit 1; }
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libprotobuf-c1 liblua5.4-0 libcjson1; do
    case "$depends" in *"$lib"*) ;; *) bad "Depends lacks $lib: $depends" ;; esac
done
[ "$(dpkg-deb -f "$deb" Package)" = coreml-lint ] || bad "package name: $(dpkg-deb -f "$deb" Package)"
[ "$(dpkg-deb -f "$deb" Version)" = "$VERSION" ] || bad "package version: $(dpkg-deb -f "$deb" Version)"
root=$T/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
touch "$root/var/lib/dpkg/status"
# a scratch dpkg database: the real system is not touched; the libraries
# it depends on are the host's (checked above by name)
if dpkg --root="$root" --force-not-root --force-depends --force-script-chrootless --log=/dev/null \
        -i "$deb" > "$T/dpkg.log" 2>&1; then
    dpkg --root="$root" -s coreml-lint 2> /dev/null | grep -q '^Status: install ok installed' ||
        bad "dpkg does not list the package as installed"
    "$root/usr/bin/coreml-lint" rules --no-config > "$T/deb-rules.txt" 2>&1
    cmp -s "$T/want.txt" "$T/deb-rules.txt" ||
        bad "the installed package lists $(wc -l < "$T/deb-rules.txt") rules, not $n_want: $(head -3 "$T/deb-rules.txt")"
    "$root/usr/bin/coreml-lint" --version | grep -q "^plugins: $root/usr/lib" ||
        bad "the installed package's plugins: $("$root/usr/bin/coreml-lint" --version)"
    dpkg --root="$root" --force-not-root --force-script-chrootless --log=/dev/null -r coreml-lint > "$T/dpkg-r.log" 2>&1 ||
        bad "dpkg -r failed: $(cat "$T/dpkg-r.log")"
    [ -e "$root/usr/bin/coreml-lint" ] && bad "dpkg -r left /usr/bin/coreml-lint"
    [ $fail -eq 0 ] && echo "ok   $(basename "$deb"): Depends $depends; installed, $n_want rules, removed"
else
    cat "$T/dpkg.log"
    bad "dpkg -i of the package failed"
fi
exit $fail
