"""Images branch wiring (issue #6): dedup job, evaluation job, and ``trainyard images dedup``."""

import os

import dagster as dg

from assets.images import (SHARDS, image_benchmark_set, image_copy_detection_eval, image_descriptors,
                           image_duplicates, image_reference_corpus)

ASSETS = [image_benchmark_set, image_reference_corpus, image_descriptors, image_duplicates,
          image_copy_detection_eval]
ASSET_CHECKS: list = []
images_sources_job = dg.define_asset_job(
    "images_sources_job", selection=dg.AssetSelection.assets(image_benchmark_set, image_reference_corpus))
# one run per shard partition: describing is the expensive, parallelisable step
images_descriptors_job = dg.define_asset_job(
    "images_descriptors_job", selection=dg.AssetSelection.assets(image_descriptors), partitions_def=SHARDS)
images_match_job = dg.define_asset_job("images_match_job", selection=dg.AssetSelection.assets(image_duplicates))
images_eval_job = dg.define_asset_job(
    "images_eval_job", selection=dg.AssetSelection.assets(image_copy_detection_eval))
JOBS = [images_sources_job, images_descriptors_job, images_match_job, images_eval_job]
SCHEDULES: list = []
SENSORS: list = []


def demo_plan(instance: dg.DagsterInstance) -> "list[tuple[str, str | None]]":
    """(job name, partition key) runs that ``trainyard demo`` executes for this branch."""
    return [("images_sources_job", None),
            *[("images_descriptors_job", key) for key in SHARDS.get_partition_keys()],
            ("images_match_job", None), ("images_eval_job", None)]


def cmd_images_dedup(args) -> int:
    """Dedup a benchmark folder against a reference folder; writes the warehouse tables and prints
    the decisions."""
    import dataclasses
    import sys
    from pathlib import Path

    from ops.images.dedup import EmptyReferenceSet, run_dedup
    from ops.images.descriptors import make_descriptor
    from ops.images.matching import MatchConfig
    from ops.images.sources import list_images
    from warehouse.paths import artifact_dir
    from warehouse.registry import quarantine
    from warehouse.writer import Lineage, Warehouse

    opts = {"path": args.weights} if args.descriptor == "torchscript" else {}
    desc = make_descriptor(args.descriptor, **opts)
    # background-normalised scores are margins, not cosines: without an explicit --threshold the
    # threshold is calibrated (ops/images/calibration.py); otherwise 0.95 (see docs/images.md)
    calibrate = args.target_precision if args.background and args.threshold is None else None
    cfg = MatchConfig(threshold=0.95 if args.threshold is None else args.threshold, index=args.index,
                      verify=args.verify, require_verified=args.verify, keep_below=args.keep_below,
                      candidates=args.candidates, shortlist_k=args.shortlist_k)
    work = Path(args.work_dir) if args.work_dir else artifact_dir("images", "cli")
    try:
        background = list_images(args.background) if args.background else None
        res = run_dedup(list_images(args.benchmark), list_images(args.reference), desc, work, cfg,
                        shard_size=args.shard_size, background=background, workers=args.workers,
                        calibrate=calibrate)
    except (EmptyReferenceSet, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if res.calibration is not None:
        cfg = dataclasses.replace(cfg, threshold=res.calibration.threshold)
    wh = Warehouse()
    lineage = Lineage.adhoc("images_cli")
    if res.calibration is not None:
        _record_calibration(wh, lineage, desc.name, res.calibration, work)
    wh.write("image_files", [{**i, "descriptor": desc.name, "source_key": f"{i['role']}:{i['image_id']}"}
                             for i in res.images], lineage)
    quarantine(wh, res.quarantined, lineage)
    wh.write("image_duplicate_pairs", [
        {"query_id": p.query_id, "reference_id": p.reference_id, "kind": kind, "score": p.score,
         "raw_score": p.raw_score, "n_inliers": p.n_inliers, "verified": p.verified, "threshold": cfg.threshold,
         "descriptor": desc.name, "source_key": f"{p.query_id}->{p.reference_id}"}
        for kind, p in res.scored], lineage)
    wh.write("image_decisions", [{"image_id": d.image_id, "decision": d.decision, "reason": d.reason,
                                  "cluster_id": d.cluster_id, "matched_id": d.matched_id, "score": d.score,
                                  "source_key": d.image_id} for d in res.decisions], lineage)
    for d in res.decisions:
        score = "" if d.score is None else f"{d.score:.4f}"
        print(f"{d.decision:11} {d.reason:24} {d.image_id}  {d.matched_id} {score}")
    removed = sum(d.decision == "remove" for d in res.decisions)
    if res.calibration is not None:
        c = res.calibration
        print(f"\nthreshold {c.threshold:.4f} calibrated: {c.method}; precision {c.precision:.3f} "
              f"[{c.precision_low:.3f}, {c.precision_high:.3f}], recall {c.recall:.3f} "
              f"(eval_reports suite 'image_threshold_calibration')")
    print(f"\n{removed} of {len(res.decisions)} benchmark images removed; "
          f"{len(res.quarantined)} files quarantined; tables image_duplicate_pairs / image_decisions "
          f"(asset_key = 'images_cli')")
    return 0


def _record_calibration(wh, lineage, descriptor: str, cal, work) -> None:
    """The chosen threshold and how it was chosen, as an eval report (suite
    'image_threshold_calibration') with its metrics."""
    import json

    from warehouse.registry import EvalMetric, record_eval_report

    path = work / "calibration" / "calibration.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(cal.as_dict(), indent=1))
    n_q = cal.n_copies + cal.n_distractors
    record_eval_report(wh, report_id=f"images_cli/threshold_calibration/{descriptor}", subject_kind="dataset",
                       subject=descriptor, suite="image_threshold_calibration", summary=cal.as_dict(),
                       html_path=str(path), lineage=lineage, source_key=descriptor,
                       metrics=[EvalMetric("threshold", cal.threshold, n=n_q),
                                EvalMetric("precision_at_threshold", cal.precision, n=cal.n_predicted,
                                           ci_low=cal.precision_low, ci_high=cal.precision_high),
                                EvalMetric("recall_at_threshold", cal.recall, n=cal.n_copies),
                                EvalMetric("calibration_micro_ap", cal.micro_ap, n=cal.n_copies),
                                EvalMetric("target_precision", cal.target_precision)])


def add_cli(subparsers) -> dict:
    from pipelines.cli_grammar import add_branch, add_verb

    sub = add_branch(subparsers, "images", help="image benchmark decontamination", dest="images_command")
    p = add_verb(sub, "dedup", help="remove copies of reference images from a benchmark image set",
                 example="trainyard images dedup --benchmark path/to/benchmark_images "
                         "--reference path/to/reference_images\n"
                         "trainyard images dedup --benchmark b/ --reference r/ --descriptor torchscript "
                         "--weights sscd.torchscript.pt --verify")
    p.add_argument("--benchmark", required=True, help="folder, glob, .parquet or .jsonl of benchmark images")
    p.add_argument("--reference", required=True, help="folder, glob, .parquet or .jsonl of reference images")
    p.add_argument("--descriptor", default="rootsift", choices=["rootsift", "torchscript"])
    p.add_argument("--weights", default="", help="TorchScript file for --descriptor torchscript")
    p.add_argument("--threshold", type=float, default=None,
                   help="score threshold (default 0.95; with --background: calibrated, see --target-precision)")
    p.add_argument("--index", default="flat", choices=["flat", "hnsw"])
    p.add_argument("--background", default="", help="background images for ISC21 score normalisation (torchscript)")
    p.add_argument("--target-precision", type=float, default=0.99,
                   help="with --background and no --threshold: calibrate the threshold for this precision on "
                        "transformed copies of references vs held-out background images")
    p.add_argument("--candidates", default="auto", choices=["auto", "shortlist", "exhaustive"],
                   help="rootsift: verify only a VLAD/FAISS shortlist of --shortlist-k references per image "
                        "(auto: when the reference side has more images than that), or every pair")
    p.add_argument("--shortlist-k", type=int, default=10)
    p.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1),
                   help="processes describing images (default: up to 2)")
    p.add_argument("--verify", action="store_true",
                   help="torchscript: keep only candidate pairs that pass RootSIFT+RANSAC verification")
    p.add_argument("--keep-below", type=float, default=0.0,
                   help="also export pairs scoring from this value up to the threshold to image_duplicate_pairs "
                        "(score curves); decisions still use --threshold")
    p.add_argument("--shard-size", type=int, default=64)
    p.add_argument("--work-dir", default="", help="where descriptor shards go (default: artifacts/images/cli)")
    return {"images": cmd_images_dedup}
