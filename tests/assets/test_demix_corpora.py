"""The corpora asset with user domains: good files become domains, bad ones land in quarantine
with their reason, and too few usable domains fail the asset with a clear message."""
import json

from tests.conftest import materialize
from warehouse.readers import read_sql, scalar


def _run(domains, embedded=True):
    from assets.demix import demix_corpora

    cfg = {"ops": {"demix_corpora": {"config": {"domains": domains, "embedded": embedded}}}}
    import dagster as dg

    from pipelines.resources import WarehouseResource

    return dg.materialize([demix_corpora], run_config=cfg, resources={"warehouse": WarehouseResource()},
                          raise_on_error=False)


def test_user_domains_and_quarantine(tmp_path):
    good = tmp_path / "faq.jsonl"
    good.write_text("\n".join(json.dumps({"text": f"Frequently asked question number {i}. " * 8})
                              for i in range(120)) + "\n{broken\n")
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    result = _run([f"faq={good}", f"nothing={empty}", f"gone={tmp_path / 'missing.parquet'}", f"code={good}"])
    assert result.success
    doms = read_sql("SELECT domain, split, n_docs, n_tokens FROM demix_domains ORDER BY domain, split")
    assert doms["domain"].unique().sort().to_list() == ["code", "faq", "math", "prose"]
    faq = {r["split"]: r for r in doms.filter(doms["domain"] == "faq").to_dicts()}
    assert faq["train"]["n_docs"] + faq["held_out"]["n_docs"] == 120
    assert all(r["n_tokens"] > 0 for r in doms.to_dicts())
    reasons = sorted(read_sql("SELECT reason FROM quarantine")["reason"])
    assert len(reasons) == 4
    assert any("duplicate domain name 'code'" in r for r in reasons)
    assert any("no usable text" in r for r in reasons)
    assert any("does not exist" in r for r in reasons)
    assert any(r.startswith("invalid JSON") for r in reasons)
    # re-run: rows replaced, not added
    n = scalar("SELECT count(*) FROM demix_domains")
    assert _run([f"faq={good}"]).success
    assert scalar("SELECT count(*) FROM demix_domains") == n
    assert scalar("SELECT count(*) FROM quarantine") == 1  # only the broken JSONL line now


def test_too_few_domains_fails_clearly(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text(" ")
    result = _run([f"e={empty}"], embedded=False)
    assert not result.success
    failure = result.get_step_failure_events()[0].event_specific_data.error
    assert "at least 2 usable domains, got 0" in str(failure.message) + str(failure.cause)
    assert scalar("SELECT count(*) FROM quarantine") == 1
