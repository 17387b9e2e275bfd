"""Supervised fine-tuning on the exported trajectories, and the evaluation the report shows.

Data: every trajectory is rendered with the model's chat template (tool calls inlined after the
thought as a JSON list, so any template can carry them), then cut into windows of at most
``max_length`` tokens: each window starts with the trajectory's head (system prompt + task, capped
at ``head_tokens``) and takes the following messages while they fit; a new window starts at the
message that did not fit (with the tool result before it as context). Loss is on assistant turns
only (their bodies and end-of-turn token), never on system/user/tool text or the head repeated in
later windows. The share of assistant tokens trained is measured and returned.

Training: the shared loop (``ops.lm.train``: warmup + cosine, gradient accumulation, bf16 autocast on
CUDA, resumable checkpoints), from a fresh tiny Llama (tokenizer trained on the training split) or
a warm start from any ``ModelSpec`` checkpoint (SmolLM2-135M-Instruct: ``smollm2``).

Evaluation, on distinct held-out trajectories (one seeded tool-call turn each): greedy
continuations from the model before and after SFT; tool-call JSON validity and exact tool-name
match, with Clopper–Pearson 95 % intervals; assistant-token loss on held-out windows before/after.
"""
from __future__ import annotations

import dataclasses
import json
import math
import random
import time
from pathlib import Path
from typing import Any, Callable

from ops.lm.model import ModelSpec
from ops.report import clopper_pearson_ci as clopper_pearson  # noqa: F401  (used by callers of this module too)
from ops.trajectories.tool_schema import validate_tool_call

LogFn = Callable[[int, str, float], None]


@dataclasses.dataclass(frozen=True)
class SFTSizes:
    steps: int = 40
    batch_size: int = 4
    max_length: int = 512
    lr: float = 2e-3
    vocab: int = 1024
    eval_trajectories: int = 30  # distinct held-out trajectories, one tool-call turn each
    max_new_tokens: int = 64
    model: ModelSpec = ModelSpec(hidden_size=128, num_layers=2, num_heads=4, intermediate_size=344,
                                 max_positions=1024)
    seed: int = 0
    grad_accum: int = 1
    warmup_steps: int = 4
    head_tokens: int = 192  # system prompt + task kept at the start of every window
    checkpoint_every: int = 0  # resumable loop checkpoints (0: none)
    eval_batch_size: int = 8
    heldout_loss_windows: int = 64  # held-out windows for the assistant-token loss (before/after)


SIZES = {
    "tiny": SFTSizes(steps=3, batch_size=2, max_length=320, vocab=400, eval_trajectories=4, max_new_tokens=96,
                     head_tokens=96, model=ModelSpec(hidden_size=32, num_layers=1, num_heads=2,
                                                      intermediate_size=64, max_positions=512)),
    "demo": SFTSizes(steps=20, max_length=384, max_new_tokens=96, head_tokens=128, heldout_loss_windows=32),
    "full": SFTSizes(steps=600, batch_size=8, max_length=1024, vocab=4096, eval_trajectories=64,
                     model=ModelSpec(hidden_size=256, num_layers=4, num_heads=4, intermediate_size=688,
                                     max_positions=2048)),
}
# Warm start from a real checkpoint: lower LR, the checkpoint's own tokenizer and template.
WARM_START = dict(lr=1e-4, warmup_steps=5)


def warm_start(sizes: SFTSizes, checkpoint: str) -> SFTSizes:
    """``sizes`` with the model replaced by ``checkpoint`` (dir, GGUF or ``smollm2``) and warm-start LR."""
    return dataclasses.replace(sizes, model=dataclasses.replace(sizes.model, checkpoint=checkpoint), **WARM_START)


@dataclasses.dataclass
class EvalSide:
    """One model's held-out numbers (before or after SFT)."""

    validity: float
    validity_ci: tuple[float, float]
    name_match: float
    name_match_ci: tuple[float, float]
    n: int
    heldout_loss: float
    flags: list[bool]
    name_flags: list[bool]
    samples: list[dict]
    gen_tokens_per_s: float


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
    format_validity: float  # share of generated continuations that are valid tool calls (after SFT)
    format_n: int
    reference_validity: float  # same parser on the true continuations (sanity: should be 1.0)
    samples: list[dict]
    validity_flags: list[bool] = dataclasses.field(default_factory=list)
    after: EvalSide | None = None
    before: EvalSide | None = None
    assistant_tokens: int = 0
    assistant_tokens_trained: int = 0
    n_windows: int = 0
    tokens_per_s: float = float("nan")
    base_model: str = ""

    @property
    def trained_fraction(self) -> float:
        return self.assistant_tokens_trained / self.assistant_tokens if self.assistant_tokens else float("nan")


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


# ---------------------------------------------------------------- rendering
def _messages(row) -> list[dict]:
    return [{k: v for k, v in m.items() if v is not None} for m in row["messages"]]


def inline_tool_calls(calls: list[dict]) -> str:
    """Tool calls as the JSON list the model writes: ``[{"function": {"name", "arguments": {...}}}]``."""
    out = []
    for c in calls:
        fn = c.get("function") or {}
        args = fn.get("arguments", {})
        if isinstance(args, str):
            try:
                args = json.loads(args)
            except ValueError:
                pass
        out.append({"function": {"name": fn.get("name", ""), "arguments": args}})
    return json.dumps(out, ensure_ascii=False)


TOOLS_PROMPT = (
    "\n\nTools: search(query), open_file(path), edit_file(path, patch: unified diff hunks), "
    "run_tests(tests: list of test file paths), submit(summary). After a one-line thought, call exactly one "
    'tool as a JSON list: [{"function": {"name": "<tool>", "arguments": {<arguments>}}}]')


def plain_messages(msgs: list[dict]) -> list[dict]:
    """Role + content only (tool calls inlined into the assistant content) for any chat template; the
    system message also lists the tools and the call format (as chat templates with ``tools`` do),
    so the model before SFT sees the same instructions the fine-tuned one does."""
    out = []
    for i, m in enumerate(msgs):
        content = m.get("content") or ""
        if i == 0 and m["role"] == "system":
            content += TOOLS_PROMPT
        if m.get("tool_calls"):
            content = (content + "\n" if content else "") + inline_tool_calls(m["tool_calls"])
        out.append({"role": m["role"], "content": content})
    return out


def parse_tool_calls(text: str) -> tuple[bool, str]:
    """Whether a rendered assistant continuation carries valid tool calls (JSON list after the
    thought, each naming a known tool with well-formed arguments); returns (valid, reason)."""
    ok, why, _ = parse_tool_call_names(text)
    return ok, why


def parse_tool_call_names(text: str) -> tuple[bool, str, list[str]]:
    """(valid, reason, tool names in order) — names are read even when the arguments are invalid."""
    at = text.find("[{")
    if at < 0:
        return False, "no tool-call JSON", []
    try:
        calls, _ = json.JSONDecoder().raw_decode(text[at:])
    except ValueError:
        return False, "tool-call JSON does not parse", []
    if not isinstance(calls, list) or not calls:
        return False, "tool calls are not a list", []
    names = [str((c.get("function") or {}).get("name", "")) if isinstance(c, dict) and isinstance(
        c.get("function"), dict) else "" for c in calls]
    for c in calls:
        fn = c.get("function") if isinstance(c, dict) else None
        if not isinstance(fn, dict):
            return False, "tool call without function", names
        why = validate_tool_call(str(fn.get("name", "")), fn.get("arguments", ""))
        if why:
            return False, why, names
    return True, "ok", names


@dataclasses.dataclass
class Segment:
    ids: list[int]
    labels: list[bool]  # True where the token is an assistant-body token (loss)
    role: str


def message_segments(tok, msgs: list[dict]) -> list[Segment]:
    """Token segments per message, by differences of the chat template's renderings (so the result
    is exactly what the template produces); an assistant segment is its header (no loss) + body."""
    plain = plain_messages(msgs)
    segs: list[Segment] = []
    prev = ""
    for i, m in enumerate(plain):
        full = tok.apply_chat_template(plain[: i + 1], tokenize=False)
        if not full.startswith(prev):
            raise ValueError("chat template is not prefix-stable; cannot split per message")
        if m["role"] == "assistant":
            gen = tok.apply_chat_template(plain[:i], tokenize=False, add_generation_prompt=True) if i else ""
            header = gen[len(prev):] if gen.startswith(prev) and full.startswith(gen) else ""
            h = tok(header, add_special_tokens=False)["input_ids"] if header else []
            b = tok(full[len(prev) + len(header):], add_special_tokens=False)["input_ids"]
            segs.append(Segment(h + b, [False] * len(h) + [True] * len(b), "assistant"))
        else:
            ids = tok(full[len(prev):], add_special_tokens=False)["input_ids"]
            segs.append(Segment(ids, [False] * len(ids), m["role"]))
        prev = full
    return segs


@dataclasses.dataclass
class Window:
    ids: list[int]
    labels: list[bool]


def trajectory_windows(segs: list[Segment], max_length: int, head_tokens: int,
                       overlap: int = 64) -> tuple[list[Window], int, int]:
    """Windows (see module doc); returns (windows, assistant tokens, assistant tokens trained).
    A message longer than a window is split into chunks; each later chunk gets its own window
    (head + the last ``overlap`` tokens before it as context), so every assistant token is trained."""
    head_n = 0
    while head_n < len(segs) and segs[head_n].role in ("system", "user") and head_n < 2:
        head_n += 1
    head_ids = [t for s in segs[:head_n] for t in s.ids][:head_tokens]
    total = sum(sum(s.labels) for s in segs)
    budget = max_length - len(head_ids)
    if budget < 2 * overlap:
        raise ValueError(f"max_length {max_length} leaves too little room after a {len(head_ids)}-token head")
    windows: list[Window] = []
    cur = Window(list(head_ids), [False] * len(head_ids))

    def flush():
        nonlocal cur
        if any(cur.labels):
            windows.append(cur)
        cur = Window(list(head_ids), [False] * len(head_ids))

    i = head_n
    while i < len(segs):
        s = segs[i]
        if len(cur.ids) + len(s.ids) <= max_length:
            cur.ids += s.ids
            cur.labels += s.labels
            i += 1
            continue
        if len(cur.ids) > len(head_ids):
            flush()
            # context: the message before an assistant turn (usually its tool result), if it fits
            prev = segs[i - 1] if i > head_n else None
            if s.role == "assistant" and prev is not None and prev.role != "assistant" \
                    and len(prev.ids) + len(s.ids) <= budget:
                cur.ids += prev.ids
                cur.labels += [False] * len(prev.ids)
            continue
        # a message longer than a whole window: chunks, each after the head and a little context
        pos = 0
        while pos < len(s.ids):
            ctx = s.ids[max(0, pos - overlap):pos]
            room = max_length - len(cur.ids) - len(ctx)
            cur.ids += ctx + s.ids[pos:pos + room]
            cur.labels += [False] * len(ctx) + s.labels[pos:pos + room]
            pos += room
            if pos < len(s.ids):
                flush()
        i += 1
    flush()
    trained = sum(sum(w.labels) for w in windows)
    return windows, total, trained


class WindowSampler:
    """Shuffled epochs over windows; ``batch()`` → {input_ids, labels, attention_mask} (right-padded,
    labels shifted, -100 off-target); resumable through ``state``/``set_state``."""

    def __init__(self, windows: list[Window], batch_size: int, pad_id: int, seed: int):
        import torch

        if not windows:
            raise ValueError("no training windows (no assistant turns in the training split?)")
        self.windows, self.batch_size, self.pad_id = windows, batch_size, pad_id
        self.gen = torch.Generator().manual_seed(seed)
        self.order: list[int] = []

    def state(self):
        return {"gen": self.gen.get_state(), "order": list(self.order)}

    def set_state(self, state) -> None:
        self.gen.set_state(state["gen"])
        self.order = list(state["order"])

    def batch(self):
        import torch

        picks = []
        while len(picks) < self.batch_size:
            if not self.order:
                self.order = torch.randperm(len(self.windows), generator=self.gen).tolist()
            picks.append(self.order.pop())
        return collate([self.windows[i] for i in picks], self.pad_id)


def collate(windows: list[Window], pad_id: int) -> dict:
    import torch

    width = max(len(w.ids) for w in windows) - 1
    ids = torch.full((len(windows), width), pad_id, dtype=torch.long)
    labels = torch.full((len(windows), width), -100, dtype=torch.long)
    mask = torch.zeros((len(windows), width), dtype=torch.long)
    for r, w in enumerate(windows):
        n = len(w.ids) - 1
        ids[r, :n] = torch.tensor(w.ids[:-1])
        mask[r, :n] = 1
        tgt = torch.tensor(w.ids[1:])
        keep = torch.tensor(w.labels[1:], dtype=torch.bool)
        labels[r, :n] = torch.where(keep, tgt, torch.full_like(tgt, -100))
    return {"input_ids": ids, "labels": labels, "attention_mask": mask}


def masked_loss(model, windows: list[Window], pad_id: int, batch_size: int = 8) -> float:
    """Mean loss (nats/token) over the assistant tokens of ``windows``."""
    import torch

    model.eval()
    total, count = 0.0, 0
    device = next(model.parameters()).device
    with torch.no_grad():
        for b in range(0, len(windows), batch_size):
            batch = collate(windows[b:b + batch_size], pad_id)
            logits = model(input_ids=batch["input_ids"].to(device),
                           attention_mask=batch["attention_mask"].to(device)).logits.float()
            labels = batch["labels"].to(device)
            total += float(torch.nn.functional.cross_entropy(
                logits.reshape(-1, logits.size(-1)), labels.reshape(-1), ignore_index=-100, reduction="sum"))
            count += int((labels != -100).sum())
    model.train()
    return total / count if count else float("nan")


# ---------------------------------------------------------------- evaluation prompts
@dataclasses.dataclass
class EvalPrompt:
    trajectory: int
    turn: int
    ids: list[int]
    reference: str
    reference_names: list[str]


def eval_prompts(tok, held: list[list[dict]], sizes: SFTSizes) -> list[EvalPrompt]:
    """One seeded tool-call turn per distinct held-out trajectory (up to ``eval_trajectories``),
    among the turns whose reference continuation fits in ``max_new_tokens`` (a longer one could not
    be completed, so its validity would measure the budget, not the model); the prompt is the head
    + as many preceding messages as fit in ``max_length - max_new_tokens``."""
    rng = random.Random(sizes.seed)
    out: list[EvalPrompt] = []
    budget = sizes.max_length - sizes.max_new_tokens
    for ti, msgs in enumerate(held):
        if len(out) >= sizes.eval_trajectories:
            break
        turns = [i for i, m in enumerate(msgs) if m["role"] == "assistant" and m.get("tool_calls") and i > 0]
        fits = [i for i in turns
                if len(tok(plain_messages([msgs[i]])[0]["content"], add_special_tokens=False)["input_ids"])
                < sizes.max_new_tokens - 4]
        if not fits:
            continue
        turn = rng.choice(fits)
        segs = message_segments(tok, msgs[: turn + 1])
        target = segs[-1]
        header = [t for t, lab in zip(target.ids, target.labels) if not lab]
        head_n = 2 if len(segs) > 2 and segs[1].role == "user" else 1
        head = [t for s in segs[:head_n] for t in s.ids][: sizes.head_tokens]
        tail: list[int] = []
        for s in reversed(segs[head_n:-1]):
            if len(head) + len(s.ids) + len(tail) + len(header) > budget:
                break
            tail = s.ids + tail
        ref = plain_messages([msgs[turn]])[0]["content"]
        _, _, names = parse_tool_call_names(ref)
        out.append(EvalPrompt(ti, turn, head + tail + header, ref, names))
    return out


def evaluate_side(model, tok, prompts: list[EvalPrompt], held_windows: list[Window], sizes: SFTSizes,
                  pad_id: int) -> EvalSide:
    from ops.lm.generate import generate_batch

    gen = generate_batch(model, tok, [p.ids for p in prompts], sizes.max_new_tokens,
                         batch_size=sizes.eval_batch_size) if prompts else None
    flags, name_flags, samples = [], [], []
    for p, text in zip(prompts, gen.texts if gen else []):
        ok, why, names = parse_tool_call_names(text)
        match = bool(names) and names == p.reference_names
        flags.append(ok)
        name_flags.append(match)
        if len(samples) < 5:
            samples.append({"trajectory": p.trajectory, "prompt_turn": p.turn, "generated": text[:300],
                            "valid": ok, "reason": why, "names": names, "reference_names": p.reference_names})
    n = len(prompts)
    k, m = sum(flags), sum(name_flags)
    loss = masked_loss(model, held_windows, pad_id) if held_windows else float("nan")
    return EvalSide(k / n if n else float("nan"), clopper_pearson(k, n), m / n if n else float("nan"),
                    clopper_pearson(m, n), n, loss, flags, name_flags, samples,
                    gen.tokens_per_s if gen else float("nan"))


# ---------------------------------------------------------------- the run
def _read_messages(path: Path | None) -> list[list[dict]]:
    if path is None or not Path(path).exists():
        return []
    import pyarrow.parquet as pq

    rows = pq.read_table(str(path), columns=["messages"]).to_pylist()
    return [_messages(r) for r in rows]


def train_sft(train_path: Path, heldout_path: Path | None, out_dir: Path, sizes: SFTSizes, log: LogFn,
              evaluate_before: bool = True) -> SFTResult:
    """Train, save (``save_pretrained``) into ``out_dir`` and evaluate; see module doc."""
    import torch

    from ops.lm.model import pick_device

    train = _read_messages(train_path)
    held = _read_messages(heldout_path)
    if not train:
        raise ValueError("no training trajectories to fine-tune on")
    device = pick_device(sizes.model.device)
    torch.manual_seed(sizes.seed)
    threads_before = torch.get_num_threads()
    if device == "cpu":
        torch.set_num_threads(cpu_threads())
    try:
        return _train_and_evaluate(train, held, Path(out_dir), sizes, log, device, evaluate_before)
    finally:
        torch.set_num_threads(threads_before)


def _tokenizer(sizes: SFTSizes, train: list[list[dict]]):
    from ops.lm.model import load_tokenizer_for
    from ops.lm.tokenizer import train_tokenizer

    if sizes.model.checkpoint:
        return load_tokenizer_for(sizes.model)

    def texts():
        for msgs in train:
            for m in plain_messages(msgs):
                yield m["content"]

    return train_tokenizer(texts(), vocab_size=sizes.vocab)


def _train_and_evaluate(train, held, out_dir: Path, sizes: SFTSizes, log: LogFn, device: str,
                        evaluate_before: bool) -> SFTResult:
    from ops.lm.model import build_causal_lm
    from ops.lm.train import TrainConfig, train_causal_lm

    tok = _tokenizer(sizes, train)
    pad_id = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    model = build_causal_lm(sizes.model, tok).to(device)

    windows: list[Window] = []
    total = trained = 0
    for msgs in train:
        w, t, k = trajectory_windows(message_segments(tok, msgs), sizes.max_length, sizes.head_tokens)
        windows += w
        total += t
        trained += k
    held_windows: list[Window] = []
    for msgs in held:
        held_windows += trajectory_windows(message_segments(tok, msgs), sizes.max_length, sizes.head_tokens)[0]
    held_windows = held_windows[: sizes.heldout_loss_windows]
    log(0, "data/assistant_tokens", float(total))
    log(0, "data/assistant_tokens_trained", float(trained))
    log(0, "data/assistant_token_fraction", trained / total if total else float("nan"))
    log(0, "data/windows", float(len(windows)))

    prompts = eval_prompts(tok, held, sizes)
    log(0, "data/eval_prompts", float(len(prompts)))
    before = evaluate_side(model, tok, prompts, held_windows, sizes, pad_id) if evaluate_before else None

    cfg = TrainConfig(steps=sizes.steps, batch_size=sizes.batch_size, seq_len=sizes.max_length, lr=sizes.lr,
                      warmup_steps=min(sizes.warmup_steps, max(1, sizes.steps // 5)), grad_accum=sizes.grad_accum,
                      checkpoint_every=sizes.checkpoint_every,
                      checkpoint_dir=str(out_dir / "loop") if sizes.checkpoint_every else "",
                      seed=sizes.seed, device=device, eval_every=10**9, min_lr_ratio=0.1)
    t0 = time.perf_counter()
    res = train_causal_lm(model, WindowSampler(windows, sizes.batch_size, pad_id, sizes.seed), cfg, log)
    seconds = time.perf_counter() - t0
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out_dir))
    tok.save_pretrained(str(out_dir))

    after = evaluate_side(model, tok, prompts, held_windows, sizes, pad_id)
    ref_ok = sum(parse_tool_calls(p.reference)[0] for p in prompts)
    heldout_loss = after.heldout_loss if after else float("nan")
    step = sizes.steps
    for name, side in (("pre_sft", before), ("heldout", after)):
        if side is None:
            continue
        log(step, f"{name}/tool_call_validity", side.validity)
        log(step, f"{name}/tool_name_match", side.name_match)
        log(step, f"{name}/assistant_loss", side.heldout_loss)
        log(step, f"{name}/gen_tokens_per_s", side.gen_tokens_per_s)
    log(step, "heldout/loss", heldout_loss)
    return SFTResult(
        out_dir, device, len(train), len(held), sizes.steps, seconds, res.final_train_loss, heldout_loss,
        math.exp(heldout_loss) if math.isfinite(heldout_loss) else float("nan"),
        after.validity if after else float("nan"), after.n if after else 0,
        ref_ok / len(prompts) if prompts else float("nan"), after.samples if after else [],
        after.flags if after else [], after, before, total, trained, len(windows), res.tokens_per_s,
        sizes.model.label)


def result_summary(res: SFTResult) -> dict[str, Any]:
    """The numbers a report or a study prints (JSON-able)."""
    def side(s: EvalSide | None):
        if s is None:
            return None
        return {"n": s.n, "tool_call_validity": s.validity, "validity_ci": list(s.validity_ci),
                "tool_name_match": s.name_match, "name_match_ci": list(s.name_match_ci),
                "assistant_loss": s.heldout_loss, "gen_tokens_per_s": s.gen_tokens_per_s, "samples": s.samples}

    return {"base_model": res.base_model, "device": res.device, "n_train": res.n_train, "n_heldout": res.n_heldout,
            "steps": res.steps, "seconds": res.seconds, "train_tokens_per_s": res.tokens_per_s,
            "windows": res.n_windows, "assistant_tokens": res.assistant_tokens,
            "assistant_tokens_trained": res.assistant_tokens_trained, "trained_fraction": res.trained_fraction,
            "final_train_loss": res.final_train_loss, "reference_validity": res.reference_validity,
            "before": side(res.before), "after": side(res.after)}
