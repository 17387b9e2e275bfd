"""Checks for short free text written by a small model (thoughts, issue prose): complete
sentences, English, no code, no repetition loop, not chat-assistant boilerplate, and on topic
(shares a content word with the facts it was asked about). Each check returns the reason a text
fails (``"<category>: detail"``) or None; ``ops.llm.validated.generate_with_fallback`` uses them
as gates."""
from __future__ import annotations

import re
from typing import Iterable

_WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9']*")
_SENTENCE_END_RE = re.compile(r"[.!?](?=\s|$)")
_CODE_RE = re.compile(r"```|^\s*(def|class|import|from|return)\s|[{};]|==|\w\(.*?\)\s*[:=]|>>>|\n\s{4}", re.M)
FUNCTION_WORDS = frozenset(
    "a an the to of in on for and or but so if it its is are be was this that with when what which "
    "why how not no can will should must then than as at by from into before after because".split())
STOPWORDS = FUNCTION_WORDS | frozenset(
    "i we you me my our your they them their he she his her there here do does did done have has had "
    "make makes made add adds added fix fixes fixed use uses used get gets set new now next first last "
    "also just only more most some any all each every one two see look check run runs file files "
    "code change changes test tests".split())
BOILERPLATE = ("as an ai", "here is", "here's", "i'm sorry", "i am sorry", "you can", "you should", "you need",
               "let's", "in this task", "in python,", "sure,", "certainly", "the answer")


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD_RE.findall(text)]


def content_stems(text: str) -> set[str]:
    """5-letter stems of the non-stopword words (and identifier parts) of ``text``: "chunked",
    "chunks" and "chunked_even" all give "chunk"."""
    out = set()
    for w in re.findall(r"[A-Za-z0-9_]+", text):
        for part in [w] + w.split("_"):
            p = part.lower()
            if len(p) >= 4 and p not in STOPWORDS and not p.isdigit():
                out.add(p[:5])
    return out


def complete_sentences(text: str, max_sentences: int = 1) -> str | None:
    """The first ``max_sentences`` complete sentences of the first paragraph (None when the first
    sentence never ends, e.g. the model hit its token limit)."""
    para = text.strip().split("\n", 1)[0].strip()
    ends = [m.end() for m in _SENTENCE_END_RE.finditer(para)]
    if not ends:
        return None
    return para[: ends[min(max_sentences, len(ends)) - 1]].strip()


def prose_problem(text: str, min_words: int = 3, max_words: int = 60) -> str | None:
    """Why ``text`` is not usable English prose, or None."""
    letters = [c for c in text if c.isalpha()]
    if letters and sum(c.isascii() for c in letters) / len(letters) < 0.95:
        return "not English: non-Latin letters"
    ws = words(text)
    if len(ws) < min_words:
        return f"too short: {len(ws)} words"
    if len(ws) > max_words:
        return f"too long: {len(ws)} words"
    if _CODE_RE.search(text):
        return "code: looks like code"
    if len(ws) >= 6 and not FUNCTION_WORDS & set(ws):
        return "not English: no function words"
    low = text.lower()
    for phrase in BOILERPLATE:
        if phrase in low:
            return f"boilerplate: {phrase!r}"
    content = [w for w in ws if w not in FUNCTION_WORDS]
    for w in set(content):
        if len(w) > 2 and content.count(w) >= 3:
            return f"repetition: {w!r} x{content.count(w)}"
    bigrams = list(zip(ws, ws[1:]))
    if len(bigrams) != len(set(bigrams)):
        return "repetition: a word pair repeats"
    return None


_NAME_RE = re.compile(r"[\w/.-]+\.(?:py|pyi|txt|md|rst|cfg|toml|ini|json|ya?ml)\b"  # file names
                      r"|\b\w*_\w+\b"  # identifiers with an underscore (dunders included)
                      r"|\b[A-Za-z]+ \d+\.\d+(?:\.\d+)?\b", re.I)  # "Python 3.3"-style versions


def _same_stem(word: str, known: str) -> bool:
    """An inflection or derivation: the words share a prefix of at least 5 letters that leaves at
    most 3 letters of the shorter one (``windows``/``windowed``, ``reversal``/``reversed``), while
    ``subfactrary``/``subfactorial`` do not."""
    common = 0
    for a, b in zip(word, known):
        if a != b:
            break
        common += 1
    return common >= max(5, min(len(word), len(known)) - 3)


def invented_name(text: str, facts: Iterable[str]) -> str | None:
    """None when ``text`` names only what ``facts`` name; else the first name it invents: a file
    name, an underscored identifier or a ``Name 1.2`` version that is not a whole token of the
    facts (case-insensitive), or a misspelling of a fact's word (similar to one, ≥ 0.75 by
    ``difflib``, without sharing its stem: ``peechable`` for ``peekable``)."""
    import difflib

    known_text = "\n".join(facts).lower()
    for m in _NAME_RE.finditer(text):
        name = m.group(0).strip(".-/").lower()
        if name and not re.search(r"(?<![\w.])" + re.escape(name) + r"(?![\w])", known_text):
            return f"invented: names {m.group(0)!r}, which is not in its context"
    known = {w for w in re.findall(r"[a-z][a-z0-9]+", known_text) if len(w) >= 5}
    for w in dict.fromkeys(re.findall(r"[a-z][a-z0-9]+", text.lower())):
        if len(w) < 6 or w in known or w in STOPWORDS:
            continue
        close = difflib.get_close_matches(w, known, n=1, cutoff=0.75)
        if close and not _same_stem(w, close[0]):
            return f"invented: {w!r} misspells {close[0]!r}"
    return None


def off_topic(text: str, facts: Iterable[str]) -> str | None:
    """None when ``text`` shares a content stem with any of ``facts`` (titles, names, messages)."""
    stems = set()
    for f in facts:
        stems |= content_stems(f)
    if not stems:
        return None
    if content_stems(text) & stems:
        return None
    return "off-topic: names nothing from the task or the step"
