"""The GPU options on the CPU: train.precision (bf16, and fp16 with its gradient scaler),
train.compile (one tiny model), and train.cuda_graph's buffer-and-replay mechanism through its CPU
stand-in (ganframe.graphs.EagerReplay). Real CUDA capture, compile and fp16 are in test_gpu.py."""

from __future__ import annotations

import logging
import subprocess
import sys

import attrs
import pytest
import torch
import torch.nn.functional as F

import ganframe
from ganframe import ConfigError, Experiment, acceleration, graphs
from ganframe.testing import StopAt, fresh_plugins, training_state

QUIET = {"logging.plots": False, "logging.report": False}


def assert_identical(a: Experiment, b: Experiment) -> None:
    first, second = training_state(a), training_state(b)
    assert first.keys() == second.keys()
    different = [name for name in first if not torch.equal(first[name], second[name])]
    assert not different, different


# -- a third party's strategies, for what autocast and capture see ---------------------------------
class Probe:
    """One D and one G update; logs whether autocast was on in the round and what G's output was."""

    def train_round(self, trainer):
        fake = trainer.generate()
        d_loss = trainer.discriminator_step(trainer.real_batch(), fake)
        g_loss = trainer.generator_step(fake)
        return {
            "d_loss": d_loss,
            "g_loss": g_loss,
            "autocast": torch.tensor(float(torch.is_autocast_enabled("cpu"))),
            "fake_is_bf16": torch.tensor(float(fake.dtype == torch.bfloat16)),
        }


class SeesUpdates:
    """G on the same noise before and after a G update in the same round."""

    def train_round(self, trainer):
        z = trainer.noise_batch()
        before = trainer.generator(z).detach()
        g_loss = trainer.generator_step(trainer.generate())
        return {"g_loss": g_loss, "changed": (trainer.generator(z).detach() != before).any().float()}


class RollsBack:
    """Looks ahead with real D steps and undoes them (a first-order unrolled GAN), without declaring it."""

    def train_round(self, trainer):
        d_loss = trainer.discriminator_step(trainer.real_batch(), trainer.generate(grad=False))
        with trainer.rollback("discriminator"):
            trainer.discriminator_step(trainer.real_batch(), trainer.generate(grad=False))
            g_loss = trainer.generator_step(trainer.generate())
        return {"d_loss": d_loss, "g_loss": g_loss}


class Declared(RollsBack):
    capturable = False


class Varying:
    """Draws noise batches of a size that depends on the round."""

    def train_round(self, trainer):
        d_loss = trainer.discriminator_step(trainer.real_batch(), trainer.generate(grad=False))
        fake = trainer.generator(trainer.noise_batch(trainer.batch_size - trainer.step % 2))
        return {"d_loss": d_loss, "g_loss": trainer.update("generator", -trainer.discriminator(fake).mean())}


# -- and its losses, for what compile and capture do with penalties and with real batches -----------
@attrs.frozen(kw_only=True)
class HingeConfig:
    r1: float = 0.0  # an R1 penalty on real data: it differentiates D's input gradient


class Hinge:
    """The hinge loss, with an optional R1 penalty."""

    def __init__(self, config: HingeConfig) -> None:
        self.r1 = config.r1

    @property
    def needs_double_backward(self) -> bool:
        return bool(self.r1)

    def discriminator_loss(self, discriminator, real, fake):
        loss = F.relu(1 - discriminator(real)).mean() + F.relu(1 + discriminator(fake)).mean()
        if self.needs_double_backward:
            loss = loss + self.r1 / 2 * self.input_gradient(discriminator, real).square().sum(1).mean()
        return loss

    def generator_loss(self, discriminator, fake, real=None):
        return -discriminator(fake).mean()

    @staticmethod
    def input_gradient(discriminator, x):
        x = x.detach().requires_grad_(True)
        (gradient,) = torch.autograd.grad(discriminator(x).sum(), x, create_graph=True)
        return gradient


class GradientPenalty(Hinge):
    """The hinge loss with a WGAN-GP style penalty on points between real and fake: always double backward."""

    needs_double_backward = True

    def discriminator_loss(self, discriminator, real, fake):
        between = (real.detach() + fake.detach()) / 2
        penalty = (self.input_gradient(discriminator, between).norm(dim=1) - 1).square().mean()
        return F.relu(1 - discriminator(real)).mean() + F.relu(1 + discriminator(fake)).mean() + penalty


class MatchesReal(Hinge):
    """G matches the mean of D's scores on the last real batch D saw (feature matching, on one feature)."""

    def generator_loss(self, discriminator, fake, real=None):
        if real is None:  # before D's first step there is no real batch yet
            return super().generator_loss(discriminator, fake)
        return (discriminator(real).mean() - discriminator(fake).mean()).square()


class Strategies:
    @ganframe.hookimpl
    def register_losses(self, register):
        register("hinge", lambda config, context: Hinge(config), config=HingeConfig)
        register("gradient-penalty", lambda config, context: GradientPenalty(HingeConfig()))
        register("matches-real", lambda config, context: MatchesReal(HingeConfig()))

    @ganframe.hookimpl
    def register_strategies(self, register):
        for name, cls in (
            ("probe", Probe),
            ("sees-updates", SeesUpdates),
            ("rolls-back", RollsBack),
            ("declared", Declared),
            ("varying", Varying),
        ):
            register(name, lambda config, context, cls=cls: cls(), description=name)


@pytest.fixture(scope="module")
def plugins():
    import ganframe_toy

    return fresh_plugins(ganframe_toy, Strategies(), entry_points=False)


@pytest.fixture
def make(plugins, tiny):
    def build(callbacks=(), **dotted):
        overrides = {key.replace("__", "."): value for key, value in dotted.items()}
        return Experiment.from_dict(tiny, overrides={**QUIET, **overrides}, plugins=plugins, callbacks=callbacks)

    return build


# -- validation ------------------------------------------------------------------------------------
def test_an_unknown_precision_is_one_line_from_the_command_line(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ganframe",
            "train",
            "toy",
            "--device",
            "cpu",
            "--quiet",
            "--set",
            "train.precision=fp8",
            "--out",
            str(tmp_path / "run"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr == ("ganframe: error: train: 'precision' must be one of 'fp32', 'bf16', 'fp16', got 'fp8'\n")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (
            "train.compile=fast",
            "train: 'compile' must be true, false or one of 'default', 'reduce-overhead', 'max-autotune', got 'fast'",
        ),
        ("train.compile=3", "train: compile: expected true, false or a name, got 3"),
        ('train.cuda_graph="yes"', "train: cuda_graph: expected bool, got 'yes'"),
    ],
)
def test_other_bad_values_are_one_line_too(cli, assert_usage_error, tiny_cli, tmp_path, option, message):
    line = assert_usage_error(cli("train", "toy", "--out", tmp_path / "run", *tiny_cli, "--set", option))
    assert line == f"ganframe: error: {message}"


def test_a_precision_the_device_cannot_run_is_a_config_error(make, monkeypatch):
    monkeypatch.setattr(acceleration, "_autocast_works", lambda device_type, dtype: False)
    with pytest.raises(
        ConfigError,
        match=r"^train.precision 'bf16': this PyTorch \(.*\) cannot autocast to "
        r"bfloat16 on the cpu: use 'fp32'$",
    ):
        make(train__precision="bf16")


def test_compile_modes_are_accepted_and_written_back(make):
    for value in (True, "default", "reduce-overhead", "max-autotune"):
        config = make(train__compile=value).config  # compiling is lazy: nothing runs here
        assert config.train.compile == value
        assert config.to_dict()["train"]["compile"] == value


# -- precision -------------------------------------------------------------------------------------
class KeepLogs:
    def __init__(self) -> None:
        self.rows: list[dict[str, float]] = []

    @ganframe.hookimpl
    def on_step_end(self, logs):
        self.rows.append({key: float(value) for key, value in logs.items()})


class KeepTensors:
    """The logs of every round as they were handed over, read only after training."""

    def __init__(self) -> None:
        self.rows: list[dict[str, torch.Tensor]] = []

    @ganframe.hookimpl
    def on_step_end(self, logs):
        self.rows.append(dict(logs))


def test_bf16_runs_forward_passes_under_autocast_for_any_strategy(make):
    kept = KeepLogs()
    experiment = make(callbacks=[kept], strategy="probe", train__precision="bf16", train__steps=2)
    experiment.fit()
    assert [row["autocast"] for row in kept.rows] == [1.0, 1.0]
    assert [row["fake_is_bf16"] for row in kept.rows] == [1.0, 1.0]
    assert all(p.dtype == torch.float32 for p in experiment.generator.parameters())  # the weights stay fp32
    assert not torch.is_autocast_enabled("cpu")  # and autocast ends with the round


def test_under_bf16_a_forward_pass_sees_the_update_made_before_it_in_the_round(make):
    """autocast's weight cache would hand G's second forward pass the weights from before its update."""
    kept = KeepLogs()
    make(callbacks=[kept], strategy="sees-updates", train__precision="bf16", train__steps=3).fit()
    assert [row["changed"] for row in kept.rows] == [1.0, 1.0, 1.0]


def test_bf16_training_repeats_bit_for_bit_and_differs_from_fp32(make):
    first, second, full = make(train__precision="bf16"), make(train__precision="bf16"), make()
    for experiment in (first, second, full):
        experiment.fit()
    assert_identical(first, second)
    assert not torch.equal(first.generator.net[0].weight, full.generator.net[0].weight)


def test_bf16_resumes_bit_for_bit(make, plugins, tmp_path):
    whole = make(train__precision="bf16", train__steps=8)
    whole.fit(tmp_path / "whole")
    make(callbacks=[StopAt(4)], train__precision="bf16", train__steps=8).fit(tmp_path / "stopped")
    resumed = Experiment.load(tmp_path / "stopped", plugins=plugins)
    assert (resumed.step, resumed.config.train.precision) == (4, "bf16")
    resumed.fit(tmp_path / "stopped")
    assert_identical(resumed, whole)


def test_fp16_keeps_its_gradient_scaler_in_checkpoints_and_resumes_bit_for_bit(make, plugins, tmp_path):
    whole = make(train__precision="fp16", train__steps=8)
    whole.fit(tmp_path / "whole")
    scaler = whole.state_dict()["scaler"]
    assert scaler["_growth_tracker"] > 0 and scaler["scale"] > 0  # it counted good steps since its last change
    assert "scaler" not in make().state_dict()  # fp32 and bf16 have none

    make(callbacks=[StopAt(4)], train__precision="fp16", train__steps=8).fit(tmp_path / "stopped")
    saved = torch.load(tmp_path / "stopped" / "checkpoints" / "last.pt", weights_only=True)
    assert saved["scaler"]["_growth_tracker"] > 0
    resumed = Experiment.load(tmp_path / "stopped", plugins=plugins)
    assert resumed.acceleration.scaler.state_dict() == saved["scaler"]
    resumed.fit(tmp_path / "stopped")
    assert_identical(resumed, whole)
    assert resumed.state_dict()["scaler"] == scaler


def test_a_checkpoint_without_a_scaler_loads_into_an_fp16_run(make):
    fp16 = make(train__precision="fp16", train__steps=2)
    state = {key: value for key, value in make(train__steps=2).state_dict().items()}  # an fp32 run's
    assert "scaler" not in state
    fp16.load_state_dict(state)
    assert fp16.acceleration.scaler.get_scale() == torch.amp.GradScaler("cpu").get_scale()  # a fresh scale
    fp16.fit()


# -- compile ---------------------------------------------------------------------------------------
def test_compiled_networks_train_and_keep_their_checkpoint_keys(make, plugins, tmp_path):
    compiled = make(train__compile=True, train__steps=2, evaluation__metrics=[])  # no sampling: less to compile
    assert all(network._compiled_call_impl is not None for network in compiled.networks.values())
    compiled.fit()
    plain = make(train__steps=2)
    for role in plain.networks:
        assert list(compiled.networks[role].state_dict()) == list(plain.networks[role].state_dict())
    assert all(torch.isfinite(p).all() for p in compiled.generator.parameters())
    compiled.save(tmp_path / "saved")
    loaded = Experiment.load(tmp_path / "saved", plugins=plugins)  # compiled again, lazily: nothing runs
    assert_identical(loaded, compiled)


@pytest.mark.parametrize(("loss", "options"), [("gradient-penalty", {}), ("hinge", {"loss.r1": 1.0})])
def test_a_loss_that_needs_double_backward_keeps_the_networks_eager_and_says_so(make, caplog, loss, options):
    dotted = {key.replace(".", "__"): value for key, value in options.items()}
    with caplog.at_level(logging.WARNING, logger="ganframe"):
        experiment = make(loss=loss, train__compile=True, train__steps=2, **dotted)
    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert (
        warnings[0]
        .getMessage()
        .startswith(
            f"train.compile is off for this run: loss '{loss}' (plugin 'extra-1-Strategies') needs double backward"
        )
    )
    assert all(network._compiled_call_impl is None for network in experiment.networks.values())
    experiment.fit()  # the penalty trains, eagerly


def test_a_loss_without_a_penalty_is_compiled(make, caplog):
    with caplog.at_level(logging.WARNING, logger="ganframe"):
        experiment = make(loss="hinge", train__compile="max-autotune")
    assert not caplog.records
    assert all(network._compiled_call_impl is not None for network in experiment.networks.values())


# -- CUDA graphs, through the CPU stand-in ---------------------------------------------------------
@pytest.fixture
def stand_in(monkeypatch):
    """Rounds on the CPU are "captured" by EagerReplay: buffered and replayed eagerly."""
    monkeypatch.setitem(graphs.BACKENDS, "cpu", graphs.EagerReplay)


def spy_draws(experiment: Experiment) -> list[tuple[str, torch.Tensor]]:
    """Every draw from the data and the noise stream, in order, with what it drew."""
    trainer, seen = experiment.trainer, []
    real, noise = trainer.draw_real_batch, trainer.draw_noise_batch

    def draw_real():
        seen.append(("real", batch := real()))
        return batch

    def draw_noise(n):
        seen.append(("noise", batch := noise(n)))
        return batch

    trainer.draw_real_batch, trainer.draw_noise_batch = draw_real, draw_noise
    return seen


@pytest.mark.parametrize(
    "options",
    [
        {},
        # G first, so G's loss reads the previous round's last real batch; two D steps
        {"strategy.order": "g-first", "strategy.d_steps": 2, "loss": "matches-real", "train.lr_decay": "linear"},
    ],
    ids=["alternating", "g-first-matches-real"],
)
def test_buffered_rounds_match_eager_ones_bit_for_bit_and_draw_in_the_same_order(make, stand_in, caplog, options):
    dotted = {key.replace(".", "__"): value for key, value in options.items()}
    kept = KeepTensors()
    eager = make(train__steps=9, **dotted)
    graphed = make(callbacks=[kept], train__steps=9, train__cuda_graph=True, **dotted)
    eager_draws, graphed_draws = spy_draws(eager), spy_draws(graphed)
    with caplog.at_level(logging.INFO, logger="ganframe"):
        eager.fit()
        graphed.fit()
    assert any("train.cuda_graph: the round is captured" in record.getMessage() for record in caplog.records)
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert_identical(graphed, eager)
    assert [kind for kind, _ in graphed_draws] == [kind for kind, _ in eager_draws]
    assert all(torch.equal(a, b) for (_, a), (_, b) in zip(graphed_draws, eager_draws))
    assert graphed.trainer.real_draws == eager.trainer.real_draws
    # each round's logs are its own, not one static tensor seen nine times
    assert len({float(logs["d_loss"]) for logs in kept.rows}) == 9


def test_a_buffered_run_resumes_bit_for_bit(make, plugins, stand_in, tmp_path):
    whole = make(train__steps=10, train__cuda_graph=True)
    whole.fit(tmp_path / "whole")
    make(callbacks=[StopAt(5)], train__steps=10, train__cuda_graph=True).fit(tmp_path / "stopped")
    resumed = Experiment.load(tmp_path / "stopped", plugins=plugins)  # warms up and captures anew
    resumed.fit(tmp_path / "stopped")
    assert_identical(resumed, whole)


@pytest.mark.parametrize(
    ("strategy", "options", "reason"),
    [
        ("declared", {}, "strategy 'declared' (plugin 'extra-1-Strategies') declares capturable = False"),
        ("rolls-back", {}, "the round uses trainer.rollback, which replaces tensors between rounds"),
        ("varying", {}, "the round's draws change from round to round"),
        ("alternating", {"train.precision": "fp16"}, "train.precision 'fp16' checks every step's gradients"),
        (
            "alternating",
            {"train.compile": "reduce-overhead"},
            "train.compile 'reduce-overhead' makes CUDA graphs of its own",
        ),
    ],
)
def test_a_round_that_cannot_be_captured_runs_eagerly_with_one_warning(
    make, stand_in, caplog, strategy, options, reason
):
    dotted = {key.replace(".", "__"): value for key, value in options.items()}
    eager = make(strategy=strategy, train__steps=6, **dotted)
    graphed = make(strategy=strategy, train__steps=6, train__cuda_graph=True, **dotted)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="ganframe"):
        eager.fit()
        graphed.fit()
    messages = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert len(messages) == 1, messages
    assert messages[0].startswith("train.cuda_graph: training rounds run eagerly, not captured: ")
    assert reason in messages[0]
    assert_identical(graphed, eager)


def test_cuda_graph_on_a_device_without_a_backend_warns_and_trains_eagerly(make, caplog):
    eager, graphed = make(), make(train__cuda_graph=True)
    with caplog.at_level(logging.WARNING, logger="ganframe"):
        eager.fit()
        graphed.fit()
    assert [record.getMessage() for record in caplog.records] == [
        "train.cuda_graph: training rounds run eagerly, not captured: CUDA graphs need a CUDA device, and this "
        "run trains on the cpu"
    ]
    assert_identical(graphed, eager)


def test_a_graphed_runs_optimizer_state_loads_back_as_the_loading_run_builds_it():
    """A graphed run checkpoints capturable Adam with tensor learning rates; an eager run (here on the
    CPU, where capturable Adam cannot step) gets back its own options and steps as before."""
    weights = torch.nn.Parameter(torch.ones(3))
    graphed = torch.optim.Adam([weights], lr=0.1)
    weights.grad = torch.ones(3)
    graphed.step()
    graphs.make_capturable(graphed, tensor_lr=True)
    assert graphed.param_groups[0]["capturable"] and isinstance(graphed.param_groups[0]["lr"], torch.Tensor)

    eager = torch.optim.Adam([weights], lr=0.1)
    options = graphs.optimizer_options(eager)
    eager.load_state_dict(graphed.state_dict())
    graphs.restore_optimizer_options(eager, options)
    group = eager.param_groups[0]
    assert group["capturable"] is False and isinstance(group["lr"], float) and group["lr"] == pytest.approx(0.1)
    assert eager.state[weights]["step"].device.type == "cpu"
    eager.step()
    assert float(eager.state[weights]["step"]) == 2
