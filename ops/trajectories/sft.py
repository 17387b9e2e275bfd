"""SFT of a small causal LM on the exported trajectories with TRL's ``SFTTrainer``, then the
evaluation the report shows: held-out loss (nats/token) and perplexity, and the tool-call format
validity of greedy continuations generated at held-out tool-call turns.

The model is a tiny Llama built from a config (``ops.lm``; tokenizer trained locally on the
training split) unless ``ModelConfig.checkpoint`` names a local checkpoint. CUDA is used when
available. Metrics go to a ``log(step, name, value)`` callback (the run registry).
"""
from __future__ import annotations

import dataclasses
import json
import math
import time
from pathlib import Path
from typing import Callable

from ops.lm.model import ModelConfig
from ops.trajectories.tool_schema import validate_tool_call

LogFn = Callable[[int, str, float], None]


@dataclasses.dataclass(frozen=True)
class SFTSizes:
    steps: int = 40
    batch_size: int = 4
    max_length: int = 512
    lr: float = 2e-3
    vocab: int = 1024
    eval_prompts: int = 8  # held-out tool-call turns to generate at
    max_new_tokens: int = 64
    model: ModelConfig = ModelConfig(hidden_size=128, num_layers=2, num_heads=4, intermediate_size=344,
                                     max_positions=1024)
    seed: int = 0


SIZES = {
    "tiny": SFTSizes(steps=3, batch_size=2, max_length=256, vocab=400, eval_prompts=2, max_new_tokens=24,
                     model=ModelConfig(hidden_size=32, num_layers=1, num_heads=2, intermediate_size=64,
                                       max_positions=512)),
    "demo": SFTSizes(steps=20, max_length=256, max_new_tokens=48),
    "full": SFTSizes(steps=600, batch_size=8, max_length=1024, vocab=4096, eval_prompts=64,
                     model=ModelConfig(hidden_size=256, num_layers=4, num_heads=4, intermediate_size=688,
                                       max_positions=2048)),
}


@dataclasses.dataclass
class SFTResult:
    checkpoint: Path
    device: str
    n_train: int
    n_heldout: int
    steps: int
    seconds: float
    final_train_loss: float
    heldout_loss: float
    heldout_ppl: float
    format_validity: float  # share of generated continuations that are valid tool calls
    format_n: int
    reference_validity: float  # same parser on the true continuations (sanity: should be 1.0)
    samples: list[dict]
    validity_flags: list[bool] = dataclasses.field(default_factory=list)  # one per generated continuation


def cpu_threads() -> int:
    """Torch threads for CPU training: ``$TRAINYARD_TORCH_THREADS`` if set; else every core, except 1
    when the machine is oversubscribed (1-min load ≥ cores). Why: torch's OpenMP team spin-waits on
    descheduled threads; on a shared 2-core machine at load 11 one step of a 0.5M-param Llama on
    4×512 tokens took 0.3 s with 1 thread and ~3 s with 2."""
    import os

    if os.environ.get("TRAINYARD_TORCH_THREADS"):
        return max(1, int(os.environ["TRAINYARD_TORCH_THREADS"]))
    cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = 0.0
    return 1 if load >= cores else cores


def _messages(row) -> list[dict]:
    return [{k: v for k, v in m.items() if v is not None} for m in row["messages"]]


def parse_tool_calls(text: str) -> tuple[bool, str]:
    """Whether a rendered assistant continuation carries valid tool calls (JSON list after the
    thought, each naming a known tool with well-formed arguments); returns (valid, reason)."""
    at = text.find("[{")
    if at < 0:
        return False, "no tool-call JSON"
    try:
        calls, _ = json.JSONDecoder().raw_decode(text[at:])
    except ValueError:
        return False, "tool-call JSON does not parse"
    if not isinstance(calls, list) or not calls:
        return False, "tool calls are not a list"
    for c in calls:
        fn = c.get("function") if isinstance(c, dict) else None
        if not isinstance(fn, dict):
            return False, "tool call without function"
        why = validate_tool_call(str(fn.get("name", "")), fn.get("arguments", ""))
        if why:
            return False, why
    return True, "ok"


def _render_reference(tok, msg: dict) -> str:
    full = tok.apply_chat_template([msg], tokenize=False)
    return full.split("\n", 1)[1] if "\n" in full else full


def train_sft(train_path: Path, heldout_path: Path | None, out_dir: Path, sizes: SFTSizes, log: LogFn) -> SFTResult:
    """Train, save (``save_pretrained``) into ``out_dir`` and evaluate; see module doc."""
    import torch
    from datasets import load_dataset

    from ops.lm.model import pick_device

    files = {"train": str(train_path)}
    if heldout_path is not None and Path(heldout_path).exists():
        files["heldout"] = str(heldout_path)
    ds = load_dataset("parquet", data_files=files)
    train = ds["train"].select_columns(["messages"])
    held = ds["heldout"].select_columns(["messages"]) if "heldout" in ds else None
    if len(train) == 0:
        raise ValueError("no training trajectories to fine-tune on")
    device = pick_device("auto")
    torch.manual_seed(sizes.seed)
    threads_before = torch.get_num_threads()
    if device == "cpu":
        torch.set_num_threads(cpu_threads())
    try:
        return _train_and_evaluate(train, held, out_dir, sizes, log, device)
    finally:
        torch.set_num_threads(threads_before)


def _train_and_evaluate(train, held, out_dir: Path, sizes: SFTSizes, log: LogFn, device: str) -> SFTResult:
    import torch
    from trl import SFTConfig, SFTTrainer

    from ops.lm.model import build_causal_lm
    from ops.lm.tokenizer import train_tokenizer

    def texts():
        for row in train:
            for m in row["messages"]:
                yield (m["content"] or "") + (json.dumps(m["tool_calls"]) if m.get("tool_calls") else "")

    if sizes.model.checkpoint:
        from ops.lm.tokenizer import load_tokenizer

        tok = load_tokenizer(sizes.model.checkpoint)
    else:
        tok = train_tokenizer(texts(), vocab_size=sizes.vocab)
    model = build_causal_lm(sizes.model, tok)
    train = train.map(lambda r: {"messages": _messages(r)})
    args = SFTConfig(
        output_dir=str(out_dir / "trainer"), max_steps=sizes.steps, per_device_train_batch_size=sizes.batch_size,
        per_device_eval_batch_size=sizes.batch_size, learning_rate=sizes.lr, max_length=sizes.max_length,
        logging_steps=1, save_strategy="no", eval_strategy="no", report_to="none", use_cpu=device == "cpu",
        seed=sizes.seed, dataloader_num_workers=0, dataset_num_proc=None, lr_scheduler_type="cosine",
        warmup_steps=min(5, max(0, sizes.steps // 10)), disable_tqdm=True,
    )
    trainer = SFTTrainer(model=model, args=args, train_dataset=train,
                         eval_dataset=held.map(lambda r: {"messages": _messages(r)}) if held is not None and len(held) else None,
                         processing_class=tok)
    t0 = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - t0
    last_loss = float("nan")
    for rec in trainer.state.log_history:
        if "loss" in rec and "step" in rec:
            last_loss = float(rec["loss"])
            log(int(rec["step"]), "train/loss", last_loss)
    heldout_loss = float("nan")
    if trainer.eval_dataset is not None:
        heldout_loss = float(trainer.evaluate()["eval_loss"])
        log(sizes.steps, "heldout/loss", heldout_loss)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out_dir))
    tok.save_pretrained(str(out_dir))

    # tool-call format validity at held-out tool-call turns (greedy continuations)
    model.eval()
    valid = ref_valid = n = 0
    samples, flags = [], []
    for row in (held if held is not None else []):
        msgs = _messages(row)
        for i, m in enumerate(msgs):
            if n >= sizes.eval_prompts:
                break
            if m["role"] != "assistant" or not m.get("tool_calls") or i == 0:
                continue
            prompt = tok.apply_chat_template(msgs[:i], tokenize=False, add_generation_prompt=True)
            ids = tok(prompt, return_tensors="pt", add_special_tokens=False)["input_ids"]
            ids = ids[:, -(sizes.model.max_positions - sizes.max_new_tokens):].to(model.device)
            with torch.no_grad():
                gen = model.generate(ids, max_new_tokens=sizes.max_new_tokens, do_sample=False,
                                     pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id)
            text = tok.decode(gen[0, ids.shape[1]:], skip_special_tokens=True)
            ok, why = parse_tool_calls(text)
            ref_ok, _ = parse_tool_calls(_render_reference(tok, m))
            valid += ok
            flags.append(ok)
            ref_valid += ref_ok
            n += 1
            if len(samples) < 5:
                samples.append({"prompt_turn": i, "generated": text[:300], "valid": ok, "reason": why})
    validity = valid / n if n else float("nan")
    log(sizes.steps, "heldout/tool_call_validity", validity)
    return SFTResult(out_dir, device, len(train), len(held) if held is not None else 0, sizes.steps, seconds,
                     last_loss, heldout_loss, math.exp(heldout_loss) if math.isfinite(heldout_loss) else float("nan"),
                     validity, n, ref_valid / n if n else float("nan"), samples, flags)
