#!/usr/bin/env bash
# Queues a kne run on Slurm: a job array of N attribution tasks (kne-array.sbatch), then the
# merge and analysis (kne-merge.sbatch), which starts only when every task has succeeded.
#
#   KNE_MODEL=<folder | hub-id[@revision]> KNE_FACTS=<file> KNE_OUT=<folder> \
#     deploy/slurm/submit.sh N [sbatch options for both jobs, e.g. --partition=cpu]
#
# KNE_OUT must be on a filesystem that every node sees. Optional: KNE_METHOD (amig), KNE_STEPS
# (20), KNE_LANGUAGES (e.g. en,zh), KNE_OFFLINE=1, and KNE, the command that runs kne (default
# `kne` on the PATH; e.g. "apptainer exec kne.sif kne"). docs/cluster.md explains each.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

if [ "$#" -lt 1 ] || ! [[ "$1" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 N [sbatch options]   (N: the number of shards, at least 1)" >&2
  exit 2
fi
shards="$1"
shift
: "${KNE_MODEL:?set KNE_MODEL to a model folder or a hub id[@revision]}"
: "${KNE_FACTS:?set KNE_FACTS to the fact file}"
: "${KNE_OUT:?set KNE_OUT to the run folder, on a filesystem every node sees}"
mkdir -p "$KNE_OUT/logs"
# Every task passes --shards N, so kne checks that it runs in an array of N tasks.
export KNE_SHARDS="$shards"

# The array runs tasks 0 to N-1, so task I writes shard I to $KNE_OUT/shards/I.
array="$(sbatch --parsable --export=ALL --array="0-$((shards - 1))" \
  --output="$KNE_OUT/logs/attribute-%A_%a.out" "$@" "$here/kne-array.sbatch")"
array="${array%%;*}"
# afterok: only when every task exits 0; a failed task cancels the merge instead of leaving it
# pending forever.
merge="$(sbatch --parsable --export=ALL --dependency="afterok:$array" --kill-on-invalid-dep=yes \
  --output="$KNE_OUT/logs/merge-%j.out" "$@" "$here/kne-merge.sbatch")"
merge="${merge%%;*}"
echo "submitted: attribution array $array (tasks 0-$((shards - 1))), merge $merge after it"
echo "logs: $KNE_OUT/logs; result: $KNE_OUT/merged and $KNE_OUT/analysis"
