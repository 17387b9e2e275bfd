"""Domain corpora for the mixture search: three offline embedded domains (stdlib code, English
prose from stdlib docstrings and pydoc topics, generated math word problems) and user domains
from text, JSONL or Parquet files. Each domain is split into train / held-out documents."""
from __future__ import annotations

import ast
import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Iterator

from ops.corpus import stdlib_documents, stdlib_root
from ops.demix.math_problems import math_word_problems

Reject = tuple[str, str, dict]  # (record key, reason, record) for the quarantine table


class DomainError(ValueError):
    """A domain cannot be used (missing file, unknown format, no usable documents)."""


@dataclasses.dataclass(frozen=True)
class Domain:
    name: str
    source: str  # 'embedded:<kind>' or the user path
    train: tuple[str, ...]
    held: tuple[str, ...]

    @property
    def n_chars(self) -> int:
        return sum(len(t) for t in self.train) + sum(len(t) for t in self.held)


def split_held_out(name: str, docs: list[str], every: int = 10) -> Domain:
    """Deterministic split by content hash (~1 in ``every`` held out; at least one each side)."""
    train, held = [], []
    for i, text in enumerate(docs):
        h = int(hashlib.md5(f"{i}:{text[:200]}".encode()).hexdigest(), 16)
        (held if h % every == 0 else train).append(text)
    if not held and len(train) > 1:
        held.append(train.pop())
    if not train or not held:
        raise DomainError(f"domain {name!r} has {len(docs)} usable document(s); need at least 2")
    return Domain(name, "", tuple(train), tuple(held))


def _cap(docs: Iterator[str], max_chars: int) -> list[str]:
    out, total = [], 0
    for d in docs:
        if total >= max_chars:
            break
        out.append(d[: max_chars - total])
        total += len(out[-1])
    return out


def _module_side(name: str) -> str:
    """Which embedded domain owns a stdlib module's text: 'code' or 'prose' (by a stable hash of
    the file name). A module's docstrings go to prose only when its source is not in code, so
    the two domains share no text."""
    return "code" if int(hashlib.md5(name.encode()).hexdigest(), 16) % 2 == 0 else "prose"


def _docstrings() -> Iterator[str]:
    """Module, class and function docstrings of the stdlib modules owned by prose (long ones:
    real prose)."""
    for path in sorted(stdlib_root().glob("*.py")):
        if _module_side(path.name) != "prose":
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, OSError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                doc = ast.get_docstring(node)
                if doc and len(doc) >= 300:
                    yield doc


def _pydoc_topics() -> Iterator[str]:
    from pydoc_data.topics import topics

    for key in sorted(topics):
        yield topics[key]


def _interleave(*streams: Iterator[str]) -> Iterator[str]:
    streams = list(streams)
    while streams:
        for s in list(streams):
            try:
                yield next(s)
            except StopIteration:
                streams.remove(s)


def word_shingles(texts, n: int = 8) -> set[str]:
    """The ``n``-word shingles (whitespace-split) of ``texts``: what "shared text" means between
    domains."""
    out: set[str] = set()
    for t in texts:
        w = t.split()
        out.update(" ".join(w[i:i + n]) for i in range(len(w) - n + 1))
    return out


def embedded_domains(max_chars: int, seed: int = 0, held_every: int = 10) -> list[Domain]:
    """code / prose / math, each capped at ``max_chars`` characters (equal-sized domains).
    code and prose come from disjoint halves of the stdlib modules (``_module_side``); prose is
    cut into ~2 kB documents (so ~1 in ``held_every`` of its text is held out, not a few long
    pydoc topics), and a prose document sharing any 8-word shingle with code is left out (some
    modules repeat another module's docstrings: ``_py_abc`` / ``abc``)."""
    # whole modules are up to 60 kB; cut them at blank lines so the held-out split has many docs
    code = _cap((c for d in stdlib_documents(10_000) if _module_side(d.path) == "code"
                 for c in _text_docs(d.text, 3000)), max_chars)
    code_shingles = word_shingles(code)
    prose = _cap((c for doc in _interleave(_docstrings(), _pydoc_topics()) for c in _text_docs(doc, 2000)
                  if not word_shingles([c]) & code_shingles), max_chars)
    # ~150 chars per problem; generate a little more than needed, then cap
    maths = _cap(iter(math_word_problems(max_chars // 100 + 10, seed)), max_chars)
    out = []
    for name, docs in (("code", code), ("prose", prose), ("math", maths)):
        d = split_held_out(name, docs, held_every)
        out.append(dataclasses.replace(d, source=f"embedded:{name}"))
    return out


def _jsonl_text(row: dict) -> str | None:
    for key in ("text", "content"):
        if isinstance(row.get(key), str):
            return row[key]
    if isinstance(row.get("question"), str) and isinstance(row.get("answer"), str):
        return f"Question: {row['question']}\nAnswer: {row['answer']}"
    return None


def _text_docs(text: str, target: int = 2000) -> list[str]:
    """Plain text → documents of about ``target`` characters, cut at a blank line (or at any
    line once a document reaches twice the target: some corpora have no blank lines)."""
    docs, cur, size = [], [], 0
    for line in text.splitlines(keepends=True):
        cur.append(line)
        size += len(line)
        if (size >= target and not line.strip()) or size >= 2 * target:
            docs.append("".join(cur))
            cur, size = [], 0
    if cur:
        docs.append("".join(cur))
    return docs


def load_user_domain(spec: str, max_chars: int, held_every: int = 10) -> tuple[Domain, list[Reject]]:
    """``name=path`` (or just a path: the name is the file stem) → a split domain and the
    records rejected on the way (empty documents, JSONL lines that are not objects with text)."""
    name, sep, path_s = spec.partition("=")
    if not sep:
        name, path_s = Path(spec).stem, spec
    path = Path(path_s).expanduser()
    if not name.isidentifier():
        raise DomainError(f"domain name {name!r} (from {spec!r}) must be an identifier")
    if not path.is_file():
        raise DomainError(f"domain {name!r}: file {path} does not exist")
    rejects: list[Reject] = []
    suffix = path.suffix.lower()
    if suffix in (".txt", ".md", ".text"):
        docs = _text_docs(path.read_text(encoding="utf-8", errors="replace"))
    elif suffix in (".jsonl", ".json"):
        docs = []
        with open(path, encoding="utf-8", errors="replace") as f:
            for i, line in enumerate(f):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    rejects.append((f"{path}:{i + 1}", f"invalid JSON: {exc.msg}", {"line": line[:500]}))
                    continue
                text = _jsonl_text(row) if isinstance(row, dict) else None
                if text is None:
                    rejects.append((f"{path}:{i + 1}", "no text/content or question+answer field",
                                    {"line": line[:500]}))
                    continue
                docs.append(text)
    elif suffix == ".parquet":
        import polars as pl

        frame = pl.read_parquet(path)
        if "text" not in frame.columns:
            raise DomainError(f"domain {name!r}: {path} has no 'text' column (columns: {frame.columns})")
        docs = [t for t in frame["text"].to_list() if t is not None]
    else:
        raise DomainError(f"domain {name!r}: unsupported file type {suffix!r} (txt, jsonl, parquet)")
    kept = []
    for i, d in enumerate(docs):
        if d.strip():
            kept.append(d)
        else:
            rejects.append((f"{path}#doc{i}", "empty document", {}))
    docs = _cap(iter(kept), max_chars)
    if not docs:
        raise DomainError(f"domain {name!r}: {path} holds no usable text")
    d = split_held_out(name, docs, held_every)
    return dataclasses.replace(d, source=str(path)), rejects
