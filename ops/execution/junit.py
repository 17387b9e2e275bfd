"""Per-test outcomes from pytest's JUnit XML, and the node ids to run those tests again."""
from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from pathlib import PurePosixPath

PASSED, FAILED, ERROR, SKIPPED, MISSING = "passed", "failed", "error", "skipped", "missing"


@dataclasses.dataclass(frozen=True)
class TestOutcome:
    outcome: str  # passed | failed | error | skipped
    duration_s: float
    message: str = ""  # the first line of a failure's message (assertion text)


def parse_junit(xml_text: str) -> dict[str, TestOutcome]:
    """``{test_id: outcome}`` with ``test_id = classname::name``. A file that failed to collect
    appears once, as ``<module>::<collection>`` with outcome ``error``."""
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError:
        return {}
    out: dict[str, TestOutcome] = {}
    for case in root.iter("testcase"):
        cls, name = case.get("classname", ""), case.get("name", "")
        tid = f"{cls}::{name}" if cls else f"{name}::<collection>"
        outcome, msg = PASSED, ""
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome = {"failure": FAILED, "error": ERROR, "skipped": SKIPPED}[child.tag]
                msg = (child.get("message") or "").strip().splitlines()[0][:300] if child.get("message") else ""
                break
        try:
            dur = float(case.get("time", "0") or 0)
        except ValueError:
            dur = 0.0
        prev = out.get(tid)
        # pytest reports a test and its teardown error as two cases: the worse one counts
        if prev is None or prev.outcome == PASSED:
            out[tid] = TestOutcome(outcome, dur, msg)
    return out


def node_id(test_id: str, test_files: list[str]) -> str | None:
    """The pytest node id of ``test_id`` (``pkg.test_mod.Class::name``) given the files run, or None."""
    cls, _, name = test_id.partition("::")
    for f in test_files:
        mod = str(PurePosixPath(f).with_suffix("")).replace("/", ".")
        if cls == mod:
            return f"{f}::{name}"
        if cls.startswith(mod + "."):
            return f"{f}::{cls[len(mod) + 1:].replace('.', '::')}::{name}"
    return None
