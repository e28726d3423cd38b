#!/bin/sh
# Accuracy at the `auto` rate on data sets of 100 GiB or more (issue 22): each scenario of
# Benchmarks/accuracy/ run exact (on every core) and at the rate `auto` chooses, in release; prints
# one Markdown row per scenario: the rate, the exact and sampled final and peak physical use, the
# relative errors, and whether the exact figure lies in the sampled run's 95% interval.
# Minutes per scenario (the exact runs); the figures are recorded in Benchmarks/README.md.
#
#   sh scripts/accuracy-large.sh [SCENARIO...]   # default: every Benchmarks/accuracy/*.yaml
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup.sh >/dev/null
swift build -c release --product clonesim >/dev/null
[ $# -gt 0 ] || set -- Benchmarks/accuracy/*.yaml
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "| scenario | auto | exact final / peak (GiB) | sampled final / peak (GiB, 95%) | error final / peak | exact inside |"
echo "| --- | --- | --- | --- | --- | --- |"
for scenario in "$@"; do
  name=$(sed -n 's/^name: *//p' "$scenario")
  .build/release/clonesim run "$scenario" --sample exact --out "$out/exact" --quiet
  .build/release/clonesim run "$scenario" --out "$out/auto" --quiet 2>"$out/auto.err"
  python3 - "$name" "$out" <<'PY'
import csv, re, sys
name, out = sys.argv[1], sys.argv[2]
GiB = 2 ** 30
def figures(kind):
    rows = list(csv.DictReader(open(f"{out}/{kind}/{name}/timeseries.csv")))
    used = [int(r["physical_used_bytes"]) for r in rows]
    return used[-1] / GiB, max(used) / GiB
def peak(kind):
    # The peak is taken after every event, so it may fall between samples (before a night's
    # dedup run): read it from the report, not from the samples.
    m = re.search(r"\| peak use +\| +([\d.]+) GiB", open(f"{out}/{kind}/{name}/report.md").read())
    return float(m.group(1))
exact, auto = figures("exact"), figures("auto")
exact, auto = (exact[0], max(exact[1], peak("exact"))), (auto[0], max(auto[1], peak("auto")))
md = open(f"{out}/auto/{name}/report.md").read()
rate = re.search(r"Sampled run: (1/\d+)", md)
def interval(label):
    m = re.search(r"\| " + label + r" +\| +([\d.]+) GiB ± ([\d.]+) GiB", md)
    return (float(m.group(1)), float(m.group(2))) if m else None
final, peak = interval("final use"), interval("peak use")
# The report rounds to 0.01 GiB: the sampled figures' own (unrounded) values come from the CSV.
inside = all(iv is None or abs(x - iv[0]) <= iv[1] + 0.005 for x, iv in ((exact[0], final), (exact[1], peak)))
err = [abs(a - e) / e * 100 for a, e in zip(auto, exact)]
ci = lambda iv, x: f"{x:,.2f} ± {iv[1]:,.2f}" if iv else f"{x:,.2f}"
print(f"| `{name}` | {rate.group(1) if rate else 'exact'} | {exact[0]:,.2f} / {exact[1]:,.2f} | {ci(final, auto[0])} / {ci(peak, auto[1])} "
      f"| {err[0]:.2f}% / {err[1]:.2f}% | {'yes' if inside else 'no'} |")
PY
done
