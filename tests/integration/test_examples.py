"""The examples/ files that name bundled setups are valid for them."""

from __future__ import annotations

from pathlib import Path


def test_the_example_sweep_file_is_valid():
    # examples/gaussian-sweep.toml, which README and docs/sweeps.md run, parses and validates
    from ganframe.plugins import load_plugins
    from ganframe.sweep import load_sweep, validate
    from ganframe.sweep.spec import baseline_params

    spec = load_sweep(Path(__file__).resolve().parents[2] / "examples" / "gaussian-sweep.toml")
    plugins = load_plugins()
    assert "wasserstein" in validate(spec, plugins)
    assert spec.name == "gaussian-sweep" and spec.trials == 24 and spec.seeds == (0, 1, 2)
    params, problem = baseline_params(spec, plugins)
    assert problem is None and params == {
        "generator.optimizer.lr": 0.0005,
        "discriminator.optimizer.lr": 0.002,
        "train.batch_size": 1024,
        "loss": "non-saturating",
    }
