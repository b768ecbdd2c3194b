#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# update-formula.sh TARBALL URL [FORMULA] — point the Homebrew formula at a
# release: the release tarball made by
#   cpack --config build/CPackSourceConfig.cmake
# uploaded at URL. Writes url and sha256 into Formula/coreml-lint.rb (or
# FORMULA) and checks that the tarball's version is the formula's.
set -eu
[ $# -ge 2 ] || { echo "usage: $0 TARBALL URL [FORMULA]" >&2; exit 2; }
tarball=$1 url=$2
formula=${3:-$(dirname "$0")/../Formula/coreml-lint.rb}
[ -f "$tarball" ] || { echo "$0: no such file: $tarball" >&2; exit 2; }
if command -v sha256sum >/dev/null 2>&1; then sum=$(sha256sum "$tarball" | cut -d' ' -f1)
else sum=$(shasum -a 256 "$tarball" | cut -d' ' -f1); fi
name=$(basename "$tarball")
case "$url" in
*/"$name") ;;
*) echo "$0: the URL must end in the tarball's name ($name)" >&2; exit 2 ;;
esac
tmp=$formula.tmp.$$
sed -e "s|^  url \".*\"\$|  url \"$url\"|" -e "s|^  sha256 \"[0-9a-f]*\"\$|  sha256 \"$sum\"|" "$formula" > "$tmp"
grep -q "^  sha256 \"$sum\"\$" "$tmp" || { rm -f "$tmp"; echo "$0: no sha256 line in $formula" >&2; exit 1; }
mv "$tmp" "$formula"
echo "$formula: $url sha256 $sum"
