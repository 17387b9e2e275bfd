"""The artifact store interface: default root, atomic puts, key sanitising, env selection."""
import pytest

from warehouse.artifact_store import LocalArtifactStore, artifact_store, normalise_key
from warehouse.paths import artifact_dir


def test_default_store_is_the_artifacts_dir_of_the_home(trainyard_home):
    store = artifact_store()
    uri = store.put_bytes("scaleout/shard-01.parquet", b"abc")
    assert uri.startswith("file://")
    # Same place artifact_dir() points at, so both views agree for every branch.
    assert (artifact_dir("scaleout") / "shard-01.parquet").read_bytes() == b"abc"
    assert store.get_bytes("scaleout/shard-01.parquet") == b"abc"
    assert store.list("scaleout") == ["scaleout/shard-01.parquet"]
    store.put_bytes("scaleout/shard-01.parquet", b"xyz")  # overwrite is atomic replace
    assert store.get_bytes("scaleout/shard-01.parquet") == b"xyz"
    assert store.list() == ["scaleout/shard-01.parquet"]  # no temp files left behind
    store.delete("scaleout/shard-01.parquet")
    store.delete("scaleout/shard-01.parquet")
    assert not store.exists("scaleout/shard-01.parquet")
    with pytest.raises(FileNotFoundError):
        store.get_bytes("scaleout/shard-01.parquet")


def test_keys_cannot_escape_the_root(tmp_path):
    store = LocalArtifactStore(tmp_path / "root")
    # '..' becomes '_' (safe_part), so it names a directory inside the root, never a parent.
    assert normalise_key("../../etc", "passwd") == "_/_/etc/passwd"
    store.put_bytes("../../escape.txt", b"x")
    assert (tmp_path / "root" / "_" / "_" / "escape.txt").read_bytes() == b"x"
    assert not (tmp_path / "escape.txt").exists()
    with pytest.raises(ValueError):
        normalise_key("/", ".")


def test_env_selects_a_shared_root(tmp_path, monkeypatch):
    shared = tmp_path / "nfs"
    monkeypatch.setenv("TRAINYARD_ARTIFACT_STORE", f"file://{shared}")
    artifact_store().put_bytes("a/b", b"1")
    assert (shared / "a" / "b").read_bytes() == b"1"
    monkeypatch.setenv("TRAINYARD_ARTIFACT_STORE", "s3://bucket/prefix")
    with pytest.raises(ValueError, match="s3://bucket/prefix"):
        artifact_store()
