"""One seed decides everything: the same seed gives bit-identical results, another seed different ones."""

from __future__ import annotations

import torch


def weights(experiment) -> list[torch.Tensor]:
    return [
        t.detach().clone()
        for net in (experiment.generator, experiment.discriminator)
        for t in net.state_dict().values()
    ]


def all_equal(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
    return len(a) == len(b) and all(torch.equal(x, y) for x, y in zip(a, b))


def test_same_seed_gives_bit_identical_weights_samples_and_metrics(make_experiment):
    first, second = make_experiment(seed=5), make_experiment(seed=5)
    assert all_equal(weights(first), weights(second))  # initialisation
    report_a, report_b = first.fit(), second.fit()
    assert all_equal(weights(first), weights(second))
    assert torch.equal(first.sample(500), second.sample(500))
    assert report_a["metrics"] == report_b["metrics"]


def test_different_seeds_give_different_initialisations_and_samples(make_experiment):
    first, second = make_experiment(seed=5), make_experiment(seed=6)
    assert not all_equal(weights(first), weights(second))
    first.fit()
    second.fit()
    assert not torch.equal(first.sample(100), second.sample(100))


def test_the_callers_global_random_state_changes_nothing(make_experiment, global_draws):
    torch.manual_seed(1)
    first_draws, second_draws = global_draws(), global_draws()
    first = make_experiment(seed=2, callbacks=[first_draws])
    first.fit()
    torch.manual_seed(999)
    torch.rand(1000)  # consume some global randomness
    second = make_experiment(seed=2, callbacks=[second_draws])
    torch.rand(10)
    second.fit()
    assert torch.equal(first.sample(200), second.sample(200))
    assert first_draws.draws == second_draws.draws  # training seeds the global generator from the run's seed
    other = global_draws()
    make_experiment(seed=3, callbacks=[other]).fit()
    assert other.draws != first_draws.draws


def test_building_an_experiment_leaves_the_global_random_state_alone(make_experiment):
    torch.manual_seed(42)
    expected = torch.rand(5)
    torch.manual_seed(42)
    make_experiment()
    assert torch.equal(torch.rand(5), expected)


def test_sampling_is_a_pure_function_of_the_model_and_the_sampling_seed(make_experiment):
    experiment = make_experiment(seed=4)
    experiment.fit()
    default = experiment.sample(300)
    assert torch.equal(experiment.sample(300), default)  # sampling consumes no training state
    assert torch.equal(experiment.sample(300, seed=4), default)  # the default sampling seed is the run's
    other = experiment.sample(300, seed=5)
    assert not torch.equal(other, default) and torch.equal(experiment.sample(300, seed=5), other)


def test_evaluation_is_repeatable(make_experiment):
    experiment = make_experiment(seed=4)
    experiment.fit()
    assert experiment.evaluate() == experiment.evaluate()
    assert experiment.evaluate(100) != experiment.evaluate(300)
