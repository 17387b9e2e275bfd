import pytest


@pytest.fixture(scope="session")
def demo_repo_path(tmp_path_factory):
    from ops.github.demo_repo import create_demo_repo

    return create_demo_repo(tmp_path_factory.mktemp("demo") / "widgets")


@pytest.fixture(scope="session")
def demo_snapshot(demo_repo_path):
    from ops.github.local_clone import scan_local_clone

    return scan_local_clone(demo_repo_path, "acme/widgets")
