"""``trainyard demix study`` wiring: arguments become the corpora asset's run config, and the
job and its asset check are registered in the one Definitions object."""
import argparse


def test_study_arguments_become_run_config():
    from pipelines.demix import add_cli, study_run_config

    parser = argparse.ArgumentParser()
    handlers = add_cli(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["demix", "study", "--no-embedded", "--profile", "tiny", "--corpora", "a=x.txt", "y.jsonl"])
    assert set(handlers) == {"demix"} and args.profile == "tiny" and args.no_embedded
    cfg = study_run_config(args.corpora, not args.no_embedded)
    assert cfg == {"ops": {"demix_corpora": {"config": {"domains": ["a=x.txt", "y.jsonl"], "embedded": False}}}}


def test_job_and_check_registered():
    from pipelines.definitions import defs

    job = defs.resolve_job_def("demix_job")
    nodes = set(job.graph.node_dict)
    assert {"demix_corpora", "demix_components", "demix_fidelity", "demix_search", "demix_final",
            "demix_fidelity_demix_fidelity_check"} <= nodes
