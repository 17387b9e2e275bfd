"""The rubric format (DeepResearch Bench's), validated on read and on write.

A rubric is ``{"dimension_weight": {dim: w}, "criterions": {dim: [{criterion, explanation, weight}]}}``
with dimension weights summing to 1 and, per dimension, criterion weights summing to 1. A criterion
may carry one optional ``check`` string: a hint for the offline scorer (see ``scorer.CHECKS``);
DeepResearch Bench's own rare extra keys (comment, aspect, ...) are kept as they are.
"""
from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any, Iterable

WEIGHT_TOLERANCE = 5e-3  # DRB weights are rounded to 2 decimals; their sums are exact to ~1e-9


class RubricError(ValueError):
    """A rubric that breaks the format; ``reasons`` lists every problem found."""

    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


@dataclasses.dataclass(frozen=True)
class Criterion:
    criterion: str
    explanation: str
    weight: float
    check: str = ""  # offline-scorer hint, e.g. "semantic", "like", "not:refusal"; "" = semantic
    extra: tuple[tuple[str, Any], ...] = ()  # other keys found in the source, kept verbatim

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"criterion": self.criterion, "explanation": self.explanation,
                             "weight": self.weight}
        if self.check:
            d["check"] = self.check
        d.update(dict(self.extra))
        return d


@dataclasses.dataclass(frozen=True)
class Rubric:
    dimension_weight: dict[str, float]
    criterions: dict[str, tuple[Criterion, ...]]

    def as_dict(self) -> dict[str, Any]:
        return {"dimension_weight": dict(self.dimension_weight),
                "criterions": {d: [c.as_dict() for c in cs] for d, cs in self.criterions.items()}}

    def to_json(self) -> str:
        """Serialise after validating (write-side check)."""
        data = self.as_dict()
        errors = validate_rubric(data)
        if errors:
            raise RubricError(errors)
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    def flat(self) -> list[tuple[str, Criterion, float]]:
        """(dimension, criterion, effective weight = dimension weight × criterion weight); the
        effective weights sum to 1 and the rubric total is their weighted sum of scores."""
        return [(d, c, self.dimension_weight[d] * c.weight)
                for d, cs in self.criterions.items() for c in cs]


def _is_weight(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x >= 0


def validate_rubric(data: Any) -> list[str]:
    """Every reason ``data`` is not a valid rubric (empty list = valid)."""
    if not isinstance(data, dict):
        return ["rubric is not a JSON object"]
    errors: list[str] = []
    dw, crit = data.get("dimension_weight"), data.get("criterions")
    if not isinstance(dw, dict) or not dw:
        errors.append("'dimension_weight' must be a non-empty object")
    if not isinstance(crit, dict) or not crit:
        errors.append("'criterions' must be a non-empty object")
    if errors:
        return errors
    if set(dw) != set(crit):
        errors.append(f"dimensions differ: dimension_weight has {sorted(dw)}, criterions has {sorted(crit)}")
    bad = [d for d, w in dw.items() if not _is_weight(w)]
    if bad:
        errors.append(f"dimension weights must be finite numbers >= 0: {bad}")
    elif abs(sum(dw.values()) - 1.0) > WEIGHT_TOLERANCE:
        errors.append(f"dimension weights sum to {sum(dw.values()):.4f}, not 1")
    for dim, items in crit.items():
        if not isinstance(items, list) or not items:
            errors.append(f"dimension {dim!r}: criteria must be a non-empty list")
            continue
        weights = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                errors.append(f"dimension {dim!r} criterion {i}: not an object")
                continue
            for key in ("criterion", "explanation"):
                if not isinstance(item.get(key), str) or not item.get(key).strip():
                    errors.append(f"dimension {dim!r} criterion {i}: '{key}' must be a non-empty string")
            if not _is_weight(item.get("weight")):
                errors.append(f"dimension {dim!r} criterion {i}: 'weight' must be a finite number >= 0")
            else:
                weights.append(item["weight"])
            if "check" in item and not isinstance(item["check"], str):
                errors.append(f"dimension {dim!r} criterion {i}: 'check' must be a string")
        if len(weights) == len(items) and abs(sum(weights) - 1.0) > WEIGHT_TOLERANCE:
            errors.append(f"dimension {dim!r}: criterion weights sum to {sum(weights):.4f}, not 1")
    return errors


def parse_rubric(data: Any) -> Rubric:
    """Validate (read-side check) and build a ``Rubric``; raises ``RubricError`` with reasons."""
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise RubricError([f"rubric is not valid JSON ({exc.msg})"]) from None
    errors = validate_rubric(data)
    if errors:
        raise RubricError(errors)
    crits = {}
    for dim, items in data["criterions"].items():
        crits[dim] = tuple(
            Criterion(str(it["criterion"]), str(it["explanation"]), float(it["weight"]),
                      str(it.get("check", "")),
                      tuple((k, v) for k, v in it.items() if k not in ("criterion", "explanation", "weight", "check")))
            for it in items)
    return Rubric({d: float(w) for d, w in data["dimension_weight"].items()}, crits)


def build_rubric(items: Iterable[tuple[str, str, str, float, str]], digits: int = 6) -> Rubric:
    """A valid rubric from raw ``(dimension, criterion, explanation, raw_weight, check)`` items:
    dimension weight = share of the raw weight; criterion weight = share within its dimension.
    So the effective weight of each criterion is exactly its raw weight / total raw weight."""
    by_dim: dict[str, list[tuple[str, str, float, str]]] = {}
    for dim, crit, expl, w, check in items:
        if not _is_weight(w):
            raise RubricError([f"raw weight of {crit!r} must be a finite number >= 0"])
        if w > 0:
            by_dim.setdefault(dim, []).append((crit, expl, float(w), check))
    total = sum(w for cs in by_dim.values() for *_, w, _ in cs)
    if not by_dim or total <= 0:
        raise RubricError(["rubric has no criterion with a positive weight"])
    dims = {d: sum(w for _, _, w, _ in cs) for d, cs in by_dim.items()}
    rubric = Rubric(
        {d: round(s / total, digits) for d, s in dims.items()},
        {d: tuple(Criterion(c, e, round(w / dims[d], digits), k) for c, e, w, k in cs) for d, cs in by_dim.items()},
    )
    errors = validate_rubric(rubric.as_dict())
    if errors:
        raise RubricError(errors)
    return rubric


@dataclasses.dataclass(frozen=True)
class BankEntry:
    """One query's criteria from a DRB-style criteria file (id, prompt, rubric)."""

    query_id: str
    prompt: str
    rubric: Rubric


def load_criteria_bank(path: Path) -> tuple[list[BankEntry], list[tuple[str, str, Any]]]:
    """Read a DeepResearch Bench ``criteria.jsonl`` as a criteria bank.

    Returns (entries, rejects) with rejects as ``(record_key, reason, record)``: a row whose
    weights do not sum to 1 is rejected with the validator's reasons, the others load."""
    from ops.rubrics.pairs import iter_jsonl

    entries, rejects = [], []
    for n, obj, err in iter_jsonl(Path(path)):
        key = f"{Path(path).name}:{n}"
        if err:
            rejects.append((key, err, obj))
            continue
        if not isinstance(obj, dict):
            rejects.append((key, "record is not a JSON object", obj))
            continue
        try:
            rubric = parse_rubric({"dimension_weight": obj.get("dimension_weight"),
                                   "criterions": obj.get("criterions")})
        except RubricError as exc:
            rejects.append((key, f"invalid rubric: {exc}", obj))
            continue
        entries.append(BankEntry(str(obj.get("id", n)), str(obj.get("prompt", "")), rubric))
    return entries, rejects
