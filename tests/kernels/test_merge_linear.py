"""The streaming linear merge: exact values, sharding, validation, atomicity, mergekit parity."""
import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
from safetensors.torch import load_file, save_file  # noqa: E402

from kernels.merge_linear import (  # noqa: E402
    LinearMergeConfig, MergeError, is_complete_merge, merge_linear, mergekit_yaml, validate_merge,
)


def _ckpt(path: Path, tensors: dict) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(path / "model.safetensors"))
    (path / "config.json").write_text("{}")
    return path


def _load_all(model_dir: Path) -> dict:
    out = {}
    for f in sorted(model_dir.glob("*.safetensors")):
        out.update(load_file(str(f)))
    return out


def _ulp_distance(a, b):
    """Distance in representable values between two same-dtype float tensors."""
    bits = {torch.bfloat16: torch.int16, torch.float16: torch.int16, torch.float32: torch.int32}[a.dtype]
    ia, ib = a.view(bits).long(), b.view(bits).long()
    sign = 1 << (torch.finfo(a.dtype).bits - 1)
    # map sign-magnitude bit patterns onto a monotone integer line
    ia = torch.where(ia < 0, -(ia + sign), ia)
    ib = torch.where(ib < 0, -(ib + sign), ib)
    return (ia - ib).abs()


def test_merge_equals_hand_computed_weighted_sum(tmp_path):
    a = _ckpt(tmp_path / "a", {"w": torch.tensor([[1.0, 2.0], [3.0, 4.0]]), "b": torch.tensor([8.0])})
    b = _ckpt(tmp_path / "b", {"w": torch.tensor([[3.0, 6.0], [9.0, 12.0]]), "b": torch.tensor([0.0])})
    # weights 1 and 3 normalise to 0.25 / 0.75: w = 0.25*A + 0.75*B, b = 0.25*8 = 2
    out = merge_linear(LinearMergeConfig([a, b], [1.0, 3.0]), tmp_path / "out")
    merged = _load_all(out)
    assert merged["w"].tolist() == [[2.5, 5.0], [7.5, 10.0]]
    assert merged["b"].tolist() == [2.0]
    assert merged["w"].dtype == torch.float32
    assert (out / "config.json").exists() and is_complete_merge(out)
    marker = json.loads((out / "trainyard_merge.json").read_text())
    assert marker["weights"] == [1.0, 3.0] and marker["method"] == "linear"


def test_bf16_output_is_fp32_accumulated_then_rounded(tmp_path):
    g = torch.Generator().manual_seed(0)
    models, ts = [], []
    for i in range(3):
        t = {"x": torch.randn(37, 53, generator=g).to(torch.bfloat16),
             "y": torch.randn(1000, generator=g).to(torch.bfloat16)}
        ts.append(t)
        models.append(_ckpt(tmp_path / f"m{i}", t))
    w = [0.2, 0.5, 0.3]
    # chunk smaller than a tensor so the chunked path is exercised
    out = merge_linear(LinearMergeConfig(models, w, chunk_elements=97), tmp_path / "out")
    merged = _load_all(out)
    for name in ("x", "y"):
        terms = [wi * t[name].double() for wi, t in zip(w, ts)]
        exact = sum(terms) / sum(w)
        # bound: half a bf16 spacing at the result (final rounding) + float32 accumulation error,
        # which scales with the terms' magnitudes (matters where they cancel)
        _, exp = torch.frexp(exact)
        spacing = torch.pow(2.0, (exp - 8).double())
        tol = 0.5 * spacing + 4 * 2.0**-24 * sum(t.abs() for t in terms)
        assert merged[name].dtype == torch.bfloat16
        assert bool(((merged[name].double() - exact).abs() <= tol).all()), name
        # bf16 accumulation would break this bound on a random input
        bf16_acc = (sum(wi * t[name] for wi, t in zip(w, ts))).double()
        assert not bool(((bf16_acc - exact).abs() <= tol).all())


def test_sharded_output_has_index_and_same_values(tmp_path):
    g = torch.Generator().manual_seed(1)
    models = [_ckpt(tmp_path / f"m{i}", {f"t{j}": torch.randn(64, 64, generator=g) for j in range(5)})
              for i in range(2)]
    single = merge_linear(LinearMergeConfig(models, [0.4, 0.6]), tmp_path / "single")
    sharded = merge_linear(LinearMergeConfig(models, [0.4, 0.6], max_shard_bytes=20_000), tmp_path / "sharded")
    index = json.loads((sharded / "model.safetensors.index.json").read_text())
    shards = sorted(set(index["weight_map"].values()))
    assert len(shards) == 5 and all((sharded / s).exists() for s in shards)
    assert index["metadata"]["total_size"] == 5 * 64 * 64 * 4
    a, b = _load_all(single), _load_all(sharded)
    assert set(a) == set(b) and all(torch.equal(a[k], b[k]) for k in a)
    # a sharded checkpoint is itself a valid merge input
    again = _load_all(merge_linear(LinearMergeConfig([sharded, single], [1, 1]), tmp_path / "again"))
    assert all(torch.equal(again[k], a[k]) for k in a)


@pytest.mark.parametrize("weights, message", [
    ([1.0, -0.5], "negative"),
    ([float("nan"), 1.0], "not a finite"),
    ([0.0, 0.0], "positive sum"),
    ([1.0], "2 models but 1 weights"),
])
def test_bad_weights_rejected(tmp_path, weights, message):
    a = _ckpt(tmp_path / "a", {"w": torch.ones(2)})
    b = _ckpt(tmp_path / "b", {"w": torch.ones(2)})
    with pytest.raises(MergeError, match=message):
        validate_merge(LinearMergeConfig([a, b], weights))


def test_mismatched_checkpoints_name_the_tensor(tmp_path):
    a = _ckpt(tmp_path / "a", {"layer.0.w": torch.ones(2, 3), "layer.1.w": torch.ones(3)})
    missing = _ckpt(tmp_path / "missing", {"layer.0.w": torch.ones(2, 3)})
    shape = _ckpt(tmp_path / "shape", {"layer.0.w": torch.ones(3, 2), "layer.1.w": torch.ones(3)})
    dtype = _ckpt(tmp_path / "dtype", {"layer.0.w": torch.ones(2, 3, dtype=torch.float16),
                                       "layer.1.w": torch.ones(3)})
    integer = _ckpt(tmp_path / "int", {"layer.0.w": torch.ones(2, 3, dtype=torch.int32),
                                       "layer.1.w": torch.ones(3)})
    with pytest.raises(MergeError, match=r"'layer\.1\.w' missing from .*missing"):
        validate_merge(LinearMergeConfig([a, missing], [1, 1]))
    with pytest.raises(MergeError, match=r"'layer\.1\.w' in .*/a is missing from .*/missing"):
        validate_merge(LinearMergeConfig([missing, a], [1, 1]))
    with pytest.raises(MergeError, match=r"'layer\.0\.w': shape \[3, 2\]"):
        validate_merge(LinearMergeConfig([a, shape], [1, 1]))
    with pytest.raises(MergeError, match=r"'layer\.0\.w': dtype F16"):
        validate_merge(LinearMergeConfig([a, dtype], [1, 1]))
    with pytest.raises(MergeError, match=r"'layer\.0\.w' has dtype I32"):
        validate_merge(LinearMergeConfig([integer, integer], [1, 1]))
    with pytest.raises(MergeError, match="does not exist"):
        validate_merge(LinearMergeConfig([a, tmp_path / "nope"], [1, 1]))


def test_interrupted_merge_leaves_previous_output_untouched(tmp_path, monkeypatch):
    import kernels.merge_linear as ml

    a = _ckpt(tmp_path / "a", {f"t{i}": torch.full((4,), float(i)) for i in range(4)})
    b = _ckpt(tmp_path / "b", {f"t{i}": torch.full((4,), float(i + 1)) for i in range(4)})
    out = merge_linear(LinearMergeConfig([a, b], [1, 1]), tmp_path / "out")
    before = _load_all(out)
    real = ml._merge_tensor
    calls = []

    def dying(*args, **kw):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt("simulated kill midway")
        return real(*args, **kw)

    monkeypatch.setattr(ml, "_merge_tensor", dying)
    with pytest.raises(KeyboardInterrupt):
        merge_linear(LinearMergeConfig([a, b], [3, 1]), out)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no partial dir
    after = _load_all(out)
    assert all(torch.equal(before[k], after[k]) for k in before)  # old merge, not a half-new one
    assert after["t1"].tolist() == [1.5] * 4


def test_nonfinite_result_is_an_error_naming_the_tensor(tmp_path):
    a = _ckpt(tmp_path / "a", {"ok": torch.ones(2), "huge": torch.full((2,), 6e4, dtype=torch.float16)})
    b = _ckpt(tmp_path / "b", {"ok": torch.ones(2), "huge": torch.full((2,), float("inf"), dtype=torch.float16)})
    with pytest.raises(MergeError, match="'huge'"):
        merge_linear(LinearMergeConfig([a, b], [1, 1]), tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_mergekit_yaml_export(tmp_path):
    import yaml

    a = _ckpt(tmp_path / "a", {"w": torch.ones(2)})
    b = _ckpt(tmp_path / "b", {"w": torch.ones(2)})
    doc = yaml.safe_load(mergekit_yaml(LinearMergeConfig([a, b], [0.3, 0.7]), out_dtype="bfloat16"))
    assert doc["merge_method"] == "linear" and doc["dtype"] == "float32" and doc["out_dtype"] == "bfloat16"
    assert [m["parameters"]["weight"] for m in doc["models"]] == [0.3, 0.7]
    assert [m["model"] for m in doc["models"]] == [str(a.resolve()), str(b.resolve())]


def _tiny_llama(path: Path, seed: int, dtype):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=96, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=64,
                      tie_word_embeddings=False)
    model = LlamaForCausalLM(cfg).to(dtype)
    with torch.no_grad():  # norms start at exactly 1.0; perturb so every tensor differs
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    model.save_pretrained(str(path))
    return path


def test_merged_llama_loads_and_equals_weighted_sum(tmp_path):
    from transformers import AutoModelForCausalLM

    models = [_tiny_llama(tmp_path / f"m{i}", i, torch.float32) for i in range(3)]
    w = [0.5, 0.25, 0.25]
    out = merge_linear(LinearMergeConfig(models, w), tmp_path / "merged")
    merged = AutoModelForCausalLM.from_pretrained(str(out), local_files_only=True)
    sources = [AutoModelForCausalLM.from_pretrained(str(m), local_files_only=True).state_dict() for m in models]
    for name, p in merged.state_dict().items():
        ref = sum(wi * s[name] for wi, s in zip(w, sources))
        assert torch.allclose(p, ref, atol=1e-6), name


def test_equals_mergekit_linear_within_one_ulp(tmp_path):
    pytest.importorskip("mergekit", reason="mergekit not installed (bench extra): parity test skipped")
    import yaml
    from mergekit.config import MergeConfiguration
    from mergekit.merge import MergeOptions, run_merge

    models = [_tiny_llama(tmp_path / f"m{i}", i, torch.bfloat16) for i in range(3)]
    cfg = LinearMergeConfig(models, [0.2, 0.3, 0.5])
    ours = _load_all(merge_linear(cfg, tmp_path / "ours"))
    mk_cfg = MergeConfiguration.model_validate(yaml.safe_load(mergekit_yaml(cfg, out_dtype="bfloat16")))
    run_merge(mk_cfg, str(tmp_path / "mk"), options=MergeOptions(copy_tokenizer=False, lazy_unpickle=False))
    theirs = _load_all(tmp_path / "mk")
    assert set(ours) == set(theirs)
    worst = max(int(_ulp_distance(ours[k], theirs[k]).max()) for k in ours)
    assert worst <= 1
    assert all(ours[k].dtype == theirs[k].dtype == torch.bfloat16 for k in ours)
