#!/usr/bin/env bash
# The answer-quality benchmark (bench/answer_eval.py) against vLLM with a real model on a GPU machine.
#
#   MODEL=/models/Qwen2.5-7B-Instruct bench/gpu_answer_eval.sh [OUT_DIR]
#
# Needs: this repository's venv (`make venv`) plus vLLM (`pip install vllm`), one GPU, and the model's
# weights in a local directory (MODEL; nothing is downloaded). Starts vLLM's OpenAI-compatible server on
# loopback, waits until it serves, runs the benchmark with LLM_PROFILE=standard (the production prompt and
# limits), writes OUT_DIR/answer-eval-gpu.json and .log, and stops vLLM. Budget: under 10 minutes on one
# GPU for a 7-8B model (vLLM start 1-3 min, dev-tenant sync about 1 min on 16 cores, 80 questions 1-2 min);
# every step has its own timeout so a hang cannot eat the budget.
set -euo pipefail

cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
MODEL=${MODEL:?set MODEL to a local model directory (weights are never downloaded)}
PORT=${PORT:-8000}
OUT=${1:-${OUT:-.}}
SERVED=${SERVED:-answer-eval}
mkdir -p "$OUT"

test -d "$MODEL" || { echo "MODEL=$MODEL is not a directory" >&2; exit 2; }
"$PY" -c "import vllm" 2>/dev/null || { echo "vLLM is not installed in $PY's environment: $PY -m pip install vllm" >&2; exit 2; }

HF_HUB_OFFLINE=1 timeout 540 "$PY" -m vllm.entrypoints.openai.api_server \
    --model "$MODEL" --served-model-name "$SERVED" --host 127.0.0.1 --port "$PORT" \
    --max-model-len 8192 --gpu-memory-utilization 0.85 >"$OUT/vllm.log" 2>&1 &
VLLM=$!
trap 'kill "$VLLM" 2>/dev/null || true; wait "$VLLM" 2>/dev/null || true' EXIT

for _ in $(seq 1 240); do
    if curl -sf "http://127.0.0.1:$PORT/v1/models" >/dev/null; then break; fi
    kill -0 "$VLLM" 2>/dev/null || { echo "vLLM exited; see $OUT/vllm.log" >&2; tail -30 "$OUT/vllm.log" >&2; exit 1; }
    sleep 1
done
curl -sf "http://127.0.0.1:$PORT/v1/models" >/dev/null || { echo "vLLM not ready after 240 s" >&2; exit 1; }

TGI_URL="http://127.0.0.1:$PORT" LLM_MODEL="$SERVED" LLM_API_KEY=- LLM_PROFILE=standard LLM_TIMEOUT_S=30 \
    timeout 420 "$PY" bench/answer_eval.py --label "vLLM $(basename "$MODEL")" \
    --json "$OUT/answer-eval-gpu.json" 2>&1 | tee "$OUT/answer-eval-gpu.log"
