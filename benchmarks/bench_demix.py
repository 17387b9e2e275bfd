"""DeMix benchmarks (``trainyard bench --only demix``):

1. merge: wall time and peak anonymous memory of ``kernels.merge_linear`` vs mergekit's
   ``linear`` on the same four generated bf16 Llama checkpoints (each merge in a fresh child
   process; RssAnon sampled every 2 ms, so mmapped file pages are not counted for either side),
   plus the largest ulp distance between the two outputs.
2. search: candidate mixtures scored per CPU-minute by merged proxies vs RegMix-style small
   training runs at the plan's equal-compute step count (same model, data and evaluation).
3. train loop: the model factory's ``train_causal_lm`` tokens/s vs a bare PyTorch loop on the
   same model and batches.

Sizes follow ``$TRAINYARD_PROFILE`` (checkpoints ~20 MB tiny, ~120 MB demo, ~340 MB full).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.harness import BenchRow, bare_training_tokens
from ops.profiles import pick

CKPT_SIZES = {  # (hidden, intermediate, layers, vocab)
    "tiny": (256, 704, 2, 16000),
    "demo": (1024, 2816, 2, 16000),
    "full": (2048, 5632, 2, 16000),
}

# Runs in a child process: one merge, prints {"seconds", "peak_anon_mb", "hwm_mb"}.
_CHILD = r"""
import json, sys, threading, time
peak = [0]
def anon_kb():
    for line in open("/proc/self/status"):
        if line.startswith("RssAnon:"):
            return int(line.split()[1])
    return 0
stop = []
def sample():
    while not stop:
        peak[0] = max(peak[0], anon_kb()); time.sleep(0.002)
which, cfg_path, out, threads = sys.argv[1:5]
import torch
if which == "ours":
    from kernels.merge_linear import LinearMergeConfig, merge_linear
    spec = json.load(open(cfg_path))
    cfg = LinearMergeConfig(spec["models"], spec["weights"])
    run = lambda: merge_linear(cfg, out)
else:
    import yaml
    from mergekit.config import MergeConfiguration
    from mergekit.merge import MergeOptions, run_merge
    mk = MergeConfiguration.model_validate(yaml.safe_load(open(cfg_path)))
    opts = dict(num_threads=int(threads)) if int(threads) else {}
    run = lambda: run_merge(mk, out, options=MergeOptions(copy_tokenizer=False, quiet=True, **opts))
base = anon_kb()
t = threading.Thread(target=sample, daemon=True); t.start()
t0 = time.perf_counter(); run(); seconds = time.perf_counter() - t0
stop.append(1); t.join()
hwm = [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")][0]
print(json.dumps({"seconds": seconds, "peak_anon_mb": (peak[0] - base) / 1024, "hwm_mb": hwm / 1024}))
"""


def make_checkpoints(root: Path, n: int, sizes) -> list[Path]:
    """``n`` random bf16 Llama checkpoints (config.json + model.safetensors) with real tensor
    names, written tensor by tensor without building the model."""
    import torch
    from safetensors.torch import save_file
    from transformers import LlamaConfig, LlamaForCausalLM

    hidden, inter, layers, vocab = sizes
    cfg = LlamaConfig(vocab_size=vocab, hidden_size=hidden, intermediate_size=inter, num_hidden_layers=layers,
                      num_attention_heads=hidden // 64, num_key_value_heads=hidden // 64,
                      tie_word_embeddings=False, torch_dtype="bfloat16", architectures=["LlamaForCausalLM"])
    with torch.device("meta"):
        shapes = {k: tuple(v.shape) for k, v in LlamaForCausalLM(cfg).state_dict().items()}
    dirs = []
    for i in range(n):
        d = root / f"ckpt{i}"
        d.mkdir(parents=True, exist_ok=True)
        g = torch.Generator().manual_seed(i)
        save_file({k: torch.randn(s, generator=g).mul_(0.02).to(torch.bfloat16) for k, s in shapes.items()},
                  str(d / "model.safetensors"), metadata={"format": "pt"})
        cfg.save_pretrained(str(d))
        dirs.append(d)
    return dirs


def _child(which: str, cfg_path: Path, out: Path, threads: int = 0) -> dict:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    proc = subprocess.run([sys.executable, "-c", _CHILD, which, str(cfg_path), str(out), str(threads)], env=env,
                          capture_output=True, text=True, timeout=1800)
    if proc.returncode:
        raise RuntimeError(f"{which} merge failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _max_ulp(a_dir: Path, b_dir: Path) -> int:
    import torch
    from safetensors import safe_open

    def tensors(d):
        out = {}
        for f in sorted(d.glob("*.safetensors")):
            with safe_open(str(f), "pt") as h:
                out.update({k: h.get_tensor(k) for k in h.keys()})
        return out

    a, b = tensors(a_dir), tensors(b_dir)
    worst = 0
    for k in a:
        x, y = a[k].view(torch.int16).int(), b[k].view(torch.int16).int()
        x = torch.where(x < 0, -(x + 32768), x)
        y = torch.where(y < 0, -(y + 32768), y)
        worst = max(worst, int((x - y).abs().max()))
    return worst


def bench_merge() -> list[BenchRow]:
    from kernels.merge_linear import LinearMergeConfig, mergekit_yaml

    rows = []
    with tempfile.TemporaryDirectory(prefix="demix_bench_") as tmp:
        root = Path(tmp)
        models = make_checkpoints(root, 4, pick(CKPT_SIZES))
        weights = [0.4, 0.3, 0.2, 0.1]
        (root / "ours.json").write_text(json.dumps({"models": [str(m) for m in models], "weights": weights}))
        (root / "mk.yml").write_text(mergekit_yaml(LinearMergeConfig(models, weights), out_dtype="bfloat16"))
        size_mb = sum((m / "model.safetensors").stat().st_size for m in models) / 2**20
        # warm the page cache for both sides alike
        for m in models:
            (m / "model.safetensors").read_bytes()
        try:
            import mergekit  # noqa: F401
            has_mk = True
        except ImportError:
            has_mk = False
        ours = min((_child("ours", root / "ours.json", root / f"out_ours{i}") for i in range(2)),
                   key=lambda r: r["seconds"])
        rows.append(BenchRow("demix_merge", "input_size", size_mb, "MB"))
        if not has_mk:
            print("mergekit not installed (pip install 'trainyard[bench]'): merge comparison skipped")
            rows += [BenchRow("demix_merge", "wall_time", ours["seconds"], "s"),
                     BenchRow("demix_merge", "peak_anon_memory", ours["peak_anon_mb"], "MB")]
            return rows
        # mergekit at its default threads and at one thread (like ours); its best counts
        mk = min((_child("mergekit", root / "mk.yml", root / f"out_mk{i}", threads) for i, threads in
                  enumerate((0, 1, 0, 1))), key=lambda r: r["seconds"])
        # ratio = value / peer: speed-up as mergekit time / ours, memory as ours / mergekit
        rows += [
            BenchRow("demix_merge", "speedup_vs_mergekit", mk["seconds"] / ours["seconds"], "x"),
            BenchRow("demix_merge", "anon_memory_share_of_mergekit",
                     ours["peak_anon_mb"] / max(mk["peak_anon_mb"], 1e-9), "fraction"),
            BenchRow("demix_merge", "wall_time", ours["seconds"], "s", "mergekit linear", mk["seconds"]),
            BenchRow("demix_merge", "peak_anon_memory", ours["peak_anon_mb"], "MB", "mergekit linear",
                     mk["peak_anon_mb"]),
            BenchRow("demix_merge", "peak_rss_incl_mmap", ours["hwm_mb"], "MB", "mergekit linear", mk["hwm_mb"]),
            BenchRow("demix_merge", "max_ulp_vs_mergekit", _max_ulp(root / "out_ours0", root / "out_mk0"), "ulp"),
        ]
    return rows


def bench_candidates() -> list[BenchRow]:
    """CPU seconds per scored candidate: merged proxy vs RegMix-style run (same data/model).

    A candidate counts as scored when it has a measured per-domain held-out loss (a merged
    proxy evaluated, or a small run trained and evaluated); surrogate predictions over the pool
    are not counted. Both sides use the same held-out windows and ``evaluate_domains`` code."""
    import torch

    from ops.demix.domains import embedded_domains
    from ops.demix.proxies import ProxyScorer
    from ops.demix.search import dirichlet_pool
    from ops.demix.sizes import SIZES
    from ops.demix.study import plan_base, plan_regmix
    from ops.demix.training import RunSpec, build_tokens, train_run

    sizes = pick(SIZES)
    with tempfile.TemporaryDirectory(prefix="demix_bench_") as tmp:
        root = Path(tmp)
        tok, tokens = build_tokens(embedded_domains(sizes.max_chars), sizes.vocab, root / "data")
        names = tokens.names
        base = plan_base(names, sizes)
        train_run(RunSpec("base", base.weights, 5, sizes.lr, None), tokens, tok, sizes, root / "base", lambda *a: None)
        comps = [train_run(RunSpec(f"c{i}", tuple(float(i == j) for j in range(len(names))), 5, sizes.lr,
                                   str(root / "base"), seed=i), tokens, tok, sizes, root / f"c{i}",
                           lambda *a: None)["checkpoint"] for i in range(len(names))]
        pool = dirichlet_pool(len(names), 40, sizes.max_weight, seed=3)
        scorer = ProxyScorer(comps, tokens, sizes, root / "proxy")
        scorer(pool[0])  # warm-up
        n_proxy = 20
        c0 = time.process_time()
        for w in pool[1 : 1 + n_proxy]:
            scorer(w)
        proxy_cpu = (time.process_time() - c0) / n_proxy
        # the held-out evaluation alone (same windows, same model): what both sides pay per candidate
        from ops.demix.training import evaluate_windows, rows_per_forward, torch_threads

        c0 = time.process_time()
        with torch_threads(sizes.threads):
            for _ in range(n_proxy):
                evaluate_windows(scorer.model, scorer.windows, scorer.owner, len(names),
                                 rows_per_forward=rows_per_forward(sizes))
        eval_cpu = (time.process_time() - c0) / n_proxy
        regmix_steps = plan_regmix(names, sizes, root / "base")[0].steps
        n_reg = 4
        c0 = time.process_time()
        for k, w in enumerate(pool[1 : 1 + n_reg]):
            train_run(RunSpec(f"r{k}", tuple(map(float, w)), regmix_steps, sizes.lr, str(root / "base")),
                      tokens, tok, sizes, root / f"r{k}", lambda *a: None)
        regmix_cpu = (time.process_time() - c0) / n_reg
        # the same at the per-mixture budget the fidelity check's real runs needed
        c0 = time.process_time()
        for k, w in enumerate(pool[1:3]):
            train_run(RunSpec(f"f{k}", tuple(map(float, w)), sizes.component_steps, sizes.lr, str(root / "base")),
                      tokens, tok, sizes, root / f"f{k}", lambda *a: None)
        full_cpu = (time.process_time() - c0) / 2
    del torch
    return [
        BenchRow("demix_search", "candidates_per_cpu_minute", 60 / proxy_cpu, "cand/min",
                 f"RegMix run ({regmix_steps} steps)", 60 / regmix_cpu),
        BenchRow("demix_search", "candidates_per_cpu_minute_vs_full_run", 60 / proxy_cpu, "cand/min",
                 f"trained mixture ({sizes.component_steps} steps)", 60 / full_cpu),
        BenchRow("demix_search", "proxy_cpu_s_per_candidate", proxy_cpu, "s"),
        BenchRow("demix_search", "regmix_cpu_s_per_candidate", regmix_cpu, "s"),
        BenchRow("demix_search", "heldout_eval_cpu_s_per_candidate", eval_cpu, "s"),
    ]


def bench_train_loop() -> list[BenchRow]:
    """tokens/s of ``train_causal_lm`` vs a bare loop (same model init, same batches, AdamW,
    clipping); alternated three times each, best of three."""
    import torch

    from ops.lm.model import ModelConfig, build_causal_lm
    from ops.lm.train import TrainConfig, train_causal_lm

    class Tok:  # the factory needs only the vocabulary size and special ids
        bos_token_id, eos_token_id, pad_token_id = 1, 2, 0

        def __len__(self):
            return 2048

    steps, batch, seq = pick({"tiny": (10, 8, 64), "demo": (30, 8, 128)})
    g = torch.Generator().manual_seed(0)
    batches = [torch.randint(0, 2048, (batch, seq + 1), generator=g) for _ in range(steps)]

    class Replay:
        def __init__(self):
            self.i = 0

        def batch(self):
            self.i += 1
            return batches[(self.i - 1) % steps]

    cfg_model = ModelConfig(hidden_size=128, num_layers=2, num_heads=4, intermediate_size=344, max_positions=256)
    cfg = TrainConfig(steps=steps, batch_size=batch, seq_len=seq, device="cpu", eval_every=10**9)

    def factory() -> float:
        model = build_causal_lm(cfg_model, Tok())
        return train_causal_lm(model, Replay(), cfg, lambda *a: None).tokens_per_s

    def bare() -> float:
        tokens, seconds = bare_training_tokens(build_causal_lm(cfg_model, Tok()), batches, cfg.lr,
                                               cfg.weight_decay, cfg.grad_clip, time.perf_counter)
        return tokens / seconds

    # one thread for both: on a shared 2-core box two spinning OpenMP threads make each sample
    # depend on the neighbours' load (measured 0.24x..0.97x run to run), not on the loop
    threads_before = torch.get_num_threads()
    torch.set_num_threads(1)
    ours, theirs = [], []
    try:
        for _ in range(3):
            ours.append(factory())
            theirs.append(bare())
    finally:
        torch.set_num_threads(threads_before)
    return [BenchRow("demix_train_loop", "tokens_per_s", max(ours), "tok/s", "bare PyTorch loop", max(theirs))]


def run() -> list[BenchRow]:
    return [*bench_merge(), *bench_candidates(), *bench_train_loop()]


if __name__ == "__main__":
    for row in run():
        print(row, "ratio", row.ratio)
