#!/bin/bash
# The Cloud Hypervisor grammar checker over every generated VM unit of the golden cases,
# the round trip of ExecStart= against `nestvirt vm argv`, systemd's own split, and the
# good/ and broken/ examples. TAP; the assertions are described in test_grammar.py.
#
# usage: test-grammar.sh BUILD_DIR GOLDEN_CASES_DIR
exec python3 "$(dirname "$0")/test_grammar.py" "$@"
