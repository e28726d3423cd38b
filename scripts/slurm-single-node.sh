#!/bin/sh
# A throw-away single-node Slurm cluster in DIR (Debian's slurm-wlm and munge), for trying
# scripts/slurm-run.sh on one machine and for its test. Root only.
#
#   sh scripts/slurm-single-node.sh start DIR   # prints SLURM_CONF=DIR/slurm.conf on success
#   sh scripts/slurm-single-node.sh stop DIR
#
# Everything it makes (munge key and socket, Slurm's state, logs, pid files) lives in DIR; its
# ports are 16817 and 16818. start exits 3, saying why, when it cannot start a cluster here.
set -eu
what=${1:-}
dir=${2:-}
if [ -z "$what" ] || [ -z "$dir" ]; then
  echo "usage: sh scripts/slurm-single-node.sh start|stop DIR" >&2
  exit 2
fi
case $dir in /*) ;; *) dir=$(pwd)/$dir ;; esac

stop() {
  for pid in slurmd slurmctld munged; do
    [ -f "$dir/$pid.pid" ] && kill "$(cat "$dir/$pid.pid")" 2>/dev/null || true
  done
  return 0
}

if [ "$what" = stop ]; then
  stop
  exit 0
fi
[ "$what" = start ] || { echo "slurm-single-node: found '$what'; allowed: start, stop" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "slurm-single-node: needs root (slurmd runs jobs as their user)" >&2; exit 3; }
for tool in munged mungekey slurmctld slurmd sbatch sinfo; do
  command -v "$tool" >/dev/null 2>&1 || { echo "slurm-single-node: $tool not found (apt-get install -y slurm-wlm munge)" >&2; exit 3; }
done
mkdir -p "$dir/state" "$dir/spool"
host=$(hostname -s)
cpus=$(nproc)
cat > "$dir/slurm.conf" <<EOF
ClusterName=clonesim-single-node
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldPort=16817
SlurmdPort=16818
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=single Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
fail() {
  echo "slurm-single-node: $1" >&2
  stop
  exit 3
}
mungekey -c -f -k "$dir/munge.key" >/dev/null 2>&1 || fail "mungekey could not make a key"
munged --force --key-file="$dir/munge.key" --socket="$dir/munge.socket" --pid-file="$dir/munged.pid" \
  --log-file="$dir/munged.log" --seed-file="$dir/munged.seed" </dev/null >"$dir/munged.out" 2>&1 \
  || fail "munged did not start: $(cat "$dir/munged.out")"
# The daemons' own output to files: a caller reading this script's output to its end must not
# wait for daemons that keep it open.
slurmctld -f "$dir/slurm.conf" </dev/null >"$dir/slurmctld.out" 2>&1 || fail "slurmctld did not start (see $dir/slurmctld.log)"
slurmd -f "$dir/slurm.conf" </dev/null >"$dir/slurmd.out" 2>&1 || fail "slurmd did not start (see $dir/slurmd.log)"
# Up when the node is idle.
for _ in $(seq 1 30); do
  if SLURM_CONF=$dir/slurm.conf sinfo -h -o %T 2>/dev/null | grep -q idle; then
    echo "SLURM_CONF=$dir/slurm.conf"
    exit 0
  fi
  sleep 1
done
fail "the node did not come up within 30 s (see $dir/slurmd.log, $dir/slurmctld.log)"
