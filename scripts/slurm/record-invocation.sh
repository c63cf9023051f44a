#!/usr/bin/env bash
# Takes the place of `kne` (KNE=this script) when deploy-check.sh runs the scripts of
# deploy/slurm: it runs no model, it records what it was asked to run. Each call appends one line
# to $KNE_RECORD (Slurm job id, array task id or "-", then the arguments, tab-separated) and
# creates the folder given to --out, as kne would. With KNE_RECORD_FAIL_TASK=I, the call of array
# task I exits 3 instead, as a failed shard would.
set -euo pipefail
: "${KNE_RECORD:?set KNE_RECORD to the file that receives the calls}"
if [ "${SLURM_ARRAY_TASK_ID:--}" = "${KNE_RECORD_FAIL_TASK:-none}" ]; then
  echo "record-invocation: failing array task $SLURM_ARRAY_TASK_ID on purpose" >&2
  exit 3
fi
line="${SLURM_JOB_ID:--}"$'\t'"${SLURM_ARRAY_TASK_ID:--}"
out=""
while [ "$#" -gt 0 ]; do
  line+=$'\t'"$1"
  if [ "$1" = --out ] && [ "$#" -gt 1 ]; then out="$2"; fi
  shift
done
# One short write with O_APPEND: lines of tasks running at once do not interleave.
printf '%s\n' "$line" >>"$KNE_RECORD"
if [ -n "$out" ]; then mkdir -p "$out"; fi
