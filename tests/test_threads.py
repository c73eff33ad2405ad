"""``train.threads``: how many CPU threads PyTorch uses while an experiment trains."""

from __future__ import annotations

import pytest
import torch

from ganframe import ConfigError, hookimpl
from ganframe.errors import PluginError


class ThreadsSeen:
    """A callback that records PyTorch's thread count at every step."""

    def __init__(self) -> None:
        self.seen: list[int] = []

    @hookimpl
    def on_step_end(self, experiment, step, logs):
        self.seen.append(torch.get_num_threads())


def test_threads_apply_during_fit_and_are_restored_after(make_experiment):
    before = torch.get_num_threads()
    wanted = 1 if before != 1 else 2
    seen = ThreadsSeen()
    make_experiment(callbacks=[seen], train__threads=wanted).fit()
    assert seen.seen == [wanted] * 6
    assert torch.get_num_threads() == before


def test_threads_are_restored_when_training_fails(make_experiment):
    before = torch.get_num_threads()
    wanted = 1 if before != 1 else 2
    when_it_failed = []

    class Fails:
        @hookimpl
        def on_step_end(self, experiment, step, logs):
            if step == 3:
                when_it_failed.append(torch.get_num_threads())
                raise RuntimeError("boom")

    with pytest.raises(PluginError, match="RuntimeError: boom"):
        make_experiment(callbacks=[Fails()], train__threads=wanted).fit()
    assert when_it_failed == [wanted]  # the count applied while it trained
    assert torch.get_num_threads() == before


def test_unset_threads_leave_pytorch_alone(make_experiment):
    before = torch.get_num_threads()
    seen = ThreadsSeen()
    make_experiment(callbacks=[seen]).fit()
    assert seen.seen == [before] * 6


@pytest.mark.parametrize("value", [0, -1, "two"])
def test_a_bad_thread_count_names_the_field(make_experiment, value):
    with pytest.raises(ConfigError, match="threads"):
        make_experiment(train__threads=value)
