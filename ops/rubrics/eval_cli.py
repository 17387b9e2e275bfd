"""The ``trainyard rubrics eval`` study (alias ``rubrics-eval``).

Either ``--train FILE --test FILE`` (query-disjoint, checked) or one file split by query per seed.
For each seed: fit ``learned`` on the train pairs, score every generator's rubrics on the held-out
pairs, fit the free baselines (``ops.rubrics.evaluation``), then print mean ± sd over seeds and
paired bootstrap intervals of the target minus every other method, and record it all as an
evaluation report (``eval_reports`` / ``eval_metrics``)."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Sequence


def load_pairs(path: Path):
    """hh-rlhf dialogues or generic preference JSONL, told apart by the first record."""
    from ops.rubrics.pairs import dedupe, iter_jsonl, read_generic_jsonl, read_hh_rlhf

    kind = "jsonl"
    for _, obj, err in iter_jsonl(path):
        if not err and isinstance(obj, dict) and "\n\nHuman:" in str(obj.get("chosen", "")) \
                and "query" not in obj and "prompt" not in obj:
            kind = "hh-rlhf"
        break
    pairs, rejects = read_hh_rlhf(path) if kind == "hh-rlhf" else read_generic_jsonl(path)
    return dedupe(pairs), rejects, kind


def run_eval(path: Path | None = None, kind: str | None = None, test_fraction: float = 0.3,
             generators: Sequence[str] = ("generic", "template", "learned"), limit: int = 0, seed: int = 0,
             criteria_bank: Path | None = None, train_path: Path | None = None, test_path: Path | None = None,
             seeds: int = 1, target: str = "learned", n_boot: int = 2000) -> int:
    from ops.report import Table, render_report
    from ops.rubrics.evaluation import DisjointError, check_disjoint, evaluate
    from ops.rubrics.pairs import split_pairs
    from warehouse.paths import artifact_dir
    from warehouse.registry import EvalMetric, quarantine, record_eval_report
    from warehouse.writer import Lineage, Warehouse

    t0 = time.perf_counter()
    rejects = []
    seed_list = list(range(seed, seed + max(1, seeds)))
    if train_path is not None or test_path is not None:
        if train_path is None or test_path is None:
            print("error: --train and --test go together")
            return 2
        train, rj1, _ = load_pairs(train_path)
        test, rj2, _ = load_pairs(test_path)
        rejects = rj1 + rj2
        train, test = train[: limit or None], test[: limit or None]
        try:
            check_disjoint(train, test)
        except DisjointError as exc:
            print(f"error: {exc}")
            return 2
        splits = [(train, test)] * len(seed_list)
        subject = f"{train_path.name}+{test_path.name}"
        print(f"train {train_path.name}: {len(train)} pairs; test {test_path.name}: {len(test)} pairs "
              f"({len(rejects)} rejected); seeds {seed_list} vary the learned model's fit")
    else:
        pairs, rejects, _ = load_pairs(path)
        pairs = pairs[: limit or None]
        splits = [split_pairs(pairs, test_fraction, s) for s in seed_list]
        subject = path.name
        print(f"{path.name}: {len(pairs)} pairs ({len(rejects)} rejected); query-disjoint "
              f"{1 - test_fraction:.0%}/{test_fraction:.0%} split per seed {seed_list}")
    bank = []
    if criteria_bank is not None:
        from ops.rubrics.rubric import load_criteria_bank

        bank, _ = load_criteria_bank(criteria_bank)
    backend = None
    if "llm" in generators:
        from ops.llm.factory import make_backend

        backend = make_backend()
    runs, summaries, diffs = evaluate(splits, generators, seed_list, target=target, criteria_bank=bank,
                                      backend=backend, n_boot=n_boot)
    print(f"\nheld-out preference accuracy over {len(runs)} seed(s) "
          f"(train {runs[0].n_train}, held-out {runs[0].n_test} pairs for seed {runs[0].seed})")
    print(f"{'method':14} {'mean':>6} {'sd':>6}  pooled 95% CI      per seed")
    for s in summaries:
        print(f"{s.method:14} {100 * s.mean:5.1f}% {100 * s.sd:5.1f}  [{100 * s.binom_low:.1f}, {100 * s.binom_high:.1f}]"
              f"  {' '.join(f'{100 * a:.1f}' for a in s.per_seed)}")
    if diffs:
        print(f"\npaired bootstrap ({n_boot} replicates), {target} minus:")
        for d in diffs:
            print(f"  {d.other:14} {100 * d.diff:+5.1f} points  95% CI [{100 * d.ci_low:+.1f}, {100 * d.ci_high:+.1f}]")
    print("\nnotes (seed %d):" % runs[0].seed)
    for m, note in runs[0].notes.items():
        print(f"  {m}: {note}")

    lineage = Lineage.adhoc("rubrics_eval")
    wh = Warehouse()
    report_id = f"rubrics_eval/{subject}/seeds{seed_list[0]}-{seed_list[-1]}"
    summary = {f"accuracy_mean_{s.method}": round(s.mean, 4) for s in summaries}
    summary.update({f"accuracy_sd_{s.method}": round(s.sd, 4) for s in summaries})
    summary.update({"subject": subject, "seeds": len(seed_list), "train_pairs": runs[0].n_train,
                    "held_out_pairs": runs[0].n_test, "seconds": round(time.perf_counter() - t0, 1)})
    metrics = [EvalMetric(f"accuracy_mean/{s.method}", s.mean, sum(r.n_test for r in runs), s.binom_low, s.binom_high)
               for s in summaries]
    metrics += [EvalMetric(f"accuracy_seed{r.seed}/{m}", float(h.mean()), r.n_test) for r in runs for m, h in r.hits.items()]
    metrics += [EvalMetric(f"accuracy_diff/{d.target}-{d.other}", d.diff, runs[0].n_test, d.ci_low, d.ci_high)
                for d in diffs]
    rendered = render_report(
        artifact_dir("reports", "rubrics_eval"), f"Rubric generators and baselines on {subject}", summary,
        tables=[Table("Held-out accuracy over seeds", ["method", "mean", "sd", "ci_low", "ci_high", "per_seed"],
                      [[s.method, s.mean, s.sd, s.binom_low, s.binom_high, " ".join(f"{a:.3f}" for a in s.per_seed)]
                       for s in summaries]),
                Table(f"Paired bootstrap: {target} minus", ["other", "diff", "ci_low", "ci_high"],
                      [[d.other, d.diff, d.ci_low, d.ci_high] for d in diffs])])
    record_eval_report(wh, report_id=report_id, subject_kind="dataset", subject=subject, suite="rubrics_eval",
                       summary=summary, html_path=str(rendered.html_path), lineage=lineage, source_key=subject,
                       metrics=metrics)
    if rejects:
        quarantine(wh, [(r.record_key, r.reason, r.record) for r in rejects], lineage)
    print(f"report: {rendered.html_path}  ({summary['seconds']} s)")
    return 0
