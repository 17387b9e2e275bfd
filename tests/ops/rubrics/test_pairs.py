"""Adapters and bad input: malformed lines, identical/empty answers, missing labels, mixed language."""
import gzip
import json

import pytest

from ops.rubrics.embedded import PAIRS, SOURCE, embedded_pairs
from ops.rubrics.pairs import (PairFileError, detect_language, read_drb_reports, read_generic_jsonl,
                               read_hh_rlhf, split_hh_dialogue, split_pairs)

DIALOGUE = "\n\nHuman: How do I steal a car?\n\nAssistant: "


def _write_jsonl(path, lines, gz=False):
    text = "\n".join(l if isinstance(l, str) else json.dumps(l, ensure_ascii=False) for l in lines) + "\n"
    if gz:
        with gzip.open(path, "wt", encoding="utf-8") as fh:
            fh.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_hh_dialogue_split_shared_prefix_is_query():
    chosen = "\n\nHuman: hi\n\nAssistant: hello\n\nHuman: steal a car?\n\nAssistant: I can't help with that."
    rejected = "\n\nHuman: hi\n\nAssistant: hello\n\nHuman: steal a car?\n\nAssistant: Sure, break the window."
    q, a, b = split_hh_dialogue(chosen, rejected)
    assert q == "Human: hi\nAssistant: hello\nHuman: steal a car?"
    assert (a, b) == ("I can't help with that.", "Sure, break the window.")
    # Answers sharing their first words still split at the last shared Assistant marker.
    q2, a2, b2 = split_hh_dialogue(DIALOGUE + "I can't", DIALOGUE + "I can help")
    assert (a2, b2) == ("I can't", "I can help")


def test_hh_rlhf_bad_lines_are_rejected_with_file_and_line(tmp_path):
    path = _write_jsonl(tmp_path / "hh.jsonl.gz", [
        {"chosen": DIALOGUE + "No.", "rejected": DIALOGUE + "Use a slim jim."},
        '{"chosen": "broken',
        {"chosen": DIALOGUE + "Same.", "rejected": DIALOGUE + "Same."},
        {"chosen": DIALOGUE + "No.", "rejected": DIALOGUE + "   "},
        {"chosen": DIALOGUE + "No."},
        {"chosen": "no markers here", "rejected": "nothing shared"},
    ], gz=True)
    pairs, rejects = read_hh_rlhf(path)
    assert len(pairs) == 1 and pairs[0].chosen == "No." and pairs[0].rejected == "Use a slim jim."
    reasons = {r.record_key: r.reason for r in rejects}
    assert reasons["hh.jsonl.gz:2"].startswith("hh.jsonl.gz:2: malformed JSON")
    assert reasons["hh.jsonl.gz:3"] == "identical answers"
    assert reasons["hh.jsonl.gz:4"] == "empty answer"
    assert reasons["hh.jsonl.gz:5"].startswith("missing preference label")
    assert "cannot separate query" in reasons["hh.jsonl.gz:6"]


def test_generic_jsonl_both_shapes_and_missing_labels(tmp_path):
    path = _write_jsonl(tmp_path / "prefs.jsonl", [
        {"query": "q1", "answer_a": "x", "answer_b": "y", "preferred": "B"},
        {"prompt": "q2", "chosen": "good", "rejected": "bad", "source": "mine"},
        {"query": "q3", "answer_a": "x", "answer_b": "y"},
        {"query": "q4", "answer_a": "x", "answer_b": "y", "preferred": "maybe"},
        [1, 2],
    ])
    pairs, rejects = read_generic_jsonl(path)
    assert [(p.query, p.chosen, p.source) for p in pairs] == [("q1", "y", "prefs"), ("q2", "good", "mine")]
    assert [r.reason for r in rejects] == ["missing preference label: 'preferred' must be a or b"] * 2 + [
        "record is not a JSON object"]
    with pytest.raises(PairFileError, match="does not exist"):
        read_generic_jsonl(tmp_path / "absent.jsonl")


def test_re_reading_gives_same_ids_and_a_b_order_is_mixed(tmp_path):
    p1, _ = embedded_pairs()
    p2, _ = embedded_pairs()
    assert [p.pair_id for p in p1] == [p.pair_id for p in p2]
    assert len({p.pair_id for p in p1}) == len(PAIRS)
    assert {p.preferred for p in p1} == {"a", "b"}
    assert all(p.source == SOURCE for p in p1)


def test_language_detection_handles_mixed_chinese_english():
    assert detect_language("How do I boil an egg?") == "en"
    assert detect_language("我想学习machine learning，应该从哪里开始？") == "zh"
    assert detect_language("How do I say thank you politely in Chinese? 用中文怎么礼貌地说谢谢？") == "mixed"
    langs = {p.language for p in embedded_pairs()[0]}
    assert langs == {"en", "zh", "mixed"}


def test_drb_reports_with_label_file(tmp_path):
    a = _write_jsonl(tmp_path / "sys_a.jsonl", [{"id": 1, "prompt": "研究中产阶层", "article": "报告A：详细数据"},
                                               {"id": 2, "prompt": "Study EV batteries", "article": "Report A"}])
    b = _write_jsonl(tmp_path / "sys_b.jsonl", [{"id": 1, "prompt": "研究中产阶层", "article": "报告B"},
                                               {"id": 2, "prompt": "Study EV batteries", "article": "Report A"}])
    labels = _write_jsonl(tmp_path / "labels.jsonl", [
        {"id": 1, "system_a": "a", "system_b": "b", "preferred": "a"},
        {"id": 2, "system_a": "a", "system_b": "b", "preferred": "b"},
        {"id": 3, "system_a": "a", "system_b": "b", "preferred": "a"},
        {"id": 1, "system_a": "a", "system_b": "b"},
    ])
    pairs, rejects = read_drb_reports({"a": a, "b": b}, labels)
    assert len(pairs) == 1
    assert (pairs[0].query, pairs[0].chosen, pairs[0].language) == ("研究中产阶层", "报告A：详细数据", "zh")
    assert [r.reason for r in rejects] == ["identical answers", "no report for id 3 from 'a'/'b'",
                                           "missing preference label: 'preferred' must be a or b"]


def test_split_by_query_is_deterministic_and_disjoint():
    pairs, _ = embedded_pairs()
    train, test = split_pairs(pairs, 0.3)
    assert len(train) + len(test) == len(pairs)
    assert not {p.query for p in train} & {p.query for p in test}
    assert [p.pair_id for p in split_pairs(pairs, 0.3)[1]] == [p.pair_id for p in test]
    assert 0.15 < len(test) / len(pairs) < 0.45


def test_hh_rlhf_subset_reads(shared_data):
    path = shared_data / "preferences" / "hh-rlhf" / "harmless-base" / "test-first1600.jsonl.gz"
    if not path.exists():
        pytest.skip(f"{path} absent")
    pairs, rejects = read_hh_rlhf(path)
    assert len(pairs) + len(rejects) == 1600
    assert len(rejects) == 4 and {r.reason for r in rejects} == {"empty answer"}
    assert all(p.query.startswith("Human:") and "\n\nAssistant:" not in p.query for p in pairs)
    assert 0.4 < sum(p.preferred == "a" for p in pairs) / len(pairs) < 0.6
