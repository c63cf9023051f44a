#!/usr/bin/env bash
# Runs a command against a private single-node Slurm cluster on this machine, then takes the
# cluster down again.
#
#   scripts/slurm/with-local-cluster.sh COMMAND [ARGS...]
#
# Needs root on Debian 12 with the packages slurm-wlm and munge (.ci/run installs them; this
# script installs nothing) and no systemd. Nothing system-wide is read or written: the munge key,
# munge socket, slurm.conf, controller state, spool and logs all live in one temporary directory,
# and both Slurm daemons listen on ports that were free a moment before. COMMAND runs with
# SLURM_CONF exported, so sbatch, squeue, sinfo and scancel reach this cluster and no other, and
# with stdin from /dev/null. TMPDIR (default /tmp) must allow executables: job scripts run from
# the spool directory inside it.
#
# The exit status is COMMAND's. On every exit (success, failure, Ctrl-C, SIGTERM) the EXIT trap
# cancels the cluster's jobs, stops slurmd, slurmctld and munged by the process ids recorded when
# they were started (each runs in the foreground of a background job, so $! is the daemon itself),
# kills any stray process of the cluster (found by a marker in its environment, see sweep_marked),
# and removes the temporary directory. Set KNE_SLURM_KEEP=1 to keep the directory for debugging.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "$0: must run as root (slurmd launches jobs as their owner; SlurmUser=root)" >&2
  exit 2
fi
for tool in munged mungekey slurmctld slurmd sbatch sinfo squeue scancel scontrol node; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "$0: $tool not found; install the Debian packages slurm-wlm and munge (.ci/run does)" >&2
    exit 2
  fi
done

# Job control gives every background job its own process group: a Ctrl-C at the terminal then
# reaches this script alone (whose trap tears down in order) rather than racing the daemons, and
# COMMAND's whole group can be signalled at once.
set -m

CLUSTER_DIR="$(mktemp -d "${TMPDIR:-/tmp}/kne-slurm.XXXXXX")"
# munged requires every directory above its socket to be searchable by all.
chmod 0711 "$CLUSTER_DIR"
# Every process of this cluster (daemons, slurmstepd, job steps) is started with this variable in
# its environment, so that stragglers can be found and stopped by process id (sweep_marked).
MARK="KNE_SLURM_CLUSTER=$CLUSTER_DIR"
MUNGED_PID=""
SLURMCTLD_PID=""
SLURMD_PID=""
COMMAND_PID=""
CLUSTER_UP=0
TORN_DOWN=0

log() { echo "[slurm-local] $*" >&2; }

# Stops a process we started: SIGTERM, up to $2 seconds' grace, then SIGKILL; reaps it.
stop_pid() {
  local pid="$1" grace="${2:-10}" i
  [ -n "$pid" ] || return 0
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < grace * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "process $pid ignored SIGTERM for ${grace}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null
  return 0
}

# Process ids whose environment holds $MARK: slurmstepd and job processes, which slurmd starts
# detached from it. Reading /proc/PID/environ needs root, which this script has.
marked_pids() {
  local f pid
  # grep -z reads NUL-separated entries; -x matches a whole entry. Processes that vanish or
  # cannot be read meanwhile are skipped (-s).
  for f in $(grep -lszxF "$MARK" /proc/[0-9]*/environ); do
    pid="${f#/proc/}"
    pid="${pid%/environ}"
    case " $$ $MUNGED_PID " in *" $pid "*) continue ;; esac
    echo "$pid"
  done
}

sweep_marked() {
  local pids i
  pids="$(marked_pids)"
  [ -n "$pids" ] || return 0
  log "stopping leftover processes of the cluster: $(echo $pids)"
  # shellcheck disable=SC2086
  kill -TERM $pids 2>/dev/null
  for ((i = 0; i < 50; i++)); do
    pids="$(marked_pids)"
    [ -n "$pids" ] || return 0
    sleep 0.1
  done
  # shellcheck disable=SC2086
  kill -KILL $pids 2>/dev/null
  sleep 0.2
}

# Waits, at most 5 seconds each, until the processes "$@" have left the process table. A
# slurmstepd detaches from slurmd, so when it exits PID 1 reaps it, which some inits do only
# every second or two; until then it shows as <defunct> in ps (it runs no more, but it is waited
# for so that the cluster is gone from ps when this script returns).
wait_reaped() {
  local pid i
  for pid in "$@"; do
    for ((i = 0; i < 50; i++)); do
      [ -e "/proc/$pid" ] || break
      sleep 0.1
    done
  done
}

teardown() {
  local status=$?
  set +e
  [ "$TORN_DOWN" = 1 ] && return
  TORN_DOWN=1
  trap '' INT TERM
  if [ -n "$COMMAND_PID" ] && kill -0 "$COMMAND_PID" 2>/dev/null; then
    log "stopping the command (process group $COMMAND_PID)"
    kill -TERM -- "-$COMMAND_PID" 2>/dev/null
    sleep 1
    kill -KILL -- "-$COMMAND_PID" 2>/dev/null
    wait "$COMMAND_PID" 2>/dev/null
  fi
  # Cancel jobs while the controller still runs, so slurmd ends their steps the normal way.
  if [ -n "$SLURMCTLD_PID" ] && kill -0 "$SLURMCTLD_PID" 2>/dev/null; then
    local jobs i
    jobs="$(timeout 10 squeue -h -o %A 2>/dev/null | sort -u)"
    if [ -n "$jobs" ]; then
      log "cancelling jobs: $(echo $jobs)"
      # shellcheck disable=SC2086
      timeout 10 scancel $jobs 2>/dev/null
      for ((i = 0; i < 150; i++)); do
        [ -z "$(timeout 10 squeue -h -o %A 2>/dev/null)" ] && break
        sleep 0.2
      done
    fi
  fi
  # Every process of the cluster alive now (daemons, slurmstepd still finishing, strays).
  local cluster_pids
  cluster_pids="$(marked_pids)"
  stop_pid "$SLURMD_PID" 10
  stop_pid "$SLURMCTLD_PID" 10
  sweep_marked
  # The exited ones are zombies by now and carry no environment to recognise them by; any
  # slurmstepd zombie is waited for (briefly) instead.
  # (From /proc/PID/stat, "PID (COMM) STATE ...", so that procps need not be installed.)
  # shellcheck disable=SC2086,SC2046
  wait_reaped $cluster_pids $(cat /proc/[0-9]*/stat 2>/dev/null |
    awk '$2 == "(slurmstepd)" && $3 == "Z" { print $1 }')
  stop_pid "$MUNGED_PID" 5
  if [ "$status" -ne 0 ]; then
    # Every daemon's output when the cluster did not come up; the controller's and the node's
    # logs when the command failed on it.
    local f logs=(slurmctld.log slurmd.log)
    # (-D copies a daemon's log to its output, the .out files, with what it said before logging.)
    [ "$CLUSTER_UP" = 1 ] || logs=(munged.log slurmctld.out slurmd.out)
    for f in "${logs[@]}"; do
      [ -s "$CLUSTER_DIR/log/$f" ] || continue
      log "last lines of log/$f:"
      tail -n 15 "$CLUSTER_DIR/log/$f" >&2
    done
  fi
  if [ "${KNE_SLURM_KEEP:-0}" = 1 ]; then
    log "kept $CLUSTER_DIR"
  else
    rm -rf "$CLUSTER_DIR"
  fi
  exit "$status"
}
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Prints a TCP port nobody listens on now (the kernel's pick for port 0).
free_port() {
  node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => {
    console.log(s.address().port); s.close(); });'
}

# `wait_for NAME PID SECONDS COMMAND...`: polls COMMAND until it succeeds, at most SECONDS, and
# fails at once if the daemon NAME (process PID) exits meanwhile; its output is in log/.
wait_for() {
  local name="$1" daemon="$2" seconds="$3" i
  shift 3
  for ((i = 0; i < seconds * 5; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$daemon" 2>/dev/null; then
      log "$name exited during start"
      return 1
    fi
    sleep 0.2
  done
  log "$name is not ready after ${seconds}s"
  return 1
}

mkdir -m 0711 "$CLUSTER_DIR/munge"
mkdir -m 0700 "$CLUSTER_DIR/log" "$CLUSTER_DIR/state" "$CLUSTER_DIR/spool"
MUNGE_SOCKET="$CLUSTER_DIR/munge/munge.socket"

# --- munge: a key of our own, a socket of our own -------------------------------------------
mungekey --create --keyfile="$CLUSTER_DIR/munge/munge.key"
env "$MARK" munged --foreground --socket="$MUNGE_SOCKET" \
  --key-file="$CLUSTER_DIR/munge/munge.key" --pid-file="$CLUSTER_DIR/munge/munged.pid" \
  --seed-file="$CLUSTER_DIR/munge/munged.seed" --log-file="$CLUSTER_DIR/log/munged.log" \
  </dev/null 2>>"$CLUSTER_DIR/log/munged.log" &
MUNGED_PID=$!
wait_for munged "$MUNGED_PID" 15 test -S "$MUNGE_SOCKET" || exit 1

# --- slurm.conf --------------------------------------------------------------------------------
# This host as slurmd sees it (NodeName=<short hostname> CPUs=... RealMemory=...), reached over
# loopback so that a hostname which does not resolve is no obstacle.
NODE_LINE="$(SLURM_CONF=/dev/null slurmd -C | head -n 1)"
NODE_NAME="$(sed -n 's/^NodeName=\([^ ]*\).*/\1/p' <<<"$NODE_LINE")"
if [ -z "$NODE_NAME" ]; then
  log "unexpected output from slurmd -C: $NODE_LINE"
  exit 1
fi
CTLD_PORT="$(free_port)"
SLURMD_PORT="$(free_port)"
while [ "$SLURMD_PORT" = "$CTLD_PORT" ]; do SLURMD_PORT="$(free_port)"; done
export SLURM_CONF="$CLUSTER_DIR/slurm.conf"
: >"$CLUSTER_DIR/plugstack.conf"
cat >"$SLURM_CONF" <<EOF
# Generated by $0 for one run; removed with $CLUSTER_DIR.
ClusterName=kne-local
SlurmctldHost=$NODE_NAME(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
StateSaveLocation=$CLUSTER_DIR/state
SlurmdSpoolDir=$CLUSTER_DIR/spool
SlurmctldPidFile=$CLUSTER_DIR/slurmctld.pid
SlurmdPidFile=$CLUSTER_DIR/slurmd.pid
SlurmctldLogFile=$CLUSTER_DIR/log/slurmctld.log
SlurmdLogFile=$CLUSTER_DIR/log/slurmd.log
PlugStackConfig=$CLUSTER_DIR/plugstack.conf
# A container has no cgroups to spare: track job processes through /proc, bind no tasks.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
# Allocate single CPUs, so a 1-CPU array task leaves the other CPUs to its siblings.
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
SlurmctldTimeout=60
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
MinJobAge=300
$NODE_LINE NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=local Nodes=$NODE_NAME Default=YES MaxTime=INFINITE State=UP
EOF

# --- slurmctld and slurmd ------------------------------------------------------------------
env "$MARK" slurmctld -D -i -f "$SLURM_CONF" </dev/null >>"$CLUSTER_DIR/log/slurmctld.out" 2>&1 &
SLURMCTLD_PID=$!
wait_for slurmctld "$SLURMCTLD_PID" 30 scontrol ping || exit 1
env "$MARK" slurmd -D -f "$SLURM_CONF" </dev/null >>"$CLUSTER_DIR/log/slurmd.out" 2>&1 &
SLURMD_PID=$!
node_idle() { [ "$(sinfo -h -n "$NODE_NAME" -o %T)" = idle ]; }
if ! wait_for slurmd "$SLURMD_PID" 60 node_idle; then
  log "node $NODE_NAME: $(sinfo -h -N -o '%N %T %E' 2>&1)"
  exit 1
fi
CLUSTER_UP=1
log "cluster up in $CLUSTER_DIR: node $NODE_NAME ($(sinfo -h -o %c) CPUs), slurmctld port $CTLD_PORT, slurmd port $SLURMD_PORT"

# --- the command -------------------------------------------------------------------------------
# In the background, so that the traps run as soon as a signal comes (bash runs them only between
# commands); its stdin is /dev/null, as a background job may not read the terminal.
env "$MARK" "$@" </dev/null &
COMMAND_PID=$!
status=0
wait "$COMMAND_PID" || status=$?
COMMAND_PID=""
exit "$status"
