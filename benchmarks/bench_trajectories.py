"""Trajectories branch benchmark:

1. trajectories/s with the template backend (task synthesis + replay from git + gates) on a
   generated repository (``ops.github.synthetic_repo``, 200 PRs) and on the demo repository;
2. requests in flight and requests/s of the ``openai`` backend against a local server that holds
   each answer 50 ms (concurrency 8 vs 1);
3. MinHash signature throughput: datasketch's fastest path (``MinHash.bulk``) vs a candidate
   numpy kernel of ours that hashes every shingle of a batch of documents at once, on the same
   documents (wikitext-2 paragraphs from ../shared/data when present, else stdlib sources), with
   the mean absolute Jaccard error of each against exact Jaccard on the same document pairs.
   Policy: use datasketch unless ours is ≥ 3× faster at equal error.
"""
import random
import tempfile
import time
import zlib
from pathlib import Path

from benchmarks.harness import BenchRow

MERSENNE = (1 << 61) - 1
MAX_HASH = (1 << 32) - 1


def _documents(n: int) -> tuple[list[str], str]:
    wiki = Path(__file__).resolve().parents[2] / "shared" / "data" / "corpora" / "wikitext-2" / "valid.txt"
    if wiki.exists():
        paras = [p.strip() for p in wiki.read_text(encoding="utf-8").split("\n \n") if len(p.split()) > 40]
        return paras[:n], "wikitext-2 valid paragraphs"
    import sysconfig

    files = sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py"))[:n]
    return [f.read_text(encoding="utf-8", errors="replace")[:4000] for f in files], "stdlib sources"


def numpy_signatures(shingle_sets: list[list[bytes]], num_perm: int = 128, seed: int = 1):
    """Candidate kernel: crc32 per shingle (one Python loop over all documents), then the affine
    permutations for a whole chunk of documents in one numpy expression and a segmented min.
    ``a*h`` wraps modulo 2**64 before ``% p`` (numpy uint64), so it is a slightly different hash family
    than datasketch's; the benchmark measures its Jaccard error rather than assuming it."""
    import numpy as np

    rng = np.random.RandomState(seed)
    a = rng.randint(1, MERSENNE, size=num_perm, dtype=np.uint64)
    b = rng.randint(0, MERSENNE, size=num_perm, dtype=np.uint64)
    out = np.full((len(shingle_sets), num_perm), MAX_HASH, dtype=np.uint64)
    start = 0
    while start < len(shingle_sets):
        chunk = shingle_sets[start:start + 256]
        lens = np.array([len(s) for s in chunk])
        hv = np.fromiter((zlib.crc32(x) for s in chunk for x in s), dtype=np.uint64, count=int(lens.sum()))
        if hv.size:
            ph = ((hv[:, None] * a[None, :] + b[None, :]) % np.uint64(MERSENNE)) & np.uint64(MAX_HASH)
            offsets = np.concatenate([[0], np.cumsum(lens)[:-1]])
            nonempty = lens > 0
            out[start:start + len(chunk)][nonempty] = np.minimum.reduceat(ph, offsets[nonempty], axis=0)
        start += len(chunk)
    return out


def bench_template_trajectories() -> list[BenchRow]:
    from ops.github.chains import build_pr_chains
    from ops.github.demo_repo import DEMO_REPO, create_demo_repo
    from ops.github.local_clone import scan_local_clone
    from ops.github.synthetic_repo import generate_repo
    from ops.llm import make_backend
    from ops.trajectories.build import GateConfig, build_trajectories, synthesize_tasks

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, make in (("synthetic_200_prs", lambda p: generate_repo(p, n_prs=200).path),
                           ("demo_repo", create_demo_repo)):
            path = make(Path(tmp) / name)
            snap = scan_local_clone(path, DEMO_REPO if name == "demo_repo" else "bench/synthetic")
            chains = build_pr_chains(snap)
            be, cfg = make_backend({"kind": "template"}), GateConfig()
            t0 = time.perf_counter()
            tasks, _ = synthesize_tasks(snap, chains, be, cfg)
            built = build_trajectories(tasks, snap, chains, path, be, cfg)
            dt = time.perf_counter() - t0
            rows.append(BenchRow("trajectories_template", f"{name}/trajectories_per_s", len(built.kept) / dt, "traj/s"))
            rows.append(BenchRow("trajectories_template", f"{name}/trajectories", len(built.kept), "count"))
    return rows


def bench_openai_in_flight() -> list[BenchRow]:
    from ops.llm import LLMRequest, make_backend
    from ops.llm.local_server import LocalChatServer

    reqs = [LLMRequest("thought", ({"role": "user", "content": f"q{i}"},), seed=i) for i in range(64)]
    rates = {}
    in_flight = {}
    for conc in (8, 1):
        with LocalChatServer(mode="ok", delay_s=0.05) as srv:
            be = make_backend({"kind": "openai", "model": "bench", "base_url": srv.base_url, "concurrency": conc})
            t0 = time.perf_counter()
            be.generate(reqs)
            rates[conc] = len(reqs) / (time.perf_counter() - t0)
            in_flight[conc] = srv.max_in_flight
    return [BenchRow("trajectories_openai", "max_requests_in_flight(concurrency=8)", in_flight[8], "requests"),
            BenchRow("trajectories_openai", "requests_per_s(concurrency=8, 50ms server)", rates[8], "req/s",
                     "concurrency=1", rates[1])]


def bench_minhash(n_docs: int = 2000) -> list[BenchRow]:
    import numpy as np
    from datasketch import MinHash

    from ops.trajectories.near_dup import shingles

    docs, source = _documents(n_docs)
    n_docs = len(docs)
    sets = [sorted(shingles(d)) for d in docs]
    n_shingles = sum(len(s) for s in sets)
    t0 = time.perf_counter()
    ds = MinHash.bulk(sets, num_perm=128, seed=1)
    t_ds = time.perf_counter() - t0
    t0 = time.perf_counter()
    ours = numpy_signatures(sets, 128, 1)
    t_ours = time.perf_counter() - t0
    # Jaccard error on the same pairs: near pairs (a document vs itself with 20% of words dropped)
    rng = random.Random(0)
    pairs = []
    for d in docs[:200]:
        words = d.split()
        pairs.append((d, " ".join(w for w in words if rng.random() > 0.2)))
    a_sets = [sorted(shingles(x)) for x, _ in pairs]
    b_sets = [sorted(shingles(y)) for _, y in pairs]
    exact = [len(set(x) & set(y)) / max(1, len(set(x) | set(y))) for x, y in zip(a_sets, b_sets)]
    da, db = MinHash.bulk(a_sets, num_perm=128, seed=1), MinHash.bulk(b_sets, num_perm=128, seed=1)
    err_ds = float(np.mean([abs(x.jaccard(y) - e) for x, y, e in zip(da, db, exact)]))
    oa, ob = numpy_signatures(a_sets), numpy_signatures(b_sets)
    err_ours = float(np.mean(np.abs((oa == ob).mean(axis=1) - np.array(exact))))
    return [
        BenchRow("trajectories_minhash", f"datasketch_bulk_docs_per_s ({source})", n_docs / t_ds, "docs/s"),
        BenchRow("trajectories_minhash", "numpy_kernel_docs_per_s", n_docs / t_ours, "docs/s",
                 "datasketch MinHash.bulk", n_docs / t_ds),
        BenchRow("trajectories_minhash", "shingles_per_s(datasketch_bulk)", n_shingles / t_ds, "shingles/s"),
        BenchRow("trajectories_minhash", "mean_abs_jaccard_error(numpy_kernel)", err_ours, "",
                 "datasketch MinHash.bulk", err_ds),
    ]


def run() -> list[BenchRow]:
    return bench_template_trajectories() + bench_openai_in_flight() + bench_minhash()


if __name__ == "__main__":
    for row in run():
        print(row, row.ratio)
