#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# make-large-fixture.sh OUTDIR [--from FIXTURE] [--nodes N] [--roots-per-node N] [--ports-per-root N] ...
# Derives the benchmark's large sysfs fixture (default: 2 NUMA nodes, 256 root ports, 512
# endpoint devices) from a captured fixture; see make-large-fixture.py --help.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 OUTDIR [options]  (see make-large-fixture.py --help)" >&2; exit 2; }
exec python3 "$(dirname "${BASH_SOURCE[0]}")/make-large-fixture.py" "$@"
