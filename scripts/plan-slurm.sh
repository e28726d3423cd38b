#!/bin/bash
# Runs a clonesim plan as a Slurm job array: each array task runs one shard of the
# replications, and a last job, started when every task has succeeded, merges them into the
# report an unsharded run would write.
#
#   sh scripts/plan-slurm.sh SCENARIO RUNS SHARDS [clonesim plan options...]
#   e.g. sh scripts/plan-slurm.sh Scenarios/vdi-dedup.yaml 2000 50 --vary workloads.desktops.desktops=100,200
#
# Every node needs the built binary (swift build -c release) and a shared folder for OUT
# (default Reports). Cores per task: CPUS (default 4), passed to --jobs. The extra options go
# through the batch shell as words: values with spaces or braces need their own quoting there.
set -eu
scenario=$1 runs=$2 shards=$3
shift 3
out=${OUT:-Reports}
cpus=${CPUS:-4}
bin=${CLONESIM:-$(pwd)/.build/release/clonesim}
name=$(sed -n 's/^name: *//p' "$scenario" | head -n 1)

array=$(sbatch --parsable --job-name="plan-$name" --array="1-$shards" --cpus-per-task="$cpus" \
    --wrap "\"$bin\" plan \"$scenario\" --runs $runs --shard \$SLURM_ARRAY_TASK_ID/$shards --jobs $cpus --out \"$out\" --quiet $*")
sbatch --job-name="merge-$name" --dependency="afterok:$array" \
    --wrap "\"$bin\" merge \"$out/$name/plan\"/part-*-of-$shards.json --out \"$out\""
echo "submitted array $array ($shards shards of $runs replications) and its merge"
