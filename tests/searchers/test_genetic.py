"""GeneticAlgorithm: a random initial population, then elitist breeding by tournament, crossover and mutation."""

from __future__ import annotations

import math

import pytest
import torch

from bohpo.searchers import GeneticAlgorithm, RandomSearch, make_searcher
from bohpo.searchers.genetic import _reflect, unit_rows
from bohpo.space import Categorical, Float, Int, Space


def _space(d: int = 6) -> Space:
    return Space({f"x{i}": Float(-1.0, 1.0) for i in range(d)})


def test_unit_rows_inverts_from_unit_on_every_kind_of_parameter_and_on_trees() -> None:
    space = Space(
        {"model": Categorical(["svm", "knn"]), "C": Float(1e-3, 1e3, log=True), "k": Int(1, 50, log=True),
         "w": Int(-3, 3), "x": Float(0.0, 1.0)},
        conditions={"C": {"model": "svm"}, "k": {"model": "knn"}},
    )  # fmt: skip
    configs = space.sample(50, generator=torch.Generator().manual_seed(0))
    U = unit_rows(space, configs)
    assert space.from_unit(U.nan_to_num(0.5)) == configs
    inactive = U.isnan()
    assert inactive[:, 1].tolist() == [c["model"] == "knn" for c in configs]
    assert inactive[:, 2].tolist() == [c["model"] == "svm" for c in configs]


def test_the_initial_population_is_random_search() -> None:
    space = _space()
    genetic, random = GeneticAlgorithm(space, population_size=5, seed=3), RandomSearch(space, seed=3)
    for _ in range(5):
        a, b = genetic.ask(), random.ask()
        assert a.params == b.params
        genetic.tell(a, 1.0)
        random.tell(b, 1.0)
    assert genetic.ask().params != random.ask().params  # bred from the population now


def test_the_population_is_the_best_complete_trials_so_the_best_is_never_lost() -> None:
    searcher = GeneticAlgorithm(_space(2), population_size=3, seed=0)
    values = [5.0, 1.0, 4.0, 2.0, 3.0]
    for value in values:
        searcher.tell(searcher.ask(), value)
    assert [t.value for t in searcher.population] == [1.0, 2.0, 3.0]
    maximising = GeneticAlgorithm(_space(2), population_size=3, seed=0, direction="maximize")
    for value in values:
        maximising.tell(maximising.ask(), value)
    assert [t.value for t in maximising.population] == [5.0, 4.0, 3.0]


def test_without_mutation_children_are_made_of_their_parents_values() -> None:
    """Crossover alone: every parameter of a child is some population member's value of that parameter, except one
    mutation when a child would copy a parent (never an evaluation spent on a copy)."""
    space = _space(8)
    searcher = GeneticAlgorithm(space, population_size=6, mutation_rate=0.0, crossover_rate=1.0, seed=1)
    for trial in searcher.ask(6):
        searcher.tell(trial, sum(trial.params.values()))
    members = [t.params for t in searcher.population]
    keys = {space.key(m) for m in members}
    foreign = []
    for trial in searcher.ask(40):
        assert space.key(trial.params) not in keys
        foreign.append(sum(trial.params[n] not in {m[n] for m in members} for n in space.names))
    assert max(foreign) <= 1 and foreign.count(0) >= 25


def test_a_numeric_mutation_is_a_gaussian_step_of_the_given_scale_and_a_categorical_one_changes_the_choice() -> None:
    """Monte Carlo against the closed form: from x = 0 on [-1, 1] (encoded 0.5) a step of scale 0.1 of the encoded
    range has standard deviation 0.2 in x, and rarely reaches a bound."""
    space = Space({"x": Float(-1.0, 1.0), "c": Categorical(["a", "b", "c"])})
    searcher = GeneticAlgorithm(space, mutation_rate=1.0, mutation_scale=0.1, seed=0)
    parent = unit_rows(space, [{"x": 0.0, "c": "b"}])[0]
    generator = torch.Generator().manual_seed(0)
    children = torch.stack([searcher._mutate(parent, torch.ones(2, dtype=torch.bool), generator) for _ in range(4000)])
    x = children[:, 0] * 2 - 1
    assert abs(float(x.mean())) < 0.01 and float(x.std()) == pytest.approx(0.2, rel=0.05)
    choices = space.from_unit(children)
    counts = {c: sum(row["c"] == c for row in choices) for c in ("a", "b", "c")}
    assert counts["b"] == 0 and abs(counts["a"] - counts["c"]) < 200


def test_reflection_keeps_steps_in_the_cube() -> None:
    u = torch.tensor([-0.3, 0.2, 1.25, 2.6, -1.7])
    assert _reflect(u).tolist() == pytest.approx([0.3, 0.2, 0.75, 0.6, 0.3])


def test_it_beats_random_search_on_a_separable_problem() -> None:
    d, budget = 8, 300
    space = _space(d)

    def rastrigin(params: dict[str, float]) -> float:
        return sum(10 * v * v - math.cos(2 * math.pi * 2 * v) + 1 for v in params.values())

    def best(searcher: GeneticAlgorithm | RandomSearch) -> float:
        for _ in range(budget):
            trial = searcher.ask()
            searcher.tell(trial, rastrigin(trial.params))
        assert searcher.best is not None and searcher.best.value is not None
        return searcher.best.value

    genetic = [best(GeneticAlgorithm(space, seed=s)) for s in range(4)]
    random = [best(RandomSearch(space, seed=s)) for s in range(4)]
    assert max(genetic) < min(random)


def test_bad_settings_are_refused_by_name() -> None:
    space = _space(2)
    for kwargs, name in [({"population_size": 1}, "population_size"), ({"tournament_size": 0}, "tournament_size"),
                         ({"crossover_rate": 1.5}, "crossover_rate"), ({"mutation_rate": -0.1}, "mutation_rate"),
                         ({"mutation_scale": 0.0}, "mutation_scale")]:  # fmt: skip
        with pytest.raises(ValueError, match=name):
            GeneticAlgorithm(space, **kwargs)  # type: ignore[arg-type]
    assert isinstance(make_searcher("genetic", space, seed=0), GeneticAlgorithm)
