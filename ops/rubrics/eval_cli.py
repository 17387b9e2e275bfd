"""The ``trainyard rubrics-eval`` study: split a preference file by query, fit ``learned`` on the
train part, score every generator's rubrics on the held-out part, print the metrics with 95%
bootstrap CIs and record them as an evaluation report."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Sequence


def run_eval(path: Path, kind: str = "hh-rlhf", test_fraction: float = 0.3,
             generators: Sequence[str] = ("generic", "template", "learned"), limit: int = 0, seed: int = 0,
             criteria_bank: Path | None = None) -> int:
    from ops.report import Table, render_report
    from ops.rubrics.pairs import dedupe, read_generic_jsonl, read_hh_rlhf, split_pairs
    from ops.rubrics.study import compare_generators, metric_rows
    from warehouse.paths import artifact_dir
    from warehouse.registry import EvalMetric, quarantine, record_eval_report
    from warehouse.writer import Lineage, Warehouse

    t0 = time.perf_counter()
    pairs, rejects = read_hh_rlhf(path) if kind == "hh-rlhf" else read_generic_jsonl(path)
    pairs = dedupe(pairs)[: limit or None]
    train, test = split_pairs(pairs, test_fraction, seed)
    print(f"{path.name}: {len(pairs)} pairs ({len(rejects)} rejected), train {len(train)}, held-out {len(test)}")
    backend = None
    if "llm" in generators:
        from ops.llm.factory import make_backend

        backend = make_backend()
    bank = []
    if criteria_bank is not None:
        from ops.rubrics.rubric import load_criteria_bank

        bank, bank_rejects = load_criteria_bank(criteria_bank)
        print(f"criteria bank {criteria_bank.name}: {len(bank)} rubrics ({len(bank_rejects)} rejected)")
    evals, model = compare_generators(train, test, generators, backend=backend, criteria_bank=bank)
    rows = metric_rows(evals)
    print(f"{'generator':10} {'source':14} {'lang':5} {'metric':9} {'value':>7}  95% CI            n")
    for r in rows:
        print(f"{r['generator']:10} {r['source'][:14]:14} {r['language']:5} {r['metric']:9} {r['value']:7.3f}  "
              f"[{r['ci_low']:.3f}, {r['ci_high']:.3f}]  {r['n']}")
    if model is not None:
        print(f"learned: C={model.chosen_c} (cross-validated accuracy on train {model.cv_accuracy:.3f}), "
              f"{len(model.candidates)} candidate criteria")
    acc = {r["generator"]: r["value"] for r in rows if r["source"] == "all" and r["metric"] == "accuracy"}
    if "learned" in acc and "generic" in acc:
        print(f"learned − generic accuracy: {100 * (acc['learned'] - acc['generic']):+.1f} points")
    lineage = Lineage.adhoc("rubrics_eval")
    wh = Warehouse()
    report_id = f"rubrics_eval/{path.name}/test{test_fraction}/seed{seed}"
    summary = {f"accuracy_{g}": v for g, v in acc.items()}
    summary.update({"file": str(path), "train_pairs": len(train), "held_out_pairs": len(test),
                    "seconds": round(time.perf_counter() - t0, 1)})
    rendered = render_report(artifact_dir("reports", "rubrics_eval"), f"Rubric generators on {path.name}", summary,
                             tables=[Table("Held-out metrics", list(rows[0]), [list(r.values()) for r in rows])])
    record_eval_report(wh, report_id=report_id, subject_kind="dataset", subject=str(path), suite="rubrics_eval",
                       summary=summary, html_path=str(rendered.html_path), lineage=lineage, source_key=str(path),
                       metrics=[EvalMetric(f"{r['metric']}/{r['generator']}/{r['source']}/{r['language']}", r["value"],
                                           r["n"], r["ci_low"], r["ci_high"]) for r in rows])
    if rejects:
        quarantine(wh, [(r.record_key, r.reason, r.record) for r in rejects], lineage)
    print(f"report: {rendered.html_path}  ({summary['seconds']} s)")
    return 0
