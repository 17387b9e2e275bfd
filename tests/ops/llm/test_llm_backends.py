"""LLM backends: template determinism, openai against a local server (concurrency, retries,
garbage, unreachable endpoint, key hygiene), prompt-hash cache (memory and warehouse), malformed
output retry → rejection, factory errors."""
import socket

import pytest

from ops.llm import BackendUnavailable, LLMBackendError, LLMRequest, MalformedResponse, make_backend, register_template
from ops.llm.cache import CachedBackend, MemoryLLMCache
from ops.llm.local_server import LocalChatServer
from ops.llm.validated import generate_validated


@register_template("test_echo")
def _echo(req: LLMRequest) -> str:
    return "T:" + req.messages[-1]["content"].upper()


def _req(text, n=1, task="test_echo", seed=0):
    return LLMRequest(task=task, messages=({"role": "user", "content": text},), n=n, seed=seed)


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_template_backend_is_deterministic_and_labelled():
    be = make_backend({"kind": "template"})
    out = be.generate([_req("abc", n=3), _req("x")])
    assert [[c.text for c in o] for o in out] == [["T:ABC"] * 3, ["T:X"]]
    assert {c.generator for o in out for c in o} == {"template"}
    with pytest.raises(KeyError, match="no template registered"):
        be.generate([_req("a", task="nope")])


def test_openai_backend_answers_n_and_bounds_concurrency(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-123")
    with LocalChatServer(mode="ok", delay_s=0.15) as srv:
        be = make_backend({"kind": "openai", "model": "m", "base_url": srv.base_url, "concurrency": 3})
        out = be.generate([_req(f"q{i}", n=2) for i in range(9)])
        assert len(out) == 9 and all(len(o) == 2 for o in out)
        assert out[4][1].text == "echo 1: q4"
        assert out[0][0].generator == "openai:m"
        assert srv.max_in_flight == 3  # bounded at 3 and actually concurrent
        assert srv.auth_headers[0] == "Bearer sk-secret-123"
        assert "sk-secret" not in repr(be) and "sk-secret" not in be.id


def test_openai_backend_retries_server_errors_then_succeeds():
    with LocalChatServer(mode="fail_first", failures=2) as srv:
        be = make_backend({"kind": "openai", "model": "m", "base_url": srv.base_url, "max_retries": 3,
                           "concurrency": 1})
        be.backoff_s = 0.01
        out = be.generate([_req("hello")])
        assert out[0][0].text == "echo 0: hello"
        assert srv.calls == 3


@pytest.mark.parametrize("mode,exc", [("error", LLMBackendError), ("garbage", MalformedResponse)])
def test_openai_backend_gives_up_after_bounded_retries(mode, exc):
    with LocalChatServer(mode=mode) as srv:
        be = make_backend({"kind": "openai", "model": "m", "base_url": srv.base_url, "max_retries": 2})
        be.backoff_s = 0.01
        with pytest.raises(exc, match="gave up after 3 attempts"):
            be.generate([_req("hello")])
        assert srv.calls == 3


def test_openai_backend_client_error_is_not_retried():
    with LocalChatServer(mode="bad_request") as srv:
        be = make_backend({"kind": "openai", "model": "m", "base_url": srv.base_url, "max_retries": 4})
        with pytest.raises(LLMBackendError, match="HTTP 400"):
            be.generate([_req("x")])
        assert srv.calls == 1


def test_unreachable_endpoint_fails_clearly_with_no_cached_rows():
    store = MemoryLLMCache()
    be = make_backend({"kind": "openai", "model": "m", "base_url": f"http://127.0.0.1:{_free_port()}/v1",
                       "max_retries": 2, "timeout_s": 2}, cache=store)
    be.inner.backoff_s = 0.01
    with pytest.raises(BackendUnavailable, match=r"unreachable after 3 attempt.*gave up after 3"):
        be.generate([_req("a"), _req("b")])
    assert store.data == {}  # nothing partial stored


def test_openai_needs_base_url(monkeypatch):
    for env in ("TRAINYARD_LLM_BASE_URL", "OPENAI_BASE_URL"):
        monkeypatch.delenv(env, raising=False)
    with pytest.raises(ValueError, match="TRAINYARD_LLM_BASE_URL"):
        make_backend({"kind": "openai", "model": "m"})


def test_factory_rejects_unknown_kind_and_vllm_without_install():
    with pytest.raises(ValueError, match="must be one of"):
        make_backend({"kind": "gpt"})
    with pytest.raises(ValueError, match="unknown LLM config keys"):
        make_backend({"kind": "template", "temperature": 1})
    with pytest.raises(RuntimeError, match="vllm"):
        make_backend({"kind": "vllm", "model": "x"})


def test_cache_hits_skip_the_endpoint():
    store = MemoryLLMCache()
    with LocalChatServer(mode="ok") as srv:
        be = make_backend({"kind": "openai", "model": "m", "base_url": srv.base_url}, cache=store)
        first = be.generate([_req("a"), _req("b")])
        second = be.generate([_req("a"), _req("b"), _req("c")])
        assert srv.calls == 3  # a, b once; c once
        assert [c[0].cached for c in second] == [True, True, False]
        assert second[0][0].text == first[0][0].text
        assert (be.hits, be.misses) == (2, 3)


def test_warehouse_cache_persists_and_upserts(warehouse):
    from warehouse.llm_cache import WarehouseLLMCache
    from warehouse.readers import scalar
    from warehouse.writer import Lineage

    store = WarehouseLLMCache(warehouse, Lineage.adhoc("test_llm"))
    calls = []

    class Counting:
        id = "counting"

        def generate(self, reqs):
            calls.append(len(reqs))
            return make_backend({"kind": "template"}).generate(reqs)

    be = CachedBackend(Counting(), store)
    be.generate([_req("a"), _req("b"), _req("a")])
    again = CachedBackend(Counting(), WarehouseLLMCache(warehouse, Lineage.adhoc("test_llm")))
    out = again.generate([_req("a"), _req("b")])
    assert calls == [3] and out[1][0].text == "T:B" and out[1][0].cached
    assert scalar("SELECT count(*) FROM llm_cache") == 2  # duplicate key stored once


def test_malformed_outputs_are_retried_then_rejected():
    class Flaky:
        id = "flaky"

        def __init__(self):
            self.seen = []

        def generate(self, reqs):
            self.seen.append([r.seed for r in reqs])
            # 'good' prompt gives valid JSON only on its second attempt; 'bad' never does
            return [[__import__("ops.llm.base", fromlist=["Completion"]).Completion(
                '{"ok": 1}' if (r.messages[-1]["content"] == "good" and r.seed >= 1000) else "not json",
                "flaky")] for r in reqs]

    import json

    def valid(text):
        try:
            json.loads(text)
            return None
        except ValueError:
            return "not JSON"

    be = Flaky()
    results, rejected = generate_validated(be, [_req("good"), _req("bad")], valid, max_attempts=3)
    assert results[0][0].text == '{"ok": 1}' and results[1] is None
    assert [r.index for r in rejected] == [1] and "after 3 attempts: not JSON" in rejected[0].reason
    assert be.seen == [[0, 0], [1000, 1000], [2000]]


def test_transformers_backend_generates_from_local_checkpoint(tmp_path):
    from ops.lm.model import ModelConfig, build_causal_lm
    from ops.lm.tokenizer import train_tokenizer

    tok = train_tokenizer(["def f(x):\n    return x + 1\n"] * 50, vocab_size=300)
    model = build_causal_lm(ModelConfig(hidden_size=32, num_layers=1, num_heads=2, intermediate_size=64), tok)
    model.save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    be = make_backend({"kind": "transformers", "checkpoint": str(tmp_path), "device": "cpu"})
    req = LLMRequest(task="thought", messages=({"role": "user", "content": "def f"},), max_tokens=5)
    a = be.generate([req])
    b = be.generate([req])
    assert a[0][0].text == b[0][0].text  # greedy is deterministic
    assert a[0][0].generator == f"transformers:{tmp_path.name}"
    with pytest.raises(FileNotFoundError):
        make_backend({"kind": "transformers", "checkpoint": str(tmp_path / "missing")})


def test_transformers_backend_batches_stops_and_counts_tokens(tmp_path):
    from ops.lm.model import ModelSpec, build_causal_lm
    from ops.lm.tokenizer import train_tokenizer
    from ops.llm.transformers_backend import TransformersBackend

    tok = train_tokenizer(["def f(x):\n    return x + 1\n", "the cat sat on the mat\n"] * 50, vocab_size=300)
    model = build_causal_lm(ModelSpec(hidden_size=32, num_layers=1, num_heads=2, intermediate_size=64), tok)
    model.save_pretrained(tmp_path / "m")
    tok.save_pretrained(tmp_path / "m")
    prompts = ["def f", "the cat sat on the mat and then", "x", "return x + 1 return"]
    reqs = [LLMRequest(task="thought", messages=({"role": "user", "content": p},), max_tokens=8) for p in prompts]
    batched = TransformersBackend(str(tmp_path / "m"), device="cpu", batch_size=4)
    single = TransformersBackend(str(tmp_path / "m"), device="cpu", batch_size=1)
    got = [c[0].text for c in batched.generate(reqs)]
    # left padding + attention mask: a batch gives what one-at-a-time gives
    assert got == [c[0].text for c in single.generate(reqs)]
    assert 0 < batched.stats["new_tokens"] <= 4 * 8 and batched.tokens_per_s > 0
    # a stop sequence cuts every text at its first occurrence
    full = got[0]
    if len(full) > 2:
        stop = full[1:3]
        cut = TransformersBackend(str(tmp_path / "m"), device="cpu", stop=(stop,)).generate(reqs[:1])[0][0].text
        assert cut == full[: full.find(stop)].strip()
    # sampling: n candidates per request
    samp = LLMRequest(task="thought", messages=({"role": "user", "content": "def f"},), max_tokens=6, n=3,
                      temperature=1.0)
    assert len(batched.generate([samp])[0]) == 3


def test_generate_with_fallback_ranks_valid_and_labels_template():
    from ops.llm.base import Completion
    from ops.llm.validated import generate_with_fallback

    class Sampler:
        id = "sampler"

        def __init__(self):
            self.seen = []

        def generate(self, reqs):
            self.seen.append(len(reqs))
            return [[Completion(f"{r.messages[-1]['content']}-{k}-{r.seed}", "sampler") for k in range(r.n)]
                    for r in reqs]

    def validate(req, text):  # 'ok' prompts pass on candidate 1 and 2; 'never' fails every time
        return None if text.startswith("ok") and "-0-" not in text else "bad: not acceptable"

    be = Sampler()
    reqs = [_req("ok", n=3), _req("never", n=3)]
    gated, stats = generate_with_fallback(be, reqs, validate, max_attempts=2,
                                          rank=lambda i, good: list(reversed(good)))
    assert [c.text for c in gated[0].completions] == ["ok-2-0", "ok-1-0"] and gated[0].fallback_reason is None
    assert gated[1].completions[0].generator == "template" and gated[1].completions[0].text == "T:NEVER"
    assert "bad" in gated[1].fallback_reason and gated[1].drawn == 6
    assert be.seen == [2, 1]  # the failing request was asked again, alone
    assert (stats.requests, stats.model_written, stats.fallback, stats.drawn) == (2, 1, 1, 9)
    assert stats.rejected == {"bad": 7}


def test_prefill_starts_the_completion_and_changes_the_cache_key(tmp_path):
    from ops.lm.model import ModelSpec, build_causal_lm
    from ops.lm.tokenizer import train_tokenizer
    from ops.llm.transformers_backend import TransformersBackend

    tok = train_tokenizer(["I open the file to read it.\n"] * 50, vocab_size=300)
    model = build_causal_lm(ModelSpec(hidden_size=32, num_layers=1, num_heads=2, intermediate_size=64), tok)
    model.save_pretrained(tmp_path / "m")
    tok.save_pretrained(tmp_path / "m")
    be = TransformersBackend(str(tmp_path / "m"), device="cpu")
    plain = LLMRequest(task="thought", messages=({"role": "user", "content": "next"},), max_tokens=4)
    pre = LLMRequest(task="thought", messages=plain.messages, max_tokens=4, prefill="I open", stop=("\n",))
    got = be.generate([plain, pre])
    assert got[1][0].text.startswith("I open") and "\n" not in got[1][0].text
    assert plain.cache_key(be.id) != pre.cache_key(be.id)
    # requests without the new fields keep the key they had before the fields existed
    import hashlib
    import json

    old = json.dumps({"backend": be.id, "task": "thought", "messages": plain.messages, "n": 1, "temperature": 0.0,
                      "max_tokens": 4, "seed": 0}, sort_keys=True, ensure_ascii=False)
    assert plain.cache_key(be.id) == hashlib.sha256(old.encode()).hexdigest()
