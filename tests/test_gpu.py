"""CUDA checks: run only where a GPU is present (CI has none, so these skip there)."""

from __future__ import annotations

import pytest
import torch

from ganframe import Experiment

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]


def test_training_on_cuda_keeps_everything_on_the_gpu_and_samples_on_the_cpu():
    experiment = Experiment.from_setup("gaussian", seed=0, steps=50, device="cuda")
    experiment.fit()
    assert next(experiment.generator.parameters()).device.type == "cuda"
    samples = experiment.sample(100)
    assert samples.device.type == "cpu" and samples.shape == (100, 1)
    assert torch.isfinite(samples).all()


def test_cuda_training_is_repeatable_with_the_same_seed():
    first = Experiment.from_setup("gaussian", seed=1, steps=30, device="cuda")
    first.fit()
    second = Experiment.from_setup("gaussian", seed=1, steps=30, device="cuda")
    second.fit()
    assert torch.allclose(first.sample(200), second.sample(200))


def test_checkpoint_written_on_cuda_loads_on_cpu(tmp_path):
    experiment = Experiment.from_setup("gaussian", seed=2, steps=20, device="cuda")
    experiment.fit(tmp_path / "run")
    on_cpu = Experiment.load(tmp_path / "run", device="cpu")
    assert on_cpu.step == 20
    assert torch.allclose(on_cpu.sample(50), experiment.sample(50), atol=1e-5)

