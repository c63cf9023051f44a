#!/usr/bin/env bash
# Checks the scripts of deploy/slurm on the cluster that SLURM_CONF names (cluster-test.sh runs
# it on the local one), with `kne` replaced by record-invocation.sh, which records its calls:
#  1. submit.sh N queues an array whose task I runs `kne attribute` with the run's flags, no
#     --shard, and --out shards/I; then the merge, which runs only after every task, merges all
#     N folders and analyses the merge;
#  2. when a task fails, the merge never runs (afterok) and leaves the queue (kill-on-invalid-dep);
#  3. KNE_SHARD=I/N redoes one shard outside an array, into the folder of array task I.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/kne-deploy-check.XXXXXX")"
cleanup() {
  local status=$?
  if [ "$status" -eq 0 ]; then rm -rf "$WORK"; else echo "[deploy-check] FAILED; kept $WORK" >&2; fi
  exit "$status"
}
trap cleanup EXIT
say() { echo "[deploy-check] $*" >&2; }
fail() {
  say "$*"
  exit 1
}

export KNE="$ROOT/scripts/slurm/record-invocation.sh"
export KNE_MODEL=org/model@v1 KNE_FACTS=/data/facts.jsonl KNE_LANGUAGES=en,zh KNE_OFFLINE=1
export KNE_STEPS=7
unset KNE_METHOD KNE_SHARD KNE_SHARDS KNE_RECORD_FAIL_TASK
TAB=$'\t'

# Polls until none of the jobs "$@" is queued or running.
wait_jobs() {
  local ids deadline=$((SECONDS + 120))
  ids="$(IFS=,; echo "$*")"
  while [ -n "$(squeue -h -j "$ids" -o %i 2>/dev/null)" ]; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      squeue -j "$ids" -o '%i %T %r' >&2
      fail "jobs $ids still queued after 120s"
    fi
    sleep 0.5
  done
}

job_state() { scontrol -o show job "$1" | sed -n 's/.* JobState=\([^ ]*\) .*/\1/p' | sort -u | paste -sd,; }

# Small requests in place of the scripts' #SBATCH ones (4 CPUs, 8G), which a test machine may
# not have; options on the command line win over #SBATCH lines.
SMALL=(--cpus-per-task=1 --mem=100M --time=5)

# Runs submit.sh with the run folder $1 and N = $2; sets ARRAY and MERGE to the job ids.
submit() {
  local said
  said="$(KNE_OUT="$1" "$ROOT/deploy/slurm/submit.sh" "$2" "${SMALL[@]}")"
  say "$said"
  ARRAY="$(sed -n 's/^submitted: attribution array \([0-9]*\) .*/\1/p' <<<"$said")"
  MERGE="$(sed -n 's/.*, merge \([0-9]*\) after it$/\1/p' <<<"$said")"
  [ -n "$ARRAY" ] && [ -n "$MERGE" ] || fail "could not read the job ids from submit.sh"
}

attribute_call() { # task id, folder
  # shellcheck disable=SC2054 # en,zh is one argument
  local args=(attribute --model org/model@v1 --facts /data/facts.jsonl --method amig --steps 7
    --languages en,zh --offline --shards 3 --out "$2")
  (IFS="$TAB"; echo "$1$TAB${args[*]}")
}

# 1. A whole run (submit.sh sets KNE_SHARDS=3 for its jobs).
run="$WORK/run"
export KNE_RECORD="$WORK/run.calls"
submit "$run" 3
wait_jobs "$ARRAY" "$MERGE"
[ "$(job_state "$ARRAY")" = COMPLETED ] || fail "array $ARRAY ended $(job_state "$ARRAY")"
[ "$(job_state "$MERGE")" = COMPLETED ] || fail "merge $MERGE ended $(job_state "$MERGE")"
calls="$(cut -f2- "$KNE_RECORD")"
expected="$(
  for task in 0 1 2; do attribute_call "$task" "$run/shards/$task"; done
  (IFS="$TAB"; echo "-${TAB}merge${TAB}$run/shards/0${TAB}$run/shards/1${TAB}$run/shards/2${TAB}--out${TAB}$run/merged")
  (IFS="$TAB"; echo "-${TAB}analyze${TAB}--in${TAB}$run/merged${TAB}--out${TAB}$run/analysis")
)"
# The tasks may record in any order; the merge and the analysis must come after all of them.
[ "$(head -n 3 <<<"$calls" | sort)" = "$(head -n 3 <<<"$expected")" ] &&
  [ "$(tail -n +4 <<<"$calls")" = "$(tail -n +4 <<<"$expected")" ] || {
  say "calls recorded:"; cat "$KNE_RECORD" >&2
  say "calls expected (tasks in any order):"; echo "$expected" >&2
  exit 1
}
say "submit.sh 3: tasks 0-2 attributed into shards/0-2, then one merge of all three and analyze"

# 2. A failed task: no merge.
run="$WORK/failed"
export KNE_RECORD="$WORK/failed.calls"
KNE_RECORD_FAIL_TASK=1 submit "$run" 3
wait_jobs "$ARRAY" "$MERGE"
[ "$(job_state "$ARRAY")" = "COMPLETED,FAILED" ] || fail "array $ARRAY ended $(job_state "$ARRAY")"
[ "$(job_state "$MERGE")" = CANCELLED ] || fail "merge $MERGE ended $(job_state "$MERGE")"
if cut -f3 "$KNE_RECORD" | grep -qx merge; then fail "the merge ran although task 1 failed"; fi
say "task 1 failing: the merge was cancelled without running"

# 3. One shard again, outside an array.
run="$WORK/run"
export KNE_RECORD="$WORK/redo.calls"
one="$(KNE_OUT="$run" KNE_SHARD=1/3 sbatch --parsable --export=ALL "${SMALL[@]}" \
  --output="$WORK/redo.out" "$ROOT/deploy/slurm/kne-array.sbatch")"
wait_jobs "$one"
[ "$(job_state "$one")" = COMPLETED ] || fail "job $one ended $(job_state "$one")"
got="$(cut -f2- "$KNE_RECORD")"
want="$(
  # shellcheck disable=SC2054 # en,zh is one argument
  args=(attribute --model org/model@v1 --facts /data/facts.jsonl --method amig --steps 7
    --languages en,zh --offline --shard 1/3 --out "$run/shards/1")
  IFS="$TAB"
  echo "-$TAB${args[*]}"
)"
[ "$got" = "$want" ] || fail "KNE_SHARD=1/3 ran: $got; expected: $want"
say "KNE_SHARD=1/3: shard 1 redone into shards/1"
