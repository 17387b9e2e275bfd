"""End to end on the embedded default: pairs → rubrics → scores → report, reward data → GRPO."""
import json

from tests.conftest import materialize


def test_rubric_assets_end_to_end_and_rerun_does_not_duplicate(warehouse):
    from assets.rubrics import RUBRIC_ASSETS
    from ops.rubrics.embedded import PAIRS
    from ops.rubrics.rubric import validate_rubric
    from warehouse.readers import read_sql, scalar

    result = materialize(RUBRIC_ASSETS)
    assert result.success
    n_pairs = scalar("SELECT count(*) FROM rubric_pairs")
    assert n_pairs == len(PAIRS)
    assert scalar("SELECT count(DISTINCT split) FROM rubric_pairs") == 2
    # Every stored rubric passes the format validator and every generator produced rubrics.
    rubrics = read_sql("SELECT generator, rubric_json FROM rubrics")
    assert set(rubrics["generator"]) == {"generic", "template", "llm", "learned"}
    assert all(validate_rubric(json.loads(j)) == [] for j in rubrics["rubric_json"])
    # Per-criterion effective weights of each (pair, rubric) sum to 1 and reproduce the totals.
    check = read_sql(
        "SELECT s.pair_id, s.rubric_id, sum(s.weight) AS w, "
        "sum(s.weight * CASE WHEN p.preferred = 'a' THEN s.score_a ELSE s.score_b END) AS tp, "
        "any_value(t.total_preferred) AS total FROM rubric_scores s JOIN rubric_pairs p USING (pair_id) "
        "JOIN rubric_totals t ON t.pair_id = s.pair_id AND t.rubric_id = s.rubric_id "
        "GROUP BY s.pair_id, s.rubric_id")
    assert check.height == 4 * n_pairs
    assert (check["w"] - 1.0).abs().max() < 1e-4
    assert (check["tp"] - check["total"]).abs().max() < 1e-9
    # Report metrics: accuracy for each generator on the held-out split, CI brackets the value.
    m = read_sql("SELECT metric, value, ci_low, ci_high, n FROM eval_metrics WHERE report_id = 'rubric_report/held_out'")
    acc = {r[0]: r for r in m.iter_rows() if r[0].startswith("accuracy/") and r[0].endswith("/all/all")}
    assert set(acc) == {f"accuracy/{g}/all/all" for g in ("generic", "template", "llm", "learned")}
    held_out = scalar("SELECT count(*) FROM rubric_pairs WHERE split = 'test'")
    for _, value, lo, hi, n in acc.values():
        assert n == held_out and 0.0 <= lo <= value <= hi <= 1.0
    # The accuracy equals the mean of stored per-pair correctness (computed independently here).
    direct = scalar("SELECT avg(correct) FROM rubric_totals WHERE split = 'test' AND generator = 'generic'")
    assert abs(acc["accuracy/generic/all/all"][1] - direct) < 1e-12
    # Reward rows in [0, 1]; GRPO run recorded with metrics; export readable as a view.
    r = read_sql("SELECT min(reward) AS lo, max(reward) AS hi, count(*) AS n FROM rubric_rewards")
    assert r["n"][0] > 0 and 0.0 <= r["lo"][0] <= r["hi"][0] <= 1.0
    assert scalar("SELECT count(*) FROM rubric_grpo_data") == scalar(
        "SELECT count(DISTINCT query) FROM rubric_pairs WHERE split = 'train'")
    run = read_sql("SELECT status, kind FROM training_runs WHERE training_run_id = 'rubric_grpo/grpo'")
    assert run.rows() == [("succeeded", "grpo")]
    assert scalar("SELECT count(*) FROM training_metrics WHERE training_run_id = 'rubric_grpo/grpo' "
                  "AND name = 'grpo/reward'") >= 1
    # Two stages: SFT on distilled code lines (loss per step), then GRPO from its weights.
    assert scalar("SELECT count(*) FROM training_metrics WHERE training_run_id = 'rubric_grpo/grpo' "
                  "AND name = 'sft/loss'") >= 2

    counts = {t: scalar(f"SELECT count(*) FROM {t}") for t in
              ("rubric_pairs", "rubrics", "rubric_scores", "rubric_totals", "rubric_rewards", "eval_metrics")}
    assert materialize(RUBRIC_ASSETS[:4]).success
    assert {t: scalar(f"SELECT count(*) FROM {t}") for t in counts} == counts


def test_bad_records_are_quarantined_and_good_ones_kept(warehouse, tmp_path):
    import dagster as dg

    from assets.rubrics import rubric_preference_pairs
    from pipelines.resources import WarehouseResource
    from warehouse.readers import read_sql

    path = tmp_path / "mine.jsonl"
    path.write_text("\n".join([
        json.dumps({"query": "Tips for sleep?", "answer_a": "Keep a routine.", "answer_b": "Drink wine.", "preferred": "a"}),
        '{"query": "broken',
        json.dumps({"query": "q", "answer_a": "same", "answer_b": "same", "preferred": "b"}),
        json.dumps({"query": "q2", "answer_a": "", "answer_b": "x", "preferred": "b"}),
        json.dumps({"query": "q3", "answer_a": "x", "answer_b": "y"}),
        json.dumps({"query": "怎么学习machine learning?", "chosen": "先学Python基础。", "rejected": "随便。"}),
    ]) + "\n", encoding="utf-8")
    config = {"ops": {"rubric_preference_pairs": {"config": {"jsonl_path": str(path)}}}}
    for _ in range(2):  # a re-run replaces, never duplicates
        assert dg.materialize([rubric_preference_pairs], run_config=config,
                              resources={"warehouse": WarehouseResource()}).success
    pairs = read_sql("SELECT query, language FROM rubric_pairs ORDER BY query")
    assert pairs.rows() == [("Tips for sleep?", "en"), ("怎么学习machine learning?", "zh")]
    q = read_sql("SELECT record_key, reason FROM quarantine WHERE asset_key = 'rubric_preference_pairs' "
                 "ORDER BY record_key")
    assert q.rows() == [
        ("mine.jsonl:2", "mine.jsonl:2: malformed JSON (Invalid control character at, column 18)"),
        ("mine.jsonl:3", "identical answers"),
        ("mine.jsonl:4", "empty answer"),
        ("mine.jsonl:5", "missing preference label: 'preferred' must be a or b"),
    ]
