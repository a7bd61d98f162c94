#!/usr/bin/env bash
# Filtered-search benchmark on a CUDA device (INDEX_DEVICE=cuda), for a session with the device tool.
#
#   bash bench/gpu_check.sh [CHUNKS] [QUERIES]     (defaults: 1000000 100; about 3-4 minutes)
#
# Needs a CUDA build of torch in the Python it finds (PYTHON, else .venv/bin/python, else python3);
# without one it installs the CUDA wheel of the pinned torch version into a throwaway venv that
# reuses the project's other packages. Writes gpu_filtered_search.json to $OUT (or /tmp) and prints
# the table. Unverified: written in a session without a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
CHUNKS="${1:-1000000}"
QUERIES="${2:-100}"
OUT_DIR="${OUT:-/tmp}"
PY="${PYTHON:-}"
if [[ -z "$PY" ]]; then
  if [[ -x .venv/bin/python ]]; then PY=.venv/bin/python; else PY=python3; fi
fi
nvidia-smi --query-gpu=name,memory.total,memory.used --format=csv || true
if ! "$PY" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  echo "torch without CUDA in $PY: installing the CUDA build into /tmp/gpu-venv" >&2
  "$PY" -m venv --system-site-packages /tmp/gpu-venv
  /tmp/gpu-venv/bin/pip install -q --upgrade "torch==$("$PY" -c 'import torch; print(torch.__version__.split("+")[0])' 2>/dev/null || echo 2.13.0)" \
    --index-url https://download.pytorch.org/whl/cu128 || /tmp/gpu-venv/bin/pip install -q torch
  /tmp/gpu-venv/bin/pip install -q -r requirements.txt --no-deps || true
  PY=/tmp/gpu-venv/bin/python
fi
"$PY" -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available(), torch.cuda.get_device_name(0))'
INDEX_DEVICE=cuda timeout 280 "$PY" bench/filtered_search.py --device cuda --chunks "$CHUNKS" --queries "$QUERIES" \
  --baseline-queries 10 --json "$OUT_DIR/gpu_filtered_search.json"
