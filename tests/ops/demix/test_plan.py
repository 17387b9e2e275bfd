"""The study plan: equal token budgets, RegMix at the components' compute, replay weights."""
import pytest

from ops.demix.sizes import SIZES, Variant
from ops.demix.study import plan_base, plan_components, plan_fidelity, plan_regmix
from ops.demix.training import component_weights


def test_component_weights_with_replay():
    assert component_weights(1, 3, 0.0) == [0, 1, 0]
    assert component_weights(0, 4, 0.5) == pytest.approx([0.625, 0.125, 0.125, 0.125])


def test_plans_share_budgets(tmp_path):
    s = SIZES["demo"]
    names = ["code", "prose", "math"]
    assert plan_base(names, s).init is None and plan_base(names, s).weights == pytest.approx((1 / 3,) * 3)
    comps = plan_components(names, s, Variant("r", replay=0.3, lr_scale=0.5, steps_scale=0.5), tmp_path)
    assert {c.steps for c in comps} == {s.component_steps // 2}
    assert {c.lr for c in comps} == {s.lr * 0.5} and {c.init for c in comps} == {str(tmp_path)}
    assert comps[2].weights == pytest.approx((0.1, 0.1, 0.8))
    fid = plan_fidelity(names, s, tmp_path)
    assert len(fid) == s.fidelity_k * s.fidelity_seeds and s.fidelity_k >= 24
    assert {f.steps for f in fid} == {s.component_steps}
    assert len({f.weights for f in fid}) == s.fidelity_k
    # common random numbers: every mixture gets the same seeds
    seeds = {}
    for f in fid:
        seeds.setdefault(f.weights, set()).add(f.seed)
    assert all(v == set(range(100, 100 + s.fidelity_seeds)) for v in seeds.values()) and s.fidelity_seeds >= 2
    reg = plan_regmix(names, s, tmp_path)
    # equal compute: RegMix runs together cost what the plain components cost
    assert len(reg) * reg[0].steps == pytest.approx(len(names) * s.component_steps, rel=0.1)
