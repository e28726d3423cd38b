#!/bin/sh
# Regenerates the reports of the full-size scenarios (Scenarios/full-size/, issue 22) into
# Reports/<name>/, in release, timing each: these are the benchmark rows of Benchmarks/README.md
# ("Full-size questions"), too long for the unit tests' debug build. `auto` chooses their
# sampling as on this project's 2-core machine whatever the machine, so the bytes are the same
# everywhere.
#
#   sh scripts/full-size.sh [SCENARIO...]   # default: every Scenarios/full-size/*.yaml
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup.sh >/dev/null
swift build -c release --product clonesim >/dev/null
[ $# -gt 0 ] || set -- Scenarios/full-size/*.yaml
for scenario in "$@"; do
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f "$scenario: %e s wall, %U s user, %M KB peak" .build/release/clonesim run "$scenario" --out Reports
  else
    .build/release/clonesim run "$scenario" --out Reports
  fi
done
