#!/bin/bash
# Smoke test of tools/slurm/sweep.sbatch on a real Slurm: installs slurm-wlm and munge from
# Debian, starts a one-node cluster on localhost, submits a sweep as a 4-shard job array
# with a dependent merge job, and checks that the merged table equals the table of the same
# sweep run unsharded, byte for byte.
#
#   tools/slurm/smoke.sh [SWEEP.toml]     (default sweeps/esn-spectral-radius.toml)
#
# Needs Debian (or Ubuntu) with root or sudo; meant for a throwaway machine or container, not
# for CI. The cluster uses its own config, ports (16817, 16818) and state under a temporary
# folder, and everything it starts is stopped when the script exits. PHYSRC_XTASK may name a
# built xtask; otherwise the release build is made.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
sweep=${1:-sweeps/esn-spectral-radius.toml}
shards=4

step() { printf '\n== %s\n' "$*"; }
# A prefix rather than a function, so `"${as_root[@]}" daemon &` puts the daemon itself (or
# sudo, which passes signals on) behind $!, and the cleanup stops what it started.
if [[ $EUID -eq 0 ]]; then as_root=(); else as_root=(sudo); fi
as_root() { "${as_root[@]}" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

step "install slurm-wlm and munge"
as_root apt-get update -q
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    slurm-wlm munge
dpkg-query -W slurm-wlm slurmctld slurmd slurm-client munge

work=$(mktemp -d /tmp/physrc-slurm-smoke.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
    local status=$?
    step "stop the cluster"
    # Only what this script started, by process id.
    for pid in "${pids[@]}"; do
        as_root kill "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        # The daemons in the foreground are this shell's children: reap them. munged is not.
        wait "$pid" 2>/dev/null || true
        for _ in $(seq 50); do
            as_root kill -0 "$pid" 2>/dev/null || break
            sleep 0.2
        done
        if as_root kill -0 "$pid" 2>/dev/null; then
            as_root kill -KILL "$pid" 2>/dev/null || true
        fi
        echo "stopped process $pid"
    done
    echo "logs and results kept in $work"
    exit "$status"
}
trap cleanup EXIT

step "start munge"
if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    echo "munged already running"
else
    [[ -s /etc/munge/munge.key ]] || as_root mungekey --create --keyfile=/etc/munge/munge.key
    as_root chown munge:munge /etc/munge/munge.key
    as_root chmod 400 /etc/munge/munge.key
    as_root install -d -o munge -g munge -m 755 /run/munge
    as_root install -d -o munge -g munge -m 700 /var/lib/munge /var/log/munge
    # munged runs as munge and writes its pid file as munge.
    as_root install -d -o munge -g munge -m 755 "$work/munge"
    as_root runuser -u munge -- /usr/sbin/munged --pid-file="$work/munge/munged.pid"
    for _ in $(seq 50); do [[ -s $work/munge/munged.pid ]] && break; sleep 0.1; done
    [[ -s $work/munge/munged.pid ]] || fail "munged did not start; see /var/log/munge/munged.log"
    pids+=("$(cat "$work/munge/munged.pid")")
    munge -n | unmunge | grep STATUS
fi

step "start a one-node cluster on localhost"
cpus=$(nproc)
export SLURM_CONF=$work/slurm.conf
cat >"$SLURM_CONF" <<EOF
ClusterName=physrc-smoke
SlurmctldHost=localhost
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=smoke Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
mkdir -p "$work/state" "$work/spool"
cat "$SLURM_CONF"
# In the foreground (-D) so their process ids are known; they also log to files in $work.
"${as_root[@]}" slurmctld -D -i -f "$SLURM_CONF" >"$work/slurmctld.console" 2>&1 &
pids+=("$!")
"${as_root[@]}" slurmd -D -f "$SLURM_CONF" -N localhost >"$work/slurmd.console" 2>&1 &
pids+=("$!")
state=
for _ in $(seq 60); do
    state=$(sinfo -h -n localhost -o %T 2>/dev/null || true)
    [[ $state == idle ]] && break
    sleep 1
done
sinfo
if [[ $state != idle ]]; then
    tail -n 20 "$work/slurmctld.console" "$work/slurmd.console"
    fail "the node did not come up (state '$state')"
fi

step "build the xtask"
if [[ -z ${PHYSRC_XTASK:-} ]]; then
    cargo build --release -p xtask
    PHYSRC_XTASK=$root/target/release/xtask
fi
export PHYSRC_XTASK
"$PHYSRC_XTASK" sweep "$sweep" --dry-run

step "the sweep unsharded, outside Slurm"
"$PHYSRC_XTASK" sweep "$sweep" --out "$work/unsharded" --jobs "$cpus"

step "the sweep as a $shards-shard job array and a dependent merge job"
# One CPU per task, so two shards run at once on this node and write into one folder.
submitted=$(PHYSRC_SBATCH_ARGS="--cpus-per-task=1" \
    tools/slurm/sweep.sbatch "$sweep" "$shards" "$work/sharded")
echo "$submitted"
array=$(sed -n 's/^shards: job array \([0-9]*\).*/\1/p' <<<"$submitted")
merge=$(sed -n 's/^merge: job \([0-9]*\).*/\1/p' <<<"$submitted")
[[ -n $array && -n $merge ]] || fail "could not read the job ids"
scontrol show job "$merge" | grep -E 'JobState|Dependency'

for _ in $(seq 600); do
    queued=$(squeue -h -j "$array,$merge" -o '%i %T %r' 2>/dev/null || true)
    [[ -z $queued ]] && break
    sleep 1
done
[[ -z $queued ]] || fail "jobs still queued after 10 minutes: $queued"
for job in "$array" "$merge"; do
    scontrol show job "$job" | grep -E '^JobId|JobState' | sed 's/^ *//'
done
for log in "$work"/sharded/slurm-*.out; do
    echo "--- $log"
    cat "$log"
done
merge_state=$(scontrol show job "$merge" | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
[[ $merge_state == COMPLETED ]] || fail "the merge job ended $merge_state"
for ((i = 0; i < shards; i++)); do
    [[ -s $work/sharded/points-shard-$i-of-$shards.jsonl ]] || fail "shard $i wrote no results"
done

step "compare the tables"
wc -l "$work/unsharded/table.csv" "$work/sharded/table.csv"
if cmp "$work/unsharded/table.csv" "$work/sharded/table.csv"; then
    echo "PASS: the merged table of $shards Slurm shards equals the unsharded sweep's, byte for byte"
else
    diff "$work/unsharded/table.csv" "$work/sharded/table.csv" || true
    fail "the merged table differs from the unsharded one"
fi
