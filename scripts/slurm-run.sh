#!/bin/sh
# One scenario's exact run as N shards on a Slurm cluster: a job array of N tasks, each
# `clonesim run --shard K/N` (one shard, one core), then a job that runs when all succeeded and
# merges the N parts into the report one process writes (byte for byte).
#
#   sh scripts/slurm-run.sh SCENARIO N [OUT]
#
# OUT (default Reports) gets OUT/<scenario>/ as `clonesim run` writes it; the parts go to
# OUT/.parts-<array job id>/ and stay there. The binary is $CLONESIM, default
# ./.build/release/clonesim (build it once on a shared file system: swift build -c release).
# Slurm's own variables choose the rest, e.g. SBATCH_PARTITION, SBATCH_TIMELIMIT and
# SBATCH_MEM_PER_NODE (Benchmarks/README.md says how much one shard needs). SLURM_RUN_WAIT=1
# waits until the merge is done and exits with its status.
set -eu
if [ $# -lt 2 ]; then
  echo "usage: sh scripts/slurm-run.sh SCENARIO N [OUT]" >&2
  exit 2
fi
scenario=$1
n=$2
out=${3:-Reports}
case $n in
  '' | *[!0-9]*) echo "slurm-run: N: found '$n'; allowed: a whole number from 2 to 4096" >&2; exit 2 ;;
esac
if [ "$n" -lt 2 ] || [ "$n" -gt 4096 ]; then
  echo "slurm-run: N: found $n; allowed: 2 to 4096" >&2
  exit 2
fi
bin=${CLONESIM:-$(pwd)/.build/release/clonesim}
for tool in sbatch "$bin"; do
  command -v "$tool" >/dev/null 2>&1 || { echo "slurm-run: $tool not found" >&2; exit 2; }
done
# Check the scenario here, before any node spends time on it.
"$bin" validate "$scenario" >/dev/null
case $scenario in /*) ;; *) scenario=$(pwd)/$scenario ;; esac
case $out in /*) ;; *) out=$(pwd)/$out ;; esac
mkdir -p "$out"
parts=$out/.parts-$$
mkdir -p "$parts"
array=$(sbatch --parsable --job-name=clonesim-shard --array=1-"$n" --ntasks=1 --cpus-per-task=1 \
  --output="$parts/shard-%a.log" --chdir="$(pwd)" \
  --wrap "exec '$bin' run '$scenario' --shard \$SLURM_ARRAY_TASK_ID/$n --out '$parts' --quiet")
array=${array%%;*}
wait_flag=
[ "${SLURM_RUN_WAIT:-0}" = 1 ] && wait_flag=--wait
# The parts are OUT/.parts-PID/<scenario name>/part-K-of-N.json: one scenario, so one folder.
# A shard that fails leaves the merge's dependency unmet: Slurm then cancels the merge.
merge=$(sbatch --parsable $wait_flag --job-name=clonesim-merge --dependency=afterok:"$array" --kill-on-invalid-dep=yes --ntasks=1 \
  --output="$out/.merge-$array.log" --chdir="$(pwd)" \
  --wrap "exec '$bin' merge '$parts'/*/part-*-of-$n.json --out '$out'")
echo "shards: job array $array ($n tasks); merge: job ${merge%%;*}; parts in $parts"
