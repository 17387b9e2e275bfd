"""Rubric format: valid rubrics round-trip; each kind of violation is rejected with its reason."""
import json

import pytest

from ops.rubrics.rubric import RubricError, build_rubric, load_criteria_bank, parse_rubric, validate_rubric

VALID = {
    "dimension_weight": {"insight": 0.6, "readability": 0.4},
    "criterions": {
        "insight": [{"criterion": "Explains causes", "explanation": "Why, not just what.", "weight": 0.7},
                    {"criterion": "Compares options", "explanation": "Weighs alternatives.", "weight": 0.3}],
        "readability": [{"criterion": "Clear", "explanation": "Short sentences.", "weight": 1.0, "check": "brevity"}],
    },
}


def test_valid_rubric_round_trips_and_flat_weights_multiply():
    r = parse_rubric(VALID)
    assert parse_rubric(r.to_json()) == r
    flat = {c.criterion: w for _, c, w in r.flat()}
    assert flat == pytest.approx({"Explains causes": 0.42, "Compares options": 0.18, "Clear": 0.4})


@pytest.mark.parametrize("mutate, reason", [
    (lambda d: d["dimension_weight"].update(insight=0.7), "dimension weights sum to 1.1000"),
    (lambda d: d["criterions"]["insight"][0].update(weight=0.5), "'insight': criterion weights sum to 0.8000"),
    (lambda d: d["criterions"]["insight"][1].update(weight=-0.1), "'weight' must be a finite number >= 0"),
    (lambda d: d["criterions"]["insight"][1].update(weight=float("nan")), "'weight' must be a finite number >= 0"),
    (lambda d: d["criterions"]["readability"][0].pop("explanation"), "'explanation' must be a non-empty string"),
    (lambda d: d["criterions"].pop("readability"), "dimensions differ"),
    (lambda d: d["criterions"].update(readability=[]), "criteria must be a non-empty list"),
    (lambda d: d.pop("dimension_weight"), "'dimension_weight' must be a non-empty object"),
])
def test_invalid_rubrics_are_rejected_with_reason(mutate, reason):
    data = json.loads(json.dumps(VALID))
    mutate(data)
    assert any(reason in e for e in validate_rubric(data)), validate_rubric(data)
    with pytest.raises(RubricError, match="sum to|must be|differ"):
        parse_rubric(data)


def test_write_side_validation_refuses_a_broken_rubric():
    r = parse_rubric(VALID)
    broken = type(r)({"insight": 0.5, "readability": 0.4}, r.criterions)
    with pytest.raises(RubricError, match="dimension weights sum to 0.9000"):
        broken.to_json()


def test_build_rubric_normalises_raw_weights_exactly():
    r = build_rubric([("a", "x", "e", 3.0, ""), ("a", "y", "e", 1.0, ""), ("b", "z", "e", 4.0, "")])
    assert r.dimension_weight == {"a": 0.5, "b": 0.5}
    assert {c.criterion: w for _, c, w in r.flat()} == pytest.approx({"x": 0.375, "y": 0.125, "z": 0.5})
    with pytest.raises(RubricError, match="no criterion with a positive weight"):
        build_rubric([("a", "x", "e", 0.0, "")])


def test_not_json_is_a_clear_error():
    with pytest.raises(RubricError, match="not valid JSON"):
        parse_rubric("{dimension_weight: 1")


def test_criteria_file_loads_as_bank_and_bad_rows_are_rejected(tmp_path):
    good = {"id": 1, "prompt": "研究中国中产", "dimension_weight": VALID["dimension_weight"],
            "criterions": VALID["criterions"]}
    bad = json.loads(json.dumps(good))
    bad["id"] = 2
    bad["dimension_weight"]["insight"] = 0.5
    path = tmp_path / "criteria.jsonl"
    path.write_text(json.dumps(good, ensure_ascii=False) + "\n" + json.dumps(bad) + "\n{oops\n", encoding="utf-8")
    entries, rejects = load_criteria_bank(path)
    assert [e.query_id for e in entries] == ["1"]
    assert entries[0].prompt == "研究中国中产"
    assert [r[0] for r in rejects] == ["criteria.jsonl:2", "criteria.jsonl:3"]
    assert "dimension weights sum to 0.9000" in rejects[0][1]
    assert "criteria.jsonl:3: malformed JSON" in rejects[1][1]


def test_deep_research_bench_criteria_file_loads(shared_data):
    path = shared_data / "research" / "deep_research_bench" / "criteria.jsonl"
    if not path.exists():
        pytest.skip(f"{path} absent")
    entries, rejects = load_criteria_bank(path)
    assert len(entries) == 80 and rejects == []
    assert {d for e in entries for d in e.rubric.dimension_weight} == {
        "comprehensiveness", "insight", "instruction_following", "readability"}
