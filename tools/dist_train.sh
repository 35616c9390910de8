#!/usr/bin/env bash
# Distributed training: tools/dist_train.sh CONFIG NPROC [train.py args...]
# One process per GPU with nccl; on a CPU-only torch, NPROC processes with gloo.
set -euo pipefail
CONFIG=$1
NPROC=$2
shift 2
exec "$(dirname "$0")/torchrun.sh" "$NPROC" train.py "$CONFIG" --launcher pytorch "$@"
