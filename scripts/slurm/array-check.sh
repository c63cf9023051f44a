#!/usr/bin/env bash
# Checks that a sharded command gives the same result on a Slurm job array as in one process:
# for each array spec, submits the command as a job array whose tasks take their shard from
# Slurm's environment, waits for it, merges the tasks' output folders and compares the merge with
# a single-process run of the same command. Runs against whatever cluster SLURM_CONF (or the
# default slurm.conf) names: the local one of cluster-test.sh, or a real one, given a --work
# folder that every node sees.
#
#   scripts/slurm/array-check.sh [--run CMD] [--merge CMD] [--compare CMD] [--array SPEC]...
#                                [--work DIR] [--timeout SECONDS]
#
# Commands are bash code, run in the repository's root:
#   --run      writes one shard's result to "$OUT"; it gets no shard flag, so in an array task it
#              must take the shard from SLURM_ARRAY_TASK_* and alone it must do everything.
#   --merge    gets the tasks' folders as "$@" and writes the merge to "$OUT".
#   --compare  exits 0 when "$MERGED" and "$SINGLE" (the single-process run) agree.
# The defaults run `kne attribute` on the bundled demo BERT with 30 facts of the bundled fact set
# in English and Chinese (60 prompts), `kne merge`, and `diff -r`, on the arrays 0-2 and 10-14:2
# (three tasks each: one numbered from 0, one with an offset and step). One onnxruntime thread
# everywhere, so that the tasks and the single process compute alike to the last bit.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
KNE="node bin/kne.js"
RUN_CMD="$KNE attribute --model public/models/demo-bert --facts factset --relations P36,P30,P37"
RUN_CMD+=" --per-relation 10 --languages en,zh --steps 4 --threads 1 --out \"\$OUT\""
MERGE_CMD="$KNE merge \"\$@\" --out \"\$OUT\""
COMPARE_CMD='diff -r "$MERGED" "$SINGLE"'
ARRAYS=()
WORK=""
TIMEOUT=600

while [ "$#" -gt 0 ]; do
  case "$1" in
    --run) RUN_CMD="$2"; shift 2 ;;
    --merge) MERGE_CMD="$2"; shift 2 ;;
    --compare) COMPARE_CMD="$2"; shift 2 ;;
    --array) ARRAYS+=("$2"); shift 2 ;;
    --work) WORK="$2"; shift 2 ;;
    --timeout) TIMEOUT="$2"; shift 2 ;;
    *) echo "$0: unknown option $1" >&2; exit 2 ;;
  esac
done
[ "${#ARRAYS[@]}" -gt 0 ] || ARRAYS=(0-2 10-14:2)

OWN_WORK=0
if [ -z "$WORK" ]; then
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/kne-array-check.XXXXXX")"
  OWN_WORK=1
fi
mkdir -p "$WORK/logs"
SINGLE_PID=""
JOBS=()
TASKS=0
cleanup() {
  local status=$?
  set +e
  [ -n "$SINGLE_PID" ] && kill "$SINGLE_PID" 2>/dev/null && wait "$SINGLE_PID" 2>/dev/null
  # shellcheck disable=SC2086
  [ "${#JOBS[@]}" -gt 0 ] && scancel "${JOBS[@]}" 2>/dev/null
  if [ "$status" -eq 0 ] && [ "$OWN_WORK" = 1 ]; then rm -rf "$WORK"; fi
  [ "$status" -ne 0 ] && echo "[array-check] FAILED; outputs and logs kept in $WORK" >&2
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say() { echo "[array-check] $*" >&2; }
started=$SECONDS

# The single-process run, beside the arrays: outside any array, whatever this shell inherited.
say "single-process run -> $WORK/single"
(
  cd "$ROOT"
  unset SLURM_ARRAY_JOB_ID SLURM_ARRAY_TASK_ID SLURM_ARRAY_TASK_COUNT SLURM_ARRAY_TASK_MIN \
    SLURM_ARRAY_TASK_MAX SLURM_ARRAY_TASK_STEP JOB_COMPLETION_INDEX
  OUT="$WORK/single" bash -c "$RUN_CMD"
) >"$WORK/logs/single.out" 2>&1 &
SINGLE_PID=$!

# The batch script of every array task: the command, with OUT a folder of its own.
cat >"$WORK/task.sbatch" <<'EOF'
#!/bin/bash
set -euo pipefail
cd "$KNE_CHECK_ROOT"
export OUT="$KNE_CHECK_OUT/task-$SLURM_ARRAY_TASK_ID"
bash -c "$KNE_CHECK_RUN"
EOF

# Waits until job $1 has left the queue, then fails unless all its tasks completed with 0.
wait_job() {
  local id="$1" deadline=$((SECONDS + TIMEOUT)) states
  while [ -n "$(squeue -h -j "$id" -o %i 2>/dev/null)" ]; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      say "job $id still queued or running after ${TIMEOUT}s:"
      squeue -j "$id" >&2
      return 1
    fi
    sleep 0.5
  done
  states="$(scontrol -o show job "$id" |
    sed -n 's/.*ArrayTaskId=\([^ ]*\) .*JobState=\([^ ]*\) .*ExitCode=\([^ ]*\) .*StartTime=\([^ ]*\) EndTime=\([^ ]*\) .*/task \1: \2 exit \3, \4 to \5/p' |
    sort -t' ' -k2,2n)"
  say "job $id:"
  sed 's/^/    /' <<<"$states" >&2
  TASKS="$(grep -c . <<<"$states")"
  if grep -v 'COMPLETED exit 0:0' <<<"$states" | grep -q .; then
    say "job $id: a task failed; its log:"
    tail -n 20 "$WORK"/logs/"$id"_*.out >&2
    return 1
  fi
}

failed=0
for spec in "${ARRAYS[@]}"; do
  tag="array-${spec//[^0-9A-Za-z]/_}"
  mkdir -p "$WORK/$tag"
  id="$(KNE_CHECK_ROOT="$ROOT" KNE_CHECK_OUT="$WORK/$tag" KNE_CHECK_RUN="$RUN_CMD" \
    sbatch --parsable --array="$spec" --job-name=kne-array-check --cpus-per-task=1 \
    --time=30 --output="$WORK/logs/%A_%a.out" "$WORK/task.sbatch")"
  id="${id%%;*}"
  JOBS+=("$id")
  say "submitted --array=$spec as job $id"
  wait_job "$id"
  tasks=("$WORK/$tag"/task-*)
  if [ ! -d "${tasks[0]}" ] || [ "${#tasks[@]}" -ne "$TASKS" ]; then
    say "--array=$spec ran $TASKS tasks but left ${#tasks[@]} output folders"
    exit 1
  fi
  say "merging ${#tasks[@]} task folders of --array=$spec"
  (cd "$ROOT" && OUT="$WORK/$tag/merged" bash -c "$MERGE_CMD" merge "${tasks[@]}") \
    >"$WORK/logs/$tag-merge.out" 2>&1 || {
    cat "$WORK/logs/$tag-merge.out" >&2
    exit 1
  }
  if [ -n "$SINGLE_PID" ]; then
    wait "$SINGLE_PID" || { cat "$WORK/logs/single.out" >&2; SINGLE_PID=""; exit 1; }
    SINGLE_PID=""
  fi
  if (cd "$ROOT" && MERGED="$WORK/$tag/merged" SINGLE="$WORK/single" bash -c "$COMPARE_CMD") \
    >"$WORK/logs/$tag-compare.out" 2>&1; then
    say "--array=$spec: the merge of ${#tasks[@]} tasks equals the single-process run"
  else
    say "--array=$spec: the merge differs from the single-process run:"
    head -n 40 "$WORK/logs/$tag-compare.out" >&2
    failed=1
  fi
done
cat "$WORK"/logs/*.out | grep -E '^(shard|merged) ' | sed 's/^/    /' >&2 || true
say "done in $((SECONDS - started))s"
exit "$failed"
