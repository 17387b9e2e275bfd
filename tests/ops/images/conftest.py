"""Fixtures shared by the image tests."""
import pytest


@pytest.fixture
def tiny_model(tmp_path):
    """A TorchScript 'descriptor' file: 4×4 average-pooled channels, mean removed (a thumbnail)."""
    import torch

    class Thumb(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            t = torch.nn.functional.adaptive_avg_pool2d(x, 4).flatten(1)
            return t - t.mean(dim=1, keepdim=True)

    path = tmp_path / "thumb.pt"
    torch.jit.script(Thumb()).save(str(path))
    return path
