"""The spine's lineage slice: embedded corpus → statistics → tiny LM run → evaluation report."""

import dataclasses
import json
import math

import dagster as dg
import polars as pl

from assets.lineage import content_version, lineage_of, report_metadata, with_data_version
from ops.corpus import Document, corpus_statistics, embedded_corpus, split_held_out
from ops.profiles import pick
from pipelines.resources import WarehouseResource
from warehouse.paths import artifact_dir

GROUP = "spine"


def _corpus_path():
    return artifact_dir("spine") / "raw_corpus.parquet"


def load_corpus() -> list[Document]:
    frame = pl.read_parquet(_corpus_path())
    return [Document(**row) for row in frame.select("doc_id", "origin", "path", "text").iter_rows(named=True)]


@dg.asset(group_name=GROUP, code_version="1",
          description="Embedded default corpus (stdlib sources of the running Python + the project's prose). "
                      "corpus_documents: one row per document (origin, path, characters, lines); view "
                      "corpus_texts: the texts, from the Parquet file under the artifacts.")
def raw_corpus(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from ops.corpus_lm import SIZES

    docs = embedded_corpus(pick(SIZES)["stdlib_files"])
    frame = pl.DataFrame([dataclasses.asdict(d) for d in docs])
    frame.write_parquet(_corpus_path())
    version = content_version(*(d.sha256 for d in docs))
    lineage = with_data_version(lineage_of(context), version)
    wh = warehouse.get()
    rows = [{"doc_id": d.doc_id, "origin": d.origin, "path": d.path, "n_chars": len(d.text),
             "n_lines": d.text.count("\n") + 1, "sha256": d.sha256, "source_key": d.doc_id}
            for d in docs]
    wh.write("corpus_documents", rows, lineage)
    wh.create_parquet_view("corpus_texts", _corpus_path())
    return dg.MaterializeResult(
        data_version=dg.DataVersion(version),
        metadata={"documents": len(docs), "parquet": dg.MetadataValue.path(str(_corpus_path()))},
    )


@dg.asset(group_name=GROUP, code_version="1", deps=[raw_corpus],
          description="corpus_stats: one row per origin with its document, character, line and token counts.")
def corpus_stats(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    stats = corpus_statistics(load_corpus())
    lineage = lineage_of(context, content_version(stats))
    warehouse.get().write("corpus_stats", [{**s, "source_key": f"origin:{s['origin']}"} for s in stats], lineage)
    from ops.report import Table, markdown_table

    table = Table("Corpus by origin", list(stats[0]) if stats else [], [list(s.values()) for s in stats])
    return dg.MaterializeResult(metadata={"origins": dg.MetadataValue.md(markdown_table(table))})


@dg.asset(group_name=GROUP, code_version="1", deps=[raw_corpus],
          op_tags={"trainyard/accelerator": "gpu"},  # a GPU step on k8s (pipelines/k8s.py)
          description="Tiny Llama-style LM trained on the corpus with the shared model factory. training_runs: "
                      "one row for the run (config, device, status, checkpoint); training_metrics: its loss "
                      "and learning rate per step and its validation loss.")
def corpus_lm(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from ops.corpus_lm import SIZES, train_corpus_lm
    from ops.lm.model import ModelConfig, pick_device
    from warehouse.registry import TrainingRun, recorded_training_run, run_id_for

    sizes = pick(SIZES)
    train_docs, held_docs = split_held_out(load_corpus())
    lineage = lineage_of(context)
    wh = warehouse.get()
    model_cfg = ModelConfig()
    run = TrainingRun(
        training_run_id=run_id_for(lineage, "lm"), kind="lm_pretrain", base_model="llama-tiny(random)",
        dataset_asset="raw_corpus", source_key="raw_corpus", device=pick_device(sizes["train"].device),
        config={"model": dataclasses.asdict(model_cfg), "train": dataclasses.asdict(sizes["train"]),
                "vocab": sizes["vocab"]},
    )
    with recorded_training_run(wh, run, lineage) as metrics:
        out = train_corpus_lm(train_docs, held_docs, artifact_dir("spine", "corpus_lm"), sizes["vocab"],
                              sizes["train"], model_cfg, lambda s, n, v: metrics.append((s, n, v)))
        run.output_checkpoint = str(out.checkpoint)
    return dg.MaterializeResult(metadata={
        "training_run_id": run.training_run_id, "val_loss": out.result.val_loss,
        "tokens_per_s": out.result.tokens_per_s, "checkpoint": dg.MetadataValue.path(str(out.checkpoint)),
    })


@dg.asset(group_name=GROUP, code_version="1", deps=[corpus_stats, corpus_lm],
          description="Evaluation report (HTML) on the corpus and the tiny LM. eval_reports: one row (summary, "
                      "HTML path); eval_metrics: documents, held-out loss and perplexity.")
def corpus_report(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from ops.report import Plot, Table, render_report
    from warehouse.readers import read_sql
    from warehouse.registry import EvalMetric, record_eval_report, run_id_for

    wh = warehouse.get()
    lineage = lineage_of(context)
    stats = read_sql("SELECT origin, n_docs, n_chars, n_lines, n_tokens FROM corpus_stats "
                     "WHERE asset_key = 'corpus_stats' ORDER BY origin", path=wh.path)
    run_id = run_id_for(dataclasses.replace(lineage, asset_key="corpus_lm"), "lm")
    curve = read_sql("SELECT step, name, value FROM training_metrics WHERE training_run_id = ? "
                     "AND name IN ('train/loss', 'val/loss') ORDER BY step", [run_id], path=wh.path)
    train_curve = curve.filter(pl.col("name") == "train/loss")
    val = curve.filter(pl.col("name") == "val/loss")
    val_loss = float(val["value"][-1]) if val.height else float("nan")
    summary = {"documents": int(stats["n_docs"].sum()), "whitespace_tokens": int(stats["n_tokens"].sum()),
               "lm_run": run_id, "held_out_loss": val_loss, "held_out_ppl": math.exp(val_loss)}

    def draw_loss(ax):
        ax.plot(train_curve["step"].to_list(), train_curve["value"].to_list(), label="train")
        ax.plot(val["step"].to_list(), val["value"].to_list(), "o-", label="held-out")
        ax.set_xlabel("step"); ax.set_ylabel("loss (nats/token)"); ax.legend()

    def draw_sizes(ax):
        ax.bar(stats["origin"].to_list(), stats["n_tokens"].to_list())
        ax.set_ylabel("whitespace tokens")

    report_id = f"{lineage.asset_key}/corpus"
    rendered = render_report(
        artifact_dir("reports", "corpus_report"), "Embedded corpus and tiny LM", summary,
        tables=[Table("Corpus by origin", stats.columns, stats.rows())],
        plots=[Plot("loss", "Tiny LM loss", draw_loss), Plot("sizes", "Tokens per origin", draw_sizes)],
    )
    record_eval_report(
        wh, report_id=report_id, subject_kind="training_run", subject=run_id, suite="corpus_lm",
        summary=summary, html_path=str(rendered.html_path), lineage=lineage, source_key=run_id,
        metrics=[EvalMetric("held_out_loss", val_loss), EvalMetric("held_out_ppl", math.exp(val_loss)),
                 EvalMetric("documents", summary["documents"], n=summary["documents"])],
    )
    return dg.MaterializeResult(metadata=report_metadata(rendered, report_id))


SPINE_ASSETS = [raw_corpus, corpus_stats, corpus_lm, corpus_report]
