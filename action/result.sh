#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# result.sh — the action's last step, after the SARIF upload: fail the job
# the way coreml-lint's exit code says (0 clean, 1 findings at or above
# fail-on, 2 usage or tool error), unless fail-on is "never" (then only a
# tool error fails). Environment: EXIT_CODE, INPUT_FAIL_ON.
set -u
rc=${EXIT_CODE:-2}
if [ "$rc" = 1 ] && [ "${INPUT_FAIL_ON:-error}" = never ]; then
    echo "coreml-lint found problems (fail-on: never, so the step passes); see the summary and code scanning"
    exit 0
fi
case $rc in
0) echo "coreml-lint: no finding at or above fail-on" ;;
1) echo "::error::coreml-lint: findings at or above fail-on (${INPUT_FAIL_ON:-"the configuration's fail_on, else error"}); see the job summary and code scanning" ;;
*) echo "::error::coreml-lint could not check the models (exit $rc); see the step 'Check the models'" ;;
esac
exit "$rc"
