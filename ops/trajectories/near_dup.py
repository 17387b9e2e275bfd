"""Near-duplicate removal and decontamination with MinHash LSH (datasketch).

Texts are shingled into lower-cased word 5-grams; signatures come from datasketch's fastest path
(``MinHash.bulk``, 128 permutations). Near duplicates: items whose estimated Jaccard with an
earlier kept item is ≥ ``threshold`` (default 0.8) are dropped, the first one seen is kept.
Decontamination: an item is contaminated when one of its source PRs is listed in an evaluation
set (``owner/repo#N``; SWE-bench ``instance_id`` ``owner__repo-N`` is understood) or its task text
has estimated Jaccard ≥ ``threshold`` (default 0.5) with an evaluation task text.
"""
from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Iterable

NUM_PERM = 128
SHINGLE = 5
_WORD_RE = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, k: int = SHINGLE) -> set[bytes]:
    """Lower-cased word ``k``-grams as UTF-8 bytes (a text shorter than ``k`` words is one shingle)."""
    words = _WORD_RE.findall(text.lower())
    if len(words) < k:
        return {" ".join(words).encode("utf-8")} if words else set()
    return {" ".join(words[i:i + k]).encode("utf-8") for i in range(len(words) - k + 1)}


def signatures(texts: list[str], num_perm: int = NUM_PERM, seed: int = 1):
    """One ``datasketch.MinHash`` per text (``MinHash.bulk``)."""
    from datasketch import MinHash

    return MinHash.bulk([sorted(shingles(t)) for t in texts], num_perm=num_perm, seed=seed)


def exact_jaccard(a: str, b: str) -> float:
    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb) if sa or sb else 1.0


@dataclasses.dataclass(frozen=True)
class DupDecision:
    item_id: str
    keep: bool
    duplicate_of: str = ""
    jaccard: float = 0.0


def near_duplicates(ids: list[str], texts: list[str], threshold: float = 0.8,
                    num_perm: int = NUM_PERM) -> list[DupDecision]:
    """In order: keep an item unless an earlier kept item is a near duplicate (est. Jaccard ≥ threshold)."""
    from datasketch import MinHashLSH

    sigs = signatures(texts, num_perm)
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    by_id = {}
    out = []
    for item_id, sig in zip(ids, sigs):
        best, best_j = "", 0.0
        for cand in lsh.query(sig):
            j = sig.jaccard(by_id[cand])
            if j >= threshold and j > best_j:
                best, best_j = cand, j
        if best:
            out.append(DupDecision(item_id, False, best, best_j))
            continue
        lsh.insert(item_id, sig)
        by_id[item_id] = sig
        out.append(DupDecision(item_id, True))
    return out


@dataclasses.dataclass
class EvalSet:
    """Task texts and repository+PR ids of an evaluation benchmark (never train on these)."""

    name: str
    texts: list[str] = dataclasses.field(default_factory=list)
    pr_keys: set[str] = dataclasses.field(default_factory=set)
    patches: list[str] = dataclasses.field(default_factory=list)  # reference patches' added lines

    def patch_set(self) -> "EvalSet":
        """The same set seen through its patches (for matching trajectories' edits)."""
        return EvalSet(f"{self.name}:patch", texts=list(self.patches))


_INSTANCE_RE = re.compile(r"^(?P<owner>[^/]+?)__(?P<name>.+)-(?P<num>\d+)$")


def load_eval_set(path: str | Path) -> EvalSet:
    """Read a JSONL eval set: each line may carry ``text``/``problem_statement``/``task`` (a task
    text), ``repo`` + ``pr``/``number`` or ``pr_key`` ("owner/repo#N"), a SWE-bench
    ``instance_id`` ("owner__repo-N"), and ``patch``/``test_patch`` (unified diffs, matched against
    the trajectories' edits). Raises ``ValueError`` naming the bad line."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"evaluation set {path} does not exist")
    es = EvalSet(path.stem)
    for i, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise ValueError(f"{path}:{i}: not JSON ({exc})") from exc
        if not isinstance(row, dict):
            raise ValueError(f"{path}:{i}: expected an object")
        text = row.get("text") or row.get("problem_statement") or row.get("task")
        if text:
            es.texts.append(str(text))
        for field in ("patch", "test_patch"):
            if row.get(field):
                added = "\n".join(ln[1:] for ln in str(row[field]).splitlines()
                                  if ln.startswith("+") and not ln.startswith("+++"))
                if added.strip():
                    es.patches.append(added)
        if row.get("pr_key"):
            es.pr_keys.add(str(row["pr_key"]))
        if row.get("repo") and (row.get("pr") or row.get("number")):
            es.pr_keys.add(f"{row['repo']}#{int(row.get('pr') or row.get('number'))}")
        m = _INSTANCE_RE.match(str(row.get("instance_id", "")))
        if m:
            es.pr_keys.add(f"{m['owner']}/{m['name']}#{int(m['num'])}")
    return es


@dataclasses.dataclass(frozen=True)
class ContaminationHit:
    item_id: str
    eval_set: str
    reason: str  # "pr_id(owner/repo#N)" or "text(jaccard=0.73)"


def contamination_hits(ids: list[str], texts: list[str], source_keys: list[Iterable[str]],
                       eval_sets: list[EvalSet], threshold: float = 0.5,
                       num_perm: int = NUM_PERM) -> list[ContaminationHit]:
    """Items that overlap an evaluation set by PR id or by near-duplicate task text."""
    from datasketch import MinHashLSH

    hits: list[ContaminationHit] = []
    sigs = signatures(texts, num_perm) if texts else []
    for es in eval_sets:
        lsh = None
        eval_sigs = signatures(es.texts, num_perm) if es.texts else []
        if eval_sigs:
            lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
            for j, s in enumerate(eval_sigs):
                lsh.insert(str(j), s)
        for item_id, sig, keys in zip(ids, sigs, source_keys):
            bad = sorted(set(keys) & es.pr_keys)
            if bad:
                hits.append(ContaminationHit(item_id, es.name, f"pr_id({', '.join(bad)})"))
                continue
            if lsh is not None:
                best = max((sig.jaccard(eval_sigs[int(c)]) for c in lsh.query(sig)), default=0.0)
                if best >= threshold:
                    hits.append(ContaminationHit(item_id, es.name, f"text(jaccard={best:.2f})"))
    return hits
