"""One short run over the CUDA paths (``scripts/gpu-check.sh`` calls it): a bf16-autocast training
run interrupted mid-way and resumed from its checkpoint, DeMix proxy scoring (merged components)
on the device, and batched generation (SmolLM2-135M-Instruct when installed, else a tiny random
checkpoint). Each part is recorded in ``training_runs`` with the device it ran on, and a compact
JSON summary is printed. ``--device cpu`` runs the same code on the CPU (dry run)."""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path


class _Interrupt(Exception):
    pass


def _tiny_tokenizer():
    from ops.lm.tokenizer import train_tokenizer

    text = ["def add(a, b):\n    return a + b\n", "The cat sat on the mat. " * 5, "x = [i * i for i in range(9)]\n"]
    return train_tokenizer(text * 40, vocab_size=320)


def check_training(device: str, root: Path) -> dict:
    """bf16 autocast on CUDA, grad accumulation 2, checkpoint every 3 steps; the first run is
    interrupted after step 4, the second resumes from step 3 and ends at step 8."""
    import torch

    from ops.lm.model import ModelSpec, build_causal_lm
    from ops.lm.train import MixtureSampler, TrainConfig, encode_corpus, train_causal_lm

    tok = _tiny_tokenizer()
    ids = encode_corpus(tok, ["def add(a, b):\n    return a + b\n" * 200])
    big = device.startswith("cuda")
    spec = ModelSpec(hidden_size=256 if big else 64, num_layers=4 if big else 2, num_heads=4,
                     intermediate_size=688 if big else 128, device=device)
    cfg = TrainConfig(steps=8, batch_size=8, seq_len=128 if big else 32, grad_accum=2, checkpoint_every=3,
                      checkpoint_dir=str(root / "ckpt"), device=device, warmup_steps=2, eval_every=10**9)

    def crash(step, name, value):
        if name == "train/loss" and step == 4:
            raise _Interrupt

    try:
        train_causal_lm(build_causal_lm(spec, tok), MixtureSampler([ids], [1.0], cfg.seq_len, 8, 0), cfg, crash)
    except _Interrupt:
        pass
    losses = []
    res = train_causal_lm(build_causal_lm(spec, tok), MixtureSampler([ids], [1.0], cfg.seq_len, 8, 0), cfg,
                          lambda s, n, v: losses.append(v) if n == "train/loss" else None)
    autocast = res.device.startswith("cuda")
    return {"device": res.device, "bf16_autocast": autocast, "resumed_from": res.resumed_from, "steps": res.steps,
            "final_loss": round(res.final_train_loss, 4), "tokens_per_s": round(res.tokens_per_s, 1),
            "ok": res.resumed_from == 3 and res.steps == 8 and all(map(lambda v: v == v, losses)),
            "bf16_supported": bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())}


def check_proxies(device: str, root: Path) -> dict:
    """Two components (random tiny Llamas saved with ``save_pretrained``), scored as merged proxies
    on ``device``."""
    import dataclasses

    from ops.demix.proxies import ProxyScorer
    from ops.demix.sizes import SIZES
    from ops.demix.training import DomainTokens
    from ops.lm.model import ModelSpec, build_causal_lm
    from ops.lm.train import encode_corpus

    tok = _tiny_tokenizer()
    sizes = SIZES["tiny"]
    sizes = dataclasses.replace(sizes, model=dataclasses.replace(sizes.model, device=device))
    tokens = DomainTokens(["code", "prose"],
                          [encode_corpus(tok, ["def f(x):\n    return x\n" * 60]),
                           encode_corpus(tok, ["The cat sat on the mat. " * 60])],
                          [encode_corpus(tok, ["def g(y):\n    return y\n" * 30]),
                           encode_corpus(tok, ["A dog sat on a rug. " * 30])])
    dirs = []
    for i in range(2):
        m = build_causal_lm(dataclasses.replace(sizes.model, seed=i, device="auto"), tok)
        d = root / f"comp{i}"
        m.save_pretrained(str(d))
        tok.save_pretrained(str(d))
        dirs.append(d)
    scorer = ProxyScorer(dirs, tokens, sizes, root / "proxy")
    t0 = time.perf_counter()
    losses = [scorer([w, 1 - w]) for w in (0.2, 0.5, 0.8)]
    return {"device": scorer.device, "model_device": str(next(scorer.model.parameters()).device),
            "proxies": len(losses), "seconds": round(time.perf_counter() - t0, 3),
            "ok": all(all(x == x for x in loss) for loss in losses)}


def check_generation(device: str, root: Path, smollm2_on_cpu: bool = False) -> dict:
    from ops.lm.model import ModelSpec, build_causal_lm, smollm2_gguf
    from ops.llm.base import LLMRequest
    from ops.llm.transformers_backend import TransformersBackend

    # SmolLM2 on the GPU; the CPU dry run uses a tiny checkpoint (135M on a shared CPU takes minutes)
    if smollm2_gguf() is not None and (device.startswith("cuda") or smollm2_on_cpu):
        source = "smollm2"
    else:
        tok = _tiny_tokenizer()
        m = build_causal_lm(ModelSpec(hidden_size=64, num_layers=2, num_heads=4, intermediate_size=128), tok)
        source = str(root / "gen_model")
        m.save_pretrained(source)
        tok.save_pretrained(source)
    out = {}
    reqs = [LLMRequest(task="check", messages=({"role": "user", "content": f"Say one thing about number {i}."},),
                       max_tokens=32 if device.startswith("cuda") else 8) for i in range(8)]
    for bs in (1, 8):
        be = TransformersBackend(source, device=device, batch_size=bs,
                                 dtype="bf16" if device.startswith("cuda") else "fp32")
        be.generate(reqs[:1])
        be.stats = {"requests": 0, "new_tokens": 0, "seconds": 0.0}
        texts = be.generate(reqs)
        out[f"batch{bs}_tokens_per_s"] = round(be.tokens_per_s, 1)
        out["device"] = be.device
        out["ok"] = len(texts) == 8
    out["model"] = be.id
    return out


def _record(results: dict) -> None:
    """One training_runs row per part, with the device it ran on (the warehouse of $TRAINYARD_HOME)."""
    from warehouse.registry import TrainingRun, recorded_training_run
    from warehouse.writer import Lineage, Warehouse

    wh = Warehouse()
    wh.ensure_schema()
    lineage = Lineage.adhoc("gpu_check")
    for part in ("training", "proxies", "generation"):
        r = results.get(part) or {}
        if "device" not in r:
            continue
        run = TrainingRun(training_run_id=f"gpu_check/{part}", kind=f"gpu_check_{part}", base_model=r.get("model", ""),
                          dataset_asset="", source_key=f"gpu_check:{part}", config=r, device=r["device"])
        with recorded_training_run(wh, run, lineage) as metrics:
            metrics += [(0, k, float(v)) for k, v in r.items() if isinstance(v, (int, float)) and not isinstance(v, bool)]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    p.add_argument("--no-record", action="store_true", help="do not write training_runs rows")
    args = p.parse_args(argv)
    import torch

    from ops.trajectories.sft import cpu_threads

    torch.set_num_threads(cpu_threads())
    results: dict = {"requested_device": args.device}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, fn in (("training", check_training), ("proxies", check_proxies), ("generation", check_generation)):
            t0 = time.perf_counter()
            try:
                results[name] = fn(args.device, root / name)
            except Exception as exc:  # report every part, not just the first failure
                results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
            results[name]["wall_s"] = round(time.perf_counter() - t0, 2)
    if not args.no_record:
        try:
            _record(results)
            results["recorded"] = "training_runs (gpu_check/*)"
        except Exception as exc:
            results["recorded"] = f"not recorded: {exc}"[:200]
    ok = all(results[k].get("ok") for k in ("training", "proxies", "generation"))
    on_device = all(str(results[k].get("device", "")).startswith(args.device) for k in ("training", "proxies",
                                                                                          "generation"))
    results["ok"] = ok and on_device
    print(json.dumps(results, indent=1))
    return 0 if results["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
