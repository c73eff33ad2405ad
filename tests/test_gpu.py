"""CUDA checks: run only where a GPU is present (CI has none, so these skip there)."""

from __future__ import annotations

import logging

import pytest
import torch

import ganframe
from ganframe import Experiment
from ganframe.testing import StopAt, training_state

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]


def test_training_on_cuda_keeps_everything_on_the_gpu_and_samples_on_the_cpu():
    experiment = Experiment.from_setup("toy", seed=0, steps=50, device="cuda")
    experiment.fit()
    assert next(experiment.generator.parameters()).device.type == "cuda"
    samples = experiment.sample(100)
    assert samples.device.type == "cpu" and samples.shape == (100, 1)
    assert torch.isfinite(samples).all()


def test_cuda_training_is_repeatable_with_the_same_seed():
    first = Experiment.from_setup("toy", seed=1, steps=30, device="cuda")
    first.fit()
    second = Experiment.from_setup("toy", seed=1, steps=30, device="cuda")
    second.fit()
    assert torch.allclose(first.sample(200), second.sample(200))


def test_checkpoint_written_on_cuda_loads_on_cpu(tmp_path):
    experiment = Experiment.from_setup("toy", seed=2, steps=20, device="cuda")
    experiment.fit(tmp_path / "run")
    on_cpu = Experiment.load(tmp_path / "run", device="cpu")
    assert on_cpu.step == 20
    assert torch.allclose(on_cpu.sample(50), experiment.sample(50), atol=1e-5)


# -- train.precision, train.compile and train.cuda_graph on the GPU (docs/gpu.md) --------------------
QUIET = {"logging.plots": False, "logging.report": False}


def assert_identical(a: Experiment, b: Experiment) -> None:
    first, second = training_state(a), training_state(b)
    assert first.keys() == second.keys()
    assert not [name for name in first if not torch.equal(first[name], second[name])]


def spy_draws(experiment: Experiment) -> list[tuple[str, torch.Tensor]]:
    """Every draw from the data and the noise stream, in order (copies, on the CPU)."""
    trainer, seen = experiment.trainer, []
    real, noise = trainer.draw_real_batch, trainer.draw_noise_batch

    def draw_real():
        batch = real()
        seen.append(("real", batch.cpu()))
        return batch

    def draw_noise(n):
        batch = noise(n)
        seen.append(("noise", batch.cpu()))
        return batch

    trainer.draw_real_batch, trainer.draw_noise_batch = draw_real, draw_noise
    return seen


def toy(steps: int = 20, **options) -> Experiment:
    """The toy setup's default preset (Adam, lr_decay linear), shortened, on the GPU."""
    return Experiment.from_setup("toy", seed=0, steps=steps, device="cuda", overrides={**QUIET, **options})


def test_a_captured_round_trains_like_eager_rounds_on_the_same_batches(caplog):
    eager, graphed = toy(), toy(**{"train.cuda_graph": True})
    eager_draws, graphed_draws = spy_draws(eager), spy_draws(graphed)
    with caplog.at_level(logging.INFO, logger="ganframe"):
        eager.fit()
        graphed.fit()
    assert any("the round is captured" in record.getMessage() for record in caplog.records)
    assert not [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]
    # the noise and data streams advance exactly as in eager training
    assert [kind for kind, _ in graphed_draws] == [kind for kind, _ in eager_draws]
    assert all(torch.equal(a, b) for (_, a), (_, b) in zip(graphed_draws, eager_draws))
    # capturable Adam may differ from the eager (fused) one in the last bits
    eager_state, graphed_state = training_state(eager), training_state(graphed)
    for name, value in eager_state.items():
        if value.is_floating_point():
            assert torch.allclose(graphed_state[name], value, rtol=1e-4, atol=1e-6), name
    # lr_decay "linear" reached the graph: the learning rate is a tensor the schedule brought to 0
    assert float(graphed.g_optimizer.param_groups[0]["lr"]) == 0.0


def test_captured_runs_repeat_and_resume_bit_for_bit(tmp_path):
    first, second = toy(**{"train.cuda_graph": True}), toy(**{"train.cuda_graph": True})
    first.fit(tmp_path / "first")
    second.fit()
    assert_identical(first, second)
    stopped = Experiment.from_setup(
        "toy",
        seed=0,
        steps=20,
        device="cuda",
        callbacks=[StopAt(9)],
        overrides={**QUIET, "train.cuda_graph": True},
    )
    stopped.fit(tmp_path / "stopped")
    resumed = Experiment.load(tmp_path / "stopped")  # warms up and captures again
    resumed.fit(tmp_path / "stopped")
    assert_identical(resumed, first)
    on_cpu = Experiment.load(tmp_path / "first", device="cpu", steps=22)  # capturable Adam saved, eager Adam loaded
    on_cpu.fit()


class WaitsForTheGpu:
    """Decides in Python on a loss's value: every round waits for the GPU, and a graph would freeze the choice."""

    def train_round(self, trainer):
        d_loss = trainer.discriminator_step(trainer.real_batch(), trainer.generate(grad=False))
        if float(d_loss) < 100:
            g_loss = trainer.generator_step(trainer.generate())
        return {"d_loss": d_loss, "g_loss": g_loss}


class GpuStrategies:
    @ganframe.hookimpl
    def register_strategies(self, register):
        register("waits-for-the-gpu", lambda config, context: WaitsForTheGpu(), description="syncs")


def test_a_round_that_waits_for_the_gpu_runs_eagerly_with_a_warning(caplog):
    from ganframe.testing import fresh_plugins

    experiment = Experiment.from_setup(
        "toy",
        seed=0,
        steps=6,
        device="cuda",
        plugins=fresh_plugins(GpuStrategies()),
        overrides={**QUIET, "train.cuda_graph": True, "strategy": "waits-for-the-gpu"},
    )
    with caplog.at_level(logging.WARNING, logger="ganframe"):
        experiment.fit()
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 1 and "the round waits for the GPU" in messages[0], messages


def test_fp16_on_cuda_trains_and_resumes_bit_for_bit_with_its_scaler(tmp_path):
    whole = toy(**{"train.precision": "fp16"})
    whole.fit(tmp_path / "whole")
    assert "scaler" in whole.state_dict()
    stopped = Experiment.from_setup(
        "toy",
        seed=0,
        steps=20,
        device="cuda",
        callbacks=[StopAt(9)],
        overrides={**QUIET, "train.precision": "fp16"},
    )
    stopped.fit(tmp_path / "stopped")
    resumed = Experiment.load(tmp_path / "stopped")
    resumed.fit(tmp_path / "stopped")
    assert_identical(resumed, whole)
    assert resumed.state_dict()["scaler"] == whole.state_dict()["scaler"]


def test_bf16_on_cuda_repeats_bit_for_bit():
    if not torch.cuda.is_bf16_supported():
        pytest.skip("this GPU has no bfloat16")
    first, second = toy(**{"train.precision": "bf16"}), toy(**{"train.precision": "bf16"})
    first.fit()
    second.fit()
    assert_identical(first, second)
    assert torch.isfinite(first.sample(100)).all()


def test_bf16_and_a_captured_round_together():
    if not torch.cuda.is_bf16_supported():
        pytest.skip("this GPU has no bfloat16")
    experiment = toy(**{"train.precision": "bf16", "train.cuda_graph": True})
    experiment.fit()
    assert torch.isfinite(experiment.sample(100)).all()


def test_compiled_networks_train_on_cuda_and_keep_their_checkpoint_keys(tmp_path):
    compiled, plain = toy(steps=6, **{"train.compile": True}), toy(steps=6)
    compiled.fit(tmp_path / "compiled")
    plain.fit()
    assert training_state(compiled).keys() == training_state(plain).keys()
    assert torch.isfinite(compiled.sample(100)).all()


def test_compiled_networks_in_a_captured_round():
    experiment = toy(steps=8, **{"train.compile": True, "train.cuda_graph": True})
    experiment.fit()
    assert torch.isfinite(experiment.sample(100)).all()
