#!/usr/bin/env bash
# Distributed testing: tools/dist_test.sh CONFIG CHECKPOINT NPROC [test.py args...]
# One process per GPU with nccl; on a CPU-only torch, NPROC processes with gloo.
set -euo pipefail
CONFIG=$1
CHECKPOINT=$2
NPROC=$3
shift 3
exec "$(dirname "$0")/torchrun.sh" "$NPROC" test.py "$CONFIG" "$CHECKPOINT" --launcher pytorch "$@"
