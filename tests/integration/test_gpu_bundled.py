"""CUDA checks of bundled setups: run only where a GPU is present (skipped elsewhere)."""

from __future__ import annotations

import logging

import pytest
import torch

from ganframe import Experiment

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]

QUIET = {"logging.plots": False, "logging.report": False}


def test_setups_with_extras_capture_their_rounds(caplog):
    """ring's default: EMA of G, minibatch std in D; mnist-free, so it runs anywhere."""
    experiment = Experiment.from_setup(
        "ring", seed=0, steps=8, device="cuda", overrides={**QUIET, "train.cuda_graph": True, "train.batch_size": 64}
    )
    with caplog.at_level(logging.INFO, logger="ganframe"):
        experiment.fit()
    assert any("the round is captured" in record.getMessage() for record in caplog.records)
    assert not [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]
