"""Image dedup assets (issue #6): benchmark set + reference corpus → descriptors → duplicate pairs,
clusters and decisions; and the copy-detection evaluation report. Logic lives in ops/images."""

import json

import dagster as dg
import polars as pl

from assets.lineage import content_version, lineage_of, report_metadata, with_data_version
from ops.profiles import pick
from pipelines.resources import WarehouseResource
from warehouse.paths import artifact_dir

GROUP = "images"
# Per-profile sizes: embedded set, SIFT budget, evaluation set.
SIZES = {
    "tiny": {"n_reference": 8, "n_planted": 4, "n_novel": 3, "n_features": 300, "max_side": 384,
             "eval_photos": 8, "copies": 1},
    "demo": {"n_reference": 14, "n_planted": 6, "n_novel": 5, "n_features": 600, "max_side": 640,
             "eval_photos": 20, "copies": 2},
}


class ImageSetConfig(dg.Config):
    source: str = ""        # folder, glob, .parquet or .jsonl of paths; "" = embedded skimage default


class DescriptorConfig(dg.Config):
    descriptor: str = "rootsift"   # rootsift (offline default) | torchscript
    weights: str = ""              # local TorchScript file for descriptor=torchscript
    shard_size: int = 64           # images per descriptor shard (bounds memory)


class MatchingConfig(dg.Config):
    threshold: float = 0.95        # meaning per descriptor: docs/images.md
    index: str = "flat"            # flat (exact) | hnsw (approximate)
    candidates: str = "auto"       # rootsift: auto | shortlist (VLAD/FAISS top-k, then keypoints) | exhaustive
    shortlist_k: int = 10          # references verified per benchmark image when shortlisting


def _listing(role: str, source: str) -> list[tuple[str, str]]:
    from ops.images.sources import list_images, write_embedded

    if source:
        return list_images(source)
    s = pick(SIZES)
    embedded = write_embedded(artifact_dir("images", "embedded"), s["n_reference"], s["n_planted"], s["n_novel"],
                              roles=(role,))
    if role == "benchmark":
        (artifact_dir("images") / "embedded_truth.json").write_text(json.dumps(
            {"planted": embedded["planted"], "within_benchmark": embedded["within_benchmark"]}, indent=1))
    return list_images(embedded[role])


def _write_listing(context, role: str, source: str) -> dg.MaterializeResult:
    images = _listing(role, source)
    path = artifact_dir("images") / f"{role}_listing.parquet"
    pl.DataFrame({"image_id": [i for i, _ in images], "path": [p for _, p in images]},
                 schema={"image_id": pl.Utf8, "path": pl.Utf8}).write_parquet(path)
    version = content_version(images)
    return dg.MaterializeResult(data_version=dg.DataVersion(version), metadata={
        "images": len(images), "source": source or "embedded skimage samples", "listing": dg.MetadataValue.path(str(path))})


def read_listing(role: str) -> list[tuple[str, str]]:
    frame = pl.read_parquet(artifact_dir("images") / f"{role}_listing.parquet")
    return list(zip(frame["image_id"].to_list(), frame["path"].to_list()))


@dg.asset(group_name=GROUP, code_version="1",
          description="Benchmark images to decontaminate: a listing (image id, path) in the artifacts; no "
                      "warehouse table until image_descriptors.")
def image_benchmark_set(context: dg.AssetExecutionContext, config: ImageSetConfig) -> dg.MaterializeResult:
    return _write_listing(context, "benchmark", config.source)


@dg.asset(group_name=GROUP, code_version="1",
          description="Reference corpus the benchmark is checked against: a listing (image id, path) in the "
                      "artifacts; no warehouse table until image_descriptors.")
def image_reference_corpus(context: dg.AssetExecutionContext, config: ImageSetConfig) -> dg.MaterializeResult:
    return _write_listing(context, "reference", config.source)


def _descriptor(cfg: DescriptorConfig):
    from ops.images.descriptors import make_descriptor

    if cfg.descriptor == "torchscript":
        return make_descriptor("torchscript", path=cfg.weights)
    s = pick(SIZES)
    return make_descriptor(cfg.descriptor, n_features=s["n_features"], max_side=s["max_side"])


N_SHARDS = 4
SHARDS = dg.StaticPartitionsDefinition([f"shard-{i:02d}" for i in range(N_SHARDS)])


def _staged_descriptors_key(context) -> str:
    """Artifact key of one run's describe result (describe step → write step; both compute it)."""
    return f"images/staged_descriptors/{context.partition_key}/{context.run_id}.pkl"


@dg.op(ins={"benchmark": dg.In(dg.Nothing), "reference": dg.In(dg.Nothing)}, out=dg.Out(dg.Nothing),
       description="Describe one shard's images into Parquet descriptor files (no pool: shards describe "
                   "concurrently); the rows for the warehouse are staged for the write step.")
def image_descriptors_describe(context: dg.OpExecutionContext, config: DescriptorConfig) -> None:
    import pickle

    from ops.images.dedup import describe_all, stable_shard
    from warehouse.artifact_store import artifact_store

    part = context.partition_key
    k = int(part.split("-")[1])
    mine = lambda items: [(i, p) for i, p in items if stable_shard(i, N_SHARDS) == k]  # noqa: E731
    desc = _descriptor(config)
    work = artifact_dir("images", "descriptors")
    images, bad = describe_all(mine(read_listing("benchmark")), mine(read_listing("reference")), desc, work,
                               config.shard_size, prefix=f"{part}-")
    artifact_store().put_bytes(_staged_descriptors_key(context), pickle.dumps(
        {"descriptor": config.model_dump(), "name": desc.name, "images": images, "bad": bad}))


@dg.op(ins={"described": dg.In(dg.Nothing)}, out=dg.Out(dg.Nothing),
       description="Write one shard's image_files and quarantine rows and its state file.")
def image_descriptors_write(context: dg.OpExecutionContext, warehouse: WarehouseResource):
    import pickle

    from warehouse.artifact_store import artifact_store
    from warehouse.registry import quarantine

    part = context.partition_key
    store, key = artifact_store(), _staged_descriptors_key(context)
    staged = pickle.loads(store.get_bytes(key))
    images, bad, name = staged["images"], staged["bad"], staged["name"]
    work = artifact_dir("images", "descriptors")
    lineage = with_data_version(lineage_of(context), content_version(images, bad))
    wh = warehouse.get()
    wh.write("image_files", [{**i, "descriptor": name, "source_key": f"{i['role']}:{i['image_id']}"}
                             for i in images], lineage)
    quarantine(wh, bad, lineage)
    (work / f"state-{part}.json").write_text(json.dumps({"descriptor": staged["descriptor"], "images": images,
                                                         "bad": bad}))
    if any((work / "reference").glob("shard-*.parquet")):  # DuckDB refuses a view over no files
        wh.create_parquet_view("image_descriptor_rows", work / "reference" / "shard-*.parquet")
    store.delete(key)
    return dg.Output(None, metadata={"images": len(images), "quarantined": len(bad),
                                     "descriptor": name, "shards": dg.MetadataValue.path(str(work))})


@dg.graph_asset(group_name=GROUP, code_version="1", partitions_def=SHARDS,
                ins={"image_benchmark_set": dg.AssetIn(dagster_type=dg.Nothing),
                     "image_reference_corpus": dg.AssetIn(dagster_type=dg.Nothing)},
                description="Copy-detection descriptors, one partition per hash shard of image ids (Parquet "
                            "files keyed by image id, sub-sharded by shard_size). image_files: one row per "
                            "image (role, path, size, original mode, normalisations, descriptor vectors); "
                            "unreadable files go to quarantine with the reason; view image_descriptor_rows "
                            "over the Parquet files. Two steps: describe (no pool, so shards describe "
                            "concurrently) and write.")
def image_descriptors(image_benchmark_set, image_reference_corpus):
    return image_descriptors_write(image_descriptors_describe(benchmark=image_benchmark_set,
                                                              reference=image_reference_corpus))


@dg.asset(group_name=GROUP, code_version="1", deps=[image_descriptors],
          description="FAISS matching at the threshold, then union-find clusters. "
                      "image_duplicate_pairs: one row per matched pair (query, reference, score, "
                      "inliers, kind); image_decisions: one row per benchmark image (keep/remove, reason, "
                      "cluster, match).")
def image_duplicates(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                     config: MatchingConfig) -> dg.MaterializeResult:
    from ops.images.dedup import match_all
    from ops.images.matching import MatchConfig

    work = artifact_dir("images", "descriptors")
    states = [json.loads((work / f"state-{p}.json").read_text()) for p in SHARDS.get_partition_keys()
              if (work / f"state-{p}.json").exists()]
    if len(states) != N_SHARDS:
        raise RuntimeError(f"image_descriptors has {len(states)} of {N_SHARDS} shards materialised")
    if len({json.dumps(st["descriptor"], sort_keys=True) for st in states}) > 1:
        raise RuntimeError("image_descriptors shards were computed with different descriptor configs")
    desc = _descriptor(DescriptorConfig(**states[0]["descriptor"]))
    images = [i for st in states for i in st["images"]]
    bad = [tuple(b) for st in states for b in st["bad"]]
    bench_ids = [i for i, _ in read_listing("benchmark")]
    cfg = MatchConfig(threshold=config.threshold, index=config.index, candidates=config.candidates,
                      shortlist_k=config.shortlist_k)
    pairs, self_pairs, decisions = match_all(desc, work, bench_ids, images, bad, cfg)
    lineage = lineage_of(context, content_version([vars(p) for p in pairs + self_pairs]))
    wh = warehouse.get()
    rows = [{"query_id": p.query_id, "reference_id": p.reference_id, "kind": kind, "score": p.score,
             "raw_score": p.raw_score, "n_inliers": p.n_inliers, "verified": p.verified,
             "threshold": cfg.threshold, "descriptor": desc.name, "source_key": f"{p.query_id}->{p.reference_id}"}
            for kind, ps in (("against_reference", pairs), ("within_benchmark", self_pairs)) for p in ps]
    wh.write("image_duplicate_pairs", rows, lineage)
    wh.write("image_decisions", [{"image_id": d.image_id, "decision": d.decision, "reason": d.reason,
                                  "cluster_id": d.cluster_id, "matched_id": d.matched_id, "score": d.score,
                                  "source_key": d.image_id} for d in decisions], lineage)
    counts = pl.DataFrame([{"decision": d.decision, "reason": d.reason} for d in decisions]).group_by(
        "decision", "reason").len().sort("decision", "reason") if decisions else pl.DataFrame()
    from ops.report import Table, markdown_table

    table = Table("Decisions", counts.columns, counts.rows()) if counts.height else Table("Decisions", [], [])
    return dg.MaterializeResult(metadata={
        "pairs_against_reference": len(pairs), "pairs_within_benchmark": len(self_pairs),
        "removed": sum(d.decision == "remove" for d in decisions),
        "decisions": dg.MetadataValue.md(markdown_table(table))})


class CopyEvalConfig(dg.Config):
    source: str = ""          # folder/glob of real photographs; "" = embedded skimage photos
    threshold: float = 0.95


@dg.asset(group_name=GROUP, code_version="1",
          description="DISC21-like copy-detection evaluation of the offline descriptor: µAP, P/R at the "
                      "threshold, PR curve and score histograms. image_copy_eval_pairs: one row per scored "
                      "(generated copy or distractor, reference) pair; eval_reports / eval_metrics: the "
                      "report and µAP, precision and recall.")
def image_copy_detection_eval(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                              config: CopyEvalConfig) -> dg.MaterializeResult:
    from ops.images.copy_eval import evaluate_copy_detection, split_sources
    from ops.images.descriptors import make_descriptor
    from ops.images.loading import BadImage, load_image
    from ops.images.matching import MatchConfig
    from ops.images.sources import list_images, skimage_photos
    from ops.report import Plot, Table, draw_score_hist, render_report, wilson_ci
    from warehouse.registry import EvalMetric, record_eval_report

    s = pick(SIZES)
    if config.source:
        photos = {}
        for image_id, path in list_images(config.source):
            try:
                photos[image_id] = load_image(path).image
            except BadImage:
                continue
    else:
        photos = dict(sorted(skimage_photos().items())[: s["eval_photos"]])
    sources, distractors = split_sources(photos)
    desc = make_descriptor("rootsift", n_features=s["n_features"], max_side=s["max_side"])
    cfg = MatchConfig(threshold=config.threshold)
    ev = evaluate_copy_detection(sources, distractors, desc, artifact_dir("images", "copy_eval"), cfg,
                                 copies_per_source=s["copies"])
    lineage = lineage_of(context)
    wh = warehouse.get()
    wh.write("image_copy_eval_pairs", [
        {"query_id": p.query_id, "reference_id": p.reference_id,
         "is_copy": ev.ground_truth.get(p.query_id) == p.reference_id,
         "transforms": "+".join(ev.transforms.get(p.query_id, [])), "score": p.score, "n_inliers": p.n_inliers,
         "source_key": f"{p.query_id}->{p.reference_id}"} for p in ev.pairs], lineage)
    # precision and recall at the threshold are proportions: Wilson intervals
    p_ci = wilson_ci(round(ev.precision_at * ev.n_predicted_at), ev.n_predicted_at)
    r_ci = wilson_ci(round(ev.recall_at * ev.curve.n_gt), ev.curve.n_gt)
    summary = {"descriptor": desc.name, "micro_ap": ev.curve.micro_ap, "threshold": cfg.threshold,
               "precision_at_threshold": ev.precision_at, "precision_ci95_wilson": list(p_ci),
               "recall_at_threshold": ev.recall_at, "recall_ci95_wilson": list(r_ci),
               "references": ev.n_references, "queries": ev.n_queries, "copies": ev.curve.n_gt,
               "describe_s": round(ev.seconds_describe, 2), "match_s": round(ev.seconds_match, 2),
               "candidates": "shortlist" if ev.micro_ap_exhaustive is not None else "exhaustive",
               "micro_ap_exhaustive_candidates": ev.micro_ap_exhaustive}
    copy_scores = [p.score for p in ev.pairs if ev.ground_truth.get(p.query_id) == p.reference_id]
    other_scores = [p.score for p in ev.pairs if ev.ground_truth.get(p.query_id) != p.reference_id]

    def draw_pr(ax):
        ax.plot(ev.curve.recall, ev.curve.precision)
        ax.set_xlabel("recall"); ax.set_ylabel("precision"); ax.set_xlim(0, 1); ax.set_ylim(0, 1.05)

    def draw_hist(ax):
        draw_score_hist(ax, {"copies": copy_scores, "non-copies": other_scores}, cfg.threshold)

    by_t = ev.recall_by_transform(cfg.threshold)
    report_id = f"{lineage.asset_key}/copy_detection"
    rendered = render_report(
        artifact_dir("reports", "image_copy_detection_eval"), "Image copy detection (DISC21-like)", summary,
        tables=[Table("Recall at threshold by transform (95% Wilson)", ["transform", "found", "copies", "recall",
                                                                       "ci_low", "ci_high"],
                      [[k, a, b, a / b if b else float("nan"), *wilson_ci(a, b)] for k, (a, b) in by_t.items()])],
        plots=[Plot("pr_curve", "Precision-recall (µAP)", draw_pr),
               Plot("score_hist", "Scores: copies vs non-copies", draw_hist)])
    record_eval_report(wh, report_id=report_id, subject_kind="dataset", subject=desc.name, suite="image_copy_detection",
                       summary=summary, html_path=str(rendered.html_path), lineage=lineage, source_key=desc.name,
                       metrics=[EvalMetric("micro_ap", ev.curve.micro_ap, n=ev.curve.n_gt),
                                *([EvalMetric("micro_ap_exhaustive_candidates", ev.micro_ap_exhaustive, n=ev.curve.n_gt)]
                                  if ev.micro_ap_exhaustive is not None else []),
                                EvalMetric("precision_at_threshold", ev.precision_at, n=ev.n_predicted_at,
                                           ci_low=p_ci[0], ci_high=p_ci[1]),
                                EvalMetric("recall_at_threshold", ev.recall_at, n=ev.curve.n_gt,
                                           ci_low=r_ci[0], ci_high=r_ci[1])])
    return dg.MaterializeResult(metadata=report_metadata(rendered, report_id))


IMAGE_ASSETS = [image_benchmark_set, image_reference_corpus, image_descriptors, image_duplicates,
                image_copy_detection_eval]
