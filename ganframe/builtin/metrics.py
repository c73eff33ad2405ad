"""Metrics for one-dimensional data: moments, 1-Wasserstein distance and Kolmogorov–Smirnov statistic.

Each compares against the data source's ``reference_distribution`` (a frozen ``scipy.stats``
distribution) when it has one, and otherwise against real samples drawn from it.

Registration only; the metrics are in :mod:`ganframe.builtin.one_dimensional` and
:mod:`ganframe.builtin.two_sample`, imported when one is built, so that ``ganframe list`` does not
import PyTorch or SciPy.
"""

from __future__ import annotations

from ganframe.hookimpl import hookimpl


def _one_dimensional():
    from . import one_dimensional  # imported when a metric is built, not when it is listed

    return one_dimensional


def _two_sample():
    from . import two_sample

    return two_sample


@hookimpl
def register_metrics(register):
    register("moments", lambda c, ctx: _one_dimensional().moments, description="mean, std, skew, excess kurtosis (1-D)")
    register(
        "wasserstein",
        lambda c, ctx: _one_dimensional().wasserstein,
        description="1-Wasserstein distance to the real data (1-D)",
    )
    register(
        "ks", lambda c, ctx: _one_dimensional().kolmogorov_smirnov, description="Kolmogorov-Smirnov statistic (1-D)"
    )
    register(
        "two-sample",
        lambda c, ctx: _two_sample().two_sample,
        description="energy-distance permutation test and per-dimension KS test against real data (low-D)",
    )


def __getattr__(name: str):  # the metrics, importable from here as before
    if name in ("moments", "wasserstein", "kolmogorov_smirnov", "one_dimensional", "REFERENCE_POINTS"):
        return getattr(_one_dimensional(), name)
    if name == "two_sample":
        return _two_sample().two_sample
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
