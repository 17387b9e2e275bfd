"""The embedded default text corpus: the running interpreter's standard-library sources plus
prose written for the project. Streams ``Document`` records; statistics per origin."""
from __future__ import annotations

import dataclasses
import hashlib
import sysconfig
from pathlib import Path
from typing import Iterable, Iterator

from ops.project_text import PROJECT_TEXT


@dataclasses.dataclass(frozen=True)
class Document:
    doc_id: str
    origin: str
    path: str
    text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def stdlib_root() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def stdlib_documents(max_files: int, max_bytes: int = 60_000) -> Iterator[Document]:
    """Top-level stdlib modules in name order (deterministic across machines with the same
    Python), skipping files over ``max_bytes`` and files that are not UTF-8."""
    root = stdlib_root()
    count = 0
    for path in sorted(root.glob("*.py")):
        if count >= max_files:
            return
        if path.stat().st_size > max_bytes:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        count += 1
        yield Document(doc_id=f"stdlib:{path.name}", origin="stdlib", path=path.name, text=text)


def project_documents() -> Iterator[Document]:
    for i, text in enumerate(PROJECT_TEXT):
        yield Document(doc_id=f"project_text:{i}", origin="project_text", path=f"project_text/{i}",
                       text=text)


def embedded_corpus(max_stdlib_files: int) -> list[Document]:
    return [*stdlib_documents(max_stdlib_files), *project_documents()]


def split_held_out(docs: Iterable[Document], every: int = 10) -> tuple[list[Document], list[Document]]:
    """Deterministic split by document id hash: about 1 in ``every`` documents is held out."""
    train, held = [], []
    for d in docs:
        bucket = int(hashlib.md5(d.doc_id.encode()).hexdigest(), 16) % every
        (held if bucket == 0 else train).append(d)
    return train, held


def corpus_statistics(docs: Iterable[Document]) -> list[dict]:
    """Per-origin counts: documents, characters, lines, whitespace tokens."""
    stats: dict[str, dict] = {}
    for d in docs:
        s = stats.setdefault(d.origin, {"origin": d.origin, "n_docs": 0, "n_chars": 0,
                                        "n_lines": 0, "n_tokens": 0})
        s["n_docs"] += 1
        s["n_chars"] += len(d.text)
        s["n_lines"] += d.text.count("\n") + 1
        s["n_tokens"] += len(d.text.split())
    return [stats[k] for k in sorted(stats)]
