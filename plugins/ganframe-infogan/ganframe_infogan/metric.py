"""The ``infogan-codes`` metric: does the categorical code decide the digit?

For each of the 10 values k of the categorical code, ``PER_CODE`` samples are generated with the
code fixed to k and fresh z and continuous codes (drawn from the metric context's seeded
generator), and classified by the MNIST plugin's LeNet. Then

* ``purity``: the share of all samples whose predicted digit is the majority digit of their code
  (1.0 when every code makes one digit; about 0.1 to 0.2 when the code is ignored);
* ``digits_covered``: how many distinct digits are the majority digit of some code (10 when the
  codes map one-to-one onto the digits; a code that splits a digit with another leaves one out).

It needs MNIST (its classifier) and the ``infogan`` noise with 10 categories.
"""

from __future__ import annotations

import torch
from ganframe_mnist.data import Mnist
from ganframe_mnist.metrics import classifier_for

from ganframe import ConfigError

from .noise import InfoGanNoise

PER_CODE = 1_000  # samples per value of the categorical code
CHUNK = 2_000


def code_statistics(codes: torch.Tensor, digits: torch.Tensor, categories: int) -> dict[str, float]:
    """``purity`` and ``digits_covered`` of predicted ``digits`` (N,) grouped by ``codes`` (N,) in 0..categories-1."""
    table = torch.zeros(categories, 10, dtype=torch.long)  # (code, digit) counts
    table.index_put_((codes, digits), torch.ones_like(codes), accumulate=True)
    majority = table.argmax(1)  # (categories,)
    purity = float(table.max(1).values.sum()) / len(codes)
    return {"purity": purity, "digits_covered": float(len(set(majority[table.sum(1) > 0].tolist())))}


class CodePurity:
    """Generates ``per_code`` samples for each category value and scores them (see the module docstring)."""

    def __init__(self, noise: InfoGanNoise, per_code: int = PER_CODE) -> None:
        self.noise, self.per_code = noise, per_code

    @torch.no_grad()
    def __call__(self, samples: torch.Tensor, context) -> dict[str, float]:
        generator = context.networks["generator"]
        classifier = classifier_for(context.data)
        k = self.noise.categories
        z, _, continuous = self.noise.sample_parts(
            k * self.per_code, generator=context.generator, device=torch.device("cpu")
        )
        codes = torch.arange(k).repeat_interleave(self.per_code)  # (k · per_code,): 0 0 ... 1 1 ...
        noise = self.noise.with_codes(z, codes, continuous)  # (k · per_code, dim)
        was_training = generator.training
        generator.eval()
        try:
            images = torch.cat(
                [context.data.to_data_space(generator(part.to(context.device))).cpu() for part in noise.split(CHUNK)]
            )  # (k · per_code, 1, 28, 28) in [0, 1]
        finally:
            generator.train(was_training)
        _, digits = classifier.features_and_classes(images)  # (k · per_code,)
        return code_statistics(codes, digits.cpu(), k)


def make_code_purity(config, context) -> CodePurity:
    """The metric, after checking (one line each) that it can mean something in this experiment."""
    if not isinstance(context.data, Mnist):
        raise ConfigError(
            f"metric 'infogan-codes' classifies samples with the MNIST plugin's classifier: it needs "
            f"the 'mnist' data source, not {type(context.data).__name__}"
        )
    noise = context.noise
    if not isinstance(noise, InfoGanNoise):
        raise ConfigError(
            f"metric 'infogan-codes' fixes the categorical code of the 'infogan' noise; this "
            f'experiment\'s noise is {type(noise).__name__}: set [noise] name = "infogan"'
        )
    if noise.categories != 10:
        raise ConfigError(
            f"metric 'infogan-codes' matches the categorical code to MNIST's 10 digits: it needs "
            f"noise.categories = 10, not {noise.categories}"
        )
    return CodePurity(noise)
