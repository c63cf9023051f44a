#!/usr/bin/env bash
# The end-to-end cluster test (`npm run test:cluster`; .ci/run runs it as root): starts a private
# single-node Slurm cluster on this machine (with-local-cluster.sh), runs against it
#  - array-check.sh with the given options: a sharded command as a job array, merged, against
#    one process (by default `kne attribute` on the demo BERT, 30 facts in two languages), and
#  - deploy-check.sh: the scripts of deploy/slurm, with kne's calls recorded,
# and takes the cluster down again, whatever happens.
#
#   scripts/slurm/cluster-test.sh [array-check.sh options]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
exec "$here/with-local-cluster.sh" bash -c \
  '"$0/array-check.sh" "$@" && "$0/deploy-check.sh"' "$here" "$@"
