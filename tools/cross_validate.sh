#!/usr/bin/env bash
# Chronological k-fold cross-validation of one config (Mittmann et al. 2022), then mean ± sd over the folds.
#
#   tools/cross_validate.sh CONFIG [--folds 5] [--ann-dir data/synth_dsa/annotations/folds]
#       [--work-dir work_dirs/cv/<config name>] [--skip-done] [extra tools/train.py args...]
#
# For k = 0..FOLDS-1: trains with tools/train.py CONFIG --work-dir WORK/fold{k} on ANN_DIR/fold{k}_train.json,
# validating on ANN_DIR/fold{k}_val.json (test_dataloader set to ANN_DIR/test.json), then tests the best
# checkpoint (best_*.pth, the newest if several; else the one named in last_checkpoint) with tools/test.py,
# using the config the training run dumped into WORK/fold{k} (so extra --cfg-options apply to the test too),
# and writes WORK/fold{k}/results.json. Finally tools/analysis/cv_summary.py prints per-fold MCC/AUC and
# their mean ± sd and writes WORK/cv_summary.json.
# If ANN_DIR/folds.json is missing, ANN_DIR is first made by tools/split_folds.py from ANN_DIR/../all.json.
# --skip-done: folds whose results.json exists are neither trained nor tested again.
# The Python interpreter is ${PYTHON:-python}.
set -euo pipefail

PYTHON=${PYTHON:-python}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

usage() {
    sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit "${1:-2}"
}
die() {
    echo "cross_validate.sh: error: $*" >&2
    exit 1
}
abspath() {
    case $1 in
        /*) echo "$1" ;;
        *) echo "$PWD/$1" ;;
    esac
}

[[ $# -ge 1 ]] || usage 2
case $1 in -h | --help) usage 0 ;; esac
CONFIG=$1
shift
FOLDS=5
ANN_DIR=data/synth_dsa/annotations/folds
WORK_DIR=
SKIP_DONE=0
EXTRA=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --folds) [[ $# -ge 2 ]] || die "--folds needs a value"; FOLDS=$2; shift 2 ;;
        --folds=*) FOLDS=${1#*=}; shift ;;
        --ann-dir) [[ $# -ge 2 ]] || die "--ann-dir needs a value"; ANN_DIR=$2; shift 2 ;;
        --ann-dir=*) ANN_DIR=${1#*=}; shift ;;
        --work-dir) [[ $# -ge 2 ]] || die "--work-dir needs a value"; WORK_DIR=$2; shift 2 ;;
        --work-dir=*) WORK_DIR=${1#*=}; shift ;;
        --skip-done) SKIP_DONE=1; shift ;;
        -h | --help) usage 0 ;;
        *) EXTRA+=("$1"); shift ;;
    esac
done

[[ -f $CONFIG ]] || die "config not found: $CONFIG"
[[ $FOLDS =~ ^[0-9]+$ && $FOLDS -ge 2 ]] || die "--folds must be an integer >= 2, got '$FOLDS'"
CONFIG_NAME=$(basename "$CONFIG" .py)
WORK_DIR=$(abspath "${WORK_DIR:-work_dirs/cv/$CONFIG_NAME}")
ANN_DIR=$(abspath "$ANN_DIR")

if [[ ! -f $ANN_DIR/folds.json ]]; then
    ALL=$(dirname "$ANN_DIR")/all.json
    [[ -f $ALL ]] || die "$ANN_DIR/folds.json not found, and no $ALL to make the folds from (tools/split_folds.py ANN --out-dir $ANN_DIR)"
    echo "== no $ANN_DIR/folds.json: splitting $ALL into a test set and $FOLDS chronological folds"
    "$PYTHON" "$ROOT/tools/split_folds.py" "$ALL" --folds "$FOLDS" --out-dir "$ANN_DIR"
fi
SPLIT_FOLDS=$("$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["num_folds"])' "$ANN_DIR/folds.json")
[[ $SPLIT_FOLDS == "$FOLDS" ]] ||
    die "$ANN_DIR/folds.json has $SPLIT_FOLDS folds, not $FOLDS (rerun tools/split_folds.py with --folds $FOLDS, or pass --folds $SPLIT_FOLDS)"

RESULTS=()
for ((k = 0; k < FOLDS; k++)); do
    FOLD_DIR=$WORK_DIR/fold$k
    RESULTS+=("$FOLD_DIR/results.json")
    if [[ $SKIP_DONE == 1 && -f $FOLD_DIR/results.json ]]; then
        echo "== fold $k: $FOLD_DIR/results.json exists, skipped (--skip-done)"
        continue
    fi
    for f in "fold${k}_train.json" "fold${k}_val.json" test.json; do
        [[ -f $ANN_DIR/$f ]] || die "$ANN_DIR/$f not found (rerun tools/split_folds.py)"
    done
    ANN_OPTIONS=(
        "train_dataloader.dataset.ann_file=$ANN_DIR/fold${k}_train.json"
        "val_dataloader.dataset.ann_file=$ANN_DIR/fold${k}_val.json"
        "test_dataloader.dataset.ann_file=$ANN_DIR/test.json"
    )
    echo "== fold $k ($((k + 1)) of $FOLDS): training in $FOLD_DIR"
    "$PYTHON" "$ROOT/tools/train.py" "$CONFIG" --work-dir "$FOLD_DIR" --cfg-options "${ANN_OPTIONS[@]}" \
        ${EXTRA[@]+"${EXTRA[@]}"}

    CKPT=$(ls -t "$FOLD_DIR"/best_*.pth 2>/dev/null | head -n 1 || true)
    if [[ -z $CKPT && -f $FOLD_DIR/last_checkpoint ]]; then
        CKPT=$(<"$FOLD_DIR/last_checkpoint")
    fi
    [[ -n $CKPT && -f $CKPT ]] || die "fold $k: no checkpoint in $FOLD_DIR (neither best_*.pth nor last_checkpoint)"
    TEST_CONFIG=$FOLD_DIR/$(basename "$CONFIG")
    [[ -f $TEST_CONFIG ]] || TEST_CONFIG=$CONFIG
    echo "== fold $k ($((k + 1)) of $FOLDS): testing $CKPT on $ANN_DIR/test.json"
    "$PYTHON" "$ROOT/tools/test.py" "$TEST_CONFIG" "$CKPT" --work-dir "$FOLD_DIR" \
        --out "$FOLD_DIR/results.json" --cfg-options "test_dataloader.dataset.ann_file=$ANN_DIR/test.json"
done

echo "== cross-validation of $CONFIG_NAME over $FOLDS folds ($WORK_DIR)"
"$PYTHON" "$ROOT/tools/analysis/cv_summary.py" "${RESULTS[@]}" --json "$WORK_DIR/cv_summary.json"
