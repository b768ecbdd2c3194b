#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# licence_check.sh — every source file of the project carries its SPDX
# licence identifier near the top (README.md, "Licence"), and LICENSE holds
# the Apache-2.0 text. Test data (hostile Lua rules, fuzz seeds, reference
# numerics) is exempt: its bytes and line numbers are what the tests read.
# Usage: tests/licence_check.sh [SOURCE_DIR]; prints each file without it.
set -u
src="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
cd "$src" || exit 2
grep -q "Apache License" LICENSE && grep -q "Version 2.0, January 2004" LICENSE || {
    echo "LICENSE is not the Apache-2.0 text"
    exit 1
}
bad=0
for f in $(find core include sarif plugins rules tests bench examples action .ci dev.sh CMakeLists.txt \
    -type f \( -name '*.c' -o -name '*.h' -o -name '*.m' -o -name '*.lua' -o -name '*.sh' -o -name '*.py' \
    -o -name '*.js' -o -name '*.cmake' -o -name 'CMakeLists.txt' -o -path 'action/*' -o -path '.ci/*' \) \
    -not -path 'tests/lua/*' -not -path 'tests/fuzz/regress/*' -not -path 'tests/refs/*' \
    -not -path '*/node_modules/*' 2>/dev/null); do
    head -n 3 "$f" | grep -q "SPDX-License-Identifier: Apache-2.0" || {
        echo "$f: no SPDX-License-Identifier in its first lines"
        bad=1
    }
done
# the bundled plugins declare the same licence in their cml_plugin record
# (spdx_license), which users and tools read from the plugin itself
for f in $(grep -rl "spdx_license *=" plugins 2>/dev/null); do
    grep "spdx_license *=" "$f" | grep -qv '"Apache-2.0"' && {
        echo "$f: spdx_license is not \"Apache-2.0\""
        bad=1
    }
done
exit $bad
