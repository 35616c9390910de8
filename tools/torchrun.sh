#!/usr/bin/env bash
# torchrun wrapper shared by dist_train.sh and dist_test.sh: torchrun.sh NPROC SCRIPT.py [args...]
# NNODES, NODE_RANK, PORT, MASTER_ADDR and PYTHON may be set in the environment.
set -euo pipefail
NPROC=$1
SCRIPT=$2
shift 2
HERE=$(cd "$(dirname "$0")" && pwd)
PYTHONPATH="$HERE/..:${PYTHONPATH:-}" \
exec "${PYTHON:-python}" -m torch.distributed.run \
    --nnodes="${NNODES:-1}" --node_rank="${NODE_RANK:-0}" --master_addr="${MASTER_ADDR:-127.0.0.1}" \
    --nproc_per_node="$NPROC" --master_port="${PORT:-29500}" \
    "$HERE/$SCRIPT" "$@"
