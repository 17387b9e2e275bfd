"""One normalised preference-pair schema and the adapters that read sources into it.

Every adapter returns ``(pairs, rejects)``: bad records never raise; each reject names the file
and line (or record id) and says why, so callers can quarantine it and carry on.
"""
from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import re
from pathlib import Path
from typing import Any, Iterable, Iterator

LANGUAGES = ("en", "zh", "mixed")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")  # ideographs, not punctuation
_LATIN_WORD = re.compile(r"[A-Za-z]+")
_ASSISTANT = "\n\nAssistant:"
_HUMAN = "\n\nHuman:"


@dataclasses.dataclass(frozen=True)
class PreferencePair:
    """query: the context both answers reply to; preferred: "a" or "b"; language: en|zh|mixed."""

    pair_id: str
    query: str
    answer_a: str
    answer_b: str
    preferred: str
    source: str
    language: str

    @property
    def chosen(self) -> str:
        return self.answer_a if self.preferred == "a" else self.answer_b

    @property
    def rejected(self) -> str:
        return self.answer_b if self.preferred == "a" else self.answer_a

    def row(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class Reject:
    record_key: str  # "<file>:<line>" or "<source>#<id>"
    reason: str
    record: Any


class PairFileError(ValueError):
    """A whole input is unusable (missing file, wrong kind of file)."""


def detect_language(*texts: str) -> str:
    """"zh" when CJK characters dominate, "en" when Latin words do, else "mixed".

    A CJK character counts as one unit and a Latin word as two (a word carries more text than
    one hanzi), so Chinese prose quoting a few English terms stays "zh"."""
    cjk = sum(len(_CJK.findall(t)) for t in texts)
    latin = 2 * sum(len(_LATIN_WORD.findall(t)) for t in texts)
    total = cjk + latin
    if total == 0 or cjk / total < 0.15:
        return "en"
    return "zh" if cjk / total > 0.6 else "mixed"


def pair_id_for(source: str, query: str, first: str, second: str) -> str:
    """Stable id from content, so re-reading a file never duplicates pairs."""
    h = hashlib.sha256("\x1f".join((source, query, first, second)).encode("utf-8", "surrogatepass"))
    return f"{source}:{h.hexdigest()[:16]}"


def make_pair(source: str, query: str, chosen: Any, rejected: Any, key: str,
              language: str | None = None) -> tuple[PreferencePair | None, Reject | None]:
    """Validate one (query, chosen, rejected) record; A/B order is drawn from the content hash so
    "preferred" is not always "a" (a metric that ignores the answers then scores ~50%)."""
    record = {"query": query, "chosen": chosen, "rejected": rejected}
    if not isinstance(chosen, str) or not isinstance(rejected, str):
        return None, Reject(key, "answer is not a string", record)
    if not chosen.strip() or not rejected.strip():
        return None, Reject(key, "empty answer", record)
    if chosen.strip() == rejected.strip():
        return None, Reject(key, "identical answers", record)
    if not isinstance(query, str) or not query.strip():
        return None, Reject(key, "empty query", record)
    pid = pair_id_for(source, query, chosen, rejected)
    swap = int(pid[-1], 16) % 2 == 1
    a, b = (rejected, chosen) if swap else (chosen, rejected)
    lang = language or detect_language(query, chosen, rejected)
    if lang not in LANGUAGES:
        return None, Reject(key, f"unknown language {lang!r}", record)
    return PreferencePair(pid, query.strip(), a.strip(), b.strip(), "b" if swap else "a", source, lang), None


def iter_jsonl(path: Path) -> Iterator[tuple[int, Any, str | None]]:
    """(line number, object, error) for every non-blank line of a .jsonl or .jsonl.gz file.

    A malformed line yields ``(n, raw_text, "<file>:<n>: malformed JSON (...)")`` instead of raising."""
    path = Path(path)
    if not path.is_file():
        raise PairFileError(f"preference file {path} does not exist")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                yield n, json.loads(line), None
            except json.JSONDecodeError as exc:
                yield n, line[:2000], f"{path.name}:{n}: malformed JSON ({exc.msg}, column {exc.colno})"


def split_hh_dialogue(chosen: str, rejected: str) -> tuple[str, str, str] | None:
    """(query context, chosen final turn, rejected final turn): the shared prefix up to the last
    common "Assistant:" marker is the query; what follows in each dialogue is its answer."""
    n = 0
    limit = min(len(chosen), len(rejected))
    while n < limit and chosen[n] == rejected[n]:
        n += 1
    cut = chosen.rfind(_ASSISTANT, 0, n + 1)
    if cut < 0:
        return None
    query = chosen[:cut].replace(_HUMAN, "\nHuman:").replace(_ASSISTANT, "\nAssistant:").strip()
    start = cut + len(_ASSISTANT)
    return query, chosen[start:].strip(), rejected[start:].strip()


def read_hh_rlhf(path: Path, source: str = "hh-rlhf", limit: int | None = None
                 ) -> tuple[list[PreferencePair], list[Reject]]:
    """Anthropic hh-rlhf ``{chosen, rejected}`` dialogues (.jsonl or .jsonl.gz)."""
    pairs, rejects = [], []
    for n, obj, err in iter_jsonl(path):
        key = f"{Path(path).name}:{n}"
        if err:
            rejects.append(Reject(key, err, obj))
            continue
        if not isinstance(obj, dict) or "chosen" not in obj or "rejected" not in obj:
            rejects.append(Reject(key, "missing preference label: needs 'chosen' and 'rejected'", obj))
            continue
        if not isinstance(obj["chosen"], str) or not isinstance(obj["rejected"], str):
            rejects.append(Reject(key, "answer is not a string", obj))
            continue
        if obj["chosen"] == obj["rejected"]:
            rejects.append(Reject(key, "identical answers", obj))
            continue
        parts = split_hh_dialogue(obj["chosen"], obj["rejected"])
        if parts is None:
            rejects.append(Reject(key, "no shared 'Assistant:' turn: cannot separate query from answers", obj))
            continue
        pair, rej = make_pair(source, *parts, key=key)
        if pair:
            pairs.append(pair)
        else:
            rejects.append(rej)
        if limit and len(pairs) >= limit:
            break
    return pairs, rejects


def _label(obj: dict) -> str | None:
    """Normalise a preference label: "a"/"b" (also A, 1/2, answer_a, chosen names)."""
    raw = obj.get("preferred", obj.get("label"))
    if raw is None:
        return None
    value = str(raw).strip().lower()
    return {"a": "a", "b": "b", "1": "a", "2": "b", "answer_a": "a", "answer_b": "b"}.get(value)


def read_generic_jsonl(path: Path, source: str | None = None) -> tuple[list[PreferencePair], list[Reject]]:
    """Generic JSONL: ``{query|prompt, answer_a, answer_b, preferred: a|b, [source], [language]}``
    or ``{query|prompt, chosen, rejected}``."""
    pairs, rejects = [], []
    src_default = source or Path(path).name.split(".")[0]
    for n, obj, err in iter_jsonl(path):
        key = f"{Path(path).name}:{n}"
        if err:
            rejects.append(Reject(key, err, obj))
            continue
        if not isinstance(obj, dict):
            rejects.append(Reject(key, "record is not a JSON object", obj))
            continue
        query = obj.get("query", obj.get("prompt"))
        src = str(obj.get("source") or src_default)
        lang = obj.get("language")
        if "chosen" in obj or "rejected" in obj:
            chosen, rejected = obj.get("chosen"), obj.get("rejected")
            if chosen is None or rejected is None:
                rejects.append(Reject(key, "missing preference label: needs both 'chosen' and 'rejected'", obj))
                continue
        else:
            label = _label(obj)
            if label is None:
                rejects.append(Reject(key, "missing preference label: 'preferred' must be a or b", obj))
                continue
            a, b = obj.get("answer_a"), obj.get("answer_b")
            chosen, rejected = (a, b) if label == "a" else (b, a)
        pair, rej = make_pair(src, query, chosen, rejected, key=key, language=lang)
        if pair:
            pairs.append(pair)
        else:
            rejects.append(rej)
    return pairs, rejects


def read_drb_reports(report_files: dict[str, Path], labels_path: Path, source: str = "deep_research_bench",
                     queries_path: Path | None = None) -> tuple[list[PreferencePair], list[Reject]]:
    """DeepResearch-Bench-style reports: one ``{id, prompt, article}`` JSONL per system
    (``report_files`` maps system name → file) plus a label file of
    ``{id, system_a, system_b, preferred: a|b}``. ``queries_path`` (DRB's query.jsonl) supplies
    each id's language when given."""
    rejects: list[Reject] = []
    articles: dict[tuple[str, str], tuple[str, str]] = {}
    for system, path in report_files.items():
        for n, obj, err in iter_jsonl(path):
            key = f"{Path(path).name}:{n}"
            if err or not isinstance(obj, dict) or "id" not in obj:
                rejects.append(Reject(key, err or "report record needs 'id', 'prompt', 'article'", obj))
                continue
            articles[(system, str(obj["id"]))] = (str(obj.get("prompt") or ""), obj.get("article"))
    languages: dict[str, str] = {}
    if queries_path is not None:
        for _, obj, err in iter_jsonl(queries_path):
            if not err and isinstance(obj, dict) and "id" in obj:
                languages[str(obj["id"])] = str(obj.get("language") or "")
    pairs = []
    for n, obj, err in iter_jsonl(labels_path):
        key = f"{Path(labels_path).name}:{n}"
        if err:
            rejects.append(Reject(key, err, obj))
            continue
        if not isinstance(obj, dict):
            rejects.append(Reject(key, "label record is not a JSON object", obj))
            continue
        label = _label(obj)
        if label is None:
            rejects.append(Reject(key, "missing preference label: 'preferred' must be a or b", obj))
            continue
        qid = str(obj.get("id"))
        ra, rb = articles.get((str(obj.get("system_a")), qid)), articles.get((str(obj.get("system_b")), qid))
        if ra is None or rb is None:
            rejects.append(Reject(key, f"no report for id {qid} from {obj.get('system_a')!r}/{obj.get('system_b')!r}", obj))
            continue
        chosen, rejected = (ra[1], rb[1]) if label == "a" else (rb[1], ra[1])
        lang = languages.get(qid) or None
        pair, rej = make_pair(source, ra[0] or rb[0], chosen, rejected, key=key,
                              language=lang if lang in LANGUAGES else None)
        if pair:
            pairs.append(pair)
        else:
            rejects.append(rej)
    return pairs, rejects


def dedupe(pairs: Iterable[PreferencePair]) -> list[PreferencePair]:
    """Drop repeated pair ids, keeping the first (re-runs and repeated lines never duplicate)."""
    seen: set[str] = set()
    out = []
    for p in pairs:
        if p.pair_id not in seen:
            seen.add(p.pair_id)
            out.append(p)
    return out


def split_pairs(pairs: list[PreferencePair], test_fraction: float, seed: int = 0
                ) -> tuple[list[PreferencePair], list[PreferencePair]]:
    """Deterministic train/test split by query (hash of seed + query), so all pairs of one
    query land on the same side and the test queries are unseen."""
    def bucket(p: PreferencePair) -> float:
        h = hashlib.sha256(f"{seed}\x1f{p.query}".encode("utf-8", "surrogatepass")).hexdigest()
        return int(h[:8], 16) / 0xFFFFFFFF

    train = [p for p in pairs if bucket(p) >= test_fraction]
    test = [p for p in pairs if bucket(p) < test_fraction]
    return train, test
