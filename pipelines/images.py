"""Images branch wiring (issue #6): dedup job, evaluation job, and ``trainyard images dedup``."""

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
    from pathlib import Path

    import sys

    from ops.images.dedup import EmptyReferenceSet, run_dedup
    from ops.images.descriptors import make_descriptor
    from ops.images.matching import MatchConfig
    from ops.images.sources import list_images
    from warehouse.paths import artifact_dir
    from warehouse.registry import quarantine
    from warehouse.writer import Lineage, Warehouse

    opts = {"path": args.weights} if args.descriptor == "torchscript" else {}
    desc = make_descriptor(args.descriptor, **opts)
    cfg = MatchConfig(threshold=args.threshold, index=args.index, verify=args.verify,
                      require_verified=args.verify, keep_below=args.keep_below)
    work = Path(args.work_dir) if args.work_dir else artifact_dir("images", "cli")
    try:
        background = list_images(args.background) if args.background else None
        res = run_dedup(list_images(args.benchmark), list_images(args.reference), desc, work, cfg,
                        shard_size=args.shard_size, background=background)
    except (EmptyReferenceSet, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    wh = Warehouse()
    lineage = Lineage.adhoc("images_cli")
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
    print(f"\n{removed} of {len(res.decisions)} benchmark images removed; "
          f"{len(res.quarantined)} files quarantined; tables image_duplicate_pairs / image_decisions "
          f"(asset_key = 'images_cli')")
    return 0


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
    p.add_argument("--threshold", type=float, default=0.95)
    p.add_argument("--index", default="flat", choices=["flat", "hnsw"])
    p.add_argument("--background", default="", help="background images for ISC21 score normalisation (torchscript)")
    p.add_argument("--verify", action="store_true",
                   help="torchscript: keep only candidate pairs that pass RootSIFT+RANSAC verification")
    p.add_argument("--keep-below", type=float, default=0.0,
                   help="also export pairs scoring from this value up to the threshold to image_duplicate_pairs "
                        "(score curves); decisions still use --threshold")
    p.add_argument("--shard-size", type=int, default=64)
    p.add_argument("--work-dir", default="", help="where descriptor shards go (default: artifacts/images/cli)")
    return {"images": cmd_images_dedup}
