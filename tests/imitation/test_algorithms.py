"""Algorithm objects hold their schedules and head: library defaults, settings by field,
the trained policy's head derived from the algorithm, and the config serialised from them."""
from __future__ import annotations

import pytest

from common.errors import ConfigError
from common.rundir import to_jsonable
from envs.atari import AtariConfig
from imitation.algorithms import (ALGORITHMS, DAgger, DAggerMix, ExpertIteration, Plato, PlannerActs,
                                  UCTClassification, UCTRegression, build_algorithm, learner_policy)
from imitation.collect import CollectConfig
from imitation.compare_atari import method_runs, round0_labels_key
from imitation.evaluate import EvalProtocol
from imitation.policy import PolicyConfig
from imitation.rounds import DistillConfig
from imitation.schedules import ConstantBeta, ExponentialBeta, GeometricLambda, IndicatorBeta, LinearBeta
from imitation.train_policy import TrainConfig
from mcts.config import UCTConfig


def _run(algorithm, policy=None) -> DistillConfig:
    return DistillConfig(algorithm=algorithm, game="Pong", rounds=3, episodes_per_round=2, seed=0,
                         collect=CollectConfig("Pong", AtariConfig(), UCTConfig(), None),
                         policy=policy or learner_policy(algorithm), train=TrainConfig(), eval=EvalProtocol())


def test_the_defaults_are_the_library_s():
    assert build_algorithm("dagger") == DAgger(IndicatorBeta(), 0.05, "classification")
    assert build_algorithm("plato") == Plato(GeometricLambda(1.0, 0.5), "classification")
    assert build_algorithm("dagger", beta=ExponentialBeta(0.5)).beta == ExponentialBeta(0.5)
    assert build_algorithm("dagger", beta=None, epsilon=None).epsilon == 0.05   # None: the default
    assert set(ALGORITHMS) == {"uct-classification", "uct-regression", "dagger", "plato", "exit"}


def test_a_setting_the_algorithm_does_not_take_is_refused_by_its_field():
    for name, key, value in (("uct-classification", "head", "regression"), ("plato", "beta", LinearBeta()),
                             ("dagger", "lam", GeometricLambda()), ("uct-regression", "epsilon", 0.1)):
        with pytest.raises(ConfigError) as err:
            build_algorithm(name, **{key: value})
        assert err.value.field == key and name in err.value.problem
    with pytest.raises(ConfigError) as err:
        DAgger(head="ranking")
    assert err.value.field == "head"
    with pytest.raises(ConfigError) as err:
        build_algorithm("exit-maybe")
    assert err.value.field == "algorithm"


def test_the_policy_head_is_derived_from_the_algorithm():
    assert learner_policy(UCTClassification()).head == "classification"
    assert learner_policy(UCTRegression(), q_weights="visits") == PolicyConfig(head="regression", q_weights="visits")
    assert learner_policy(DAgger(head="regression"), tau=0.2).tau == 0.2
    assert learner_policy(Plato(), target="visits").target == "visits"
    for algorithm, key, value in ((UCTClassification(), "tau", 0.2), (DAgger(), "q_weights", "visits"),
                                  (UCTRegression(), "target", "visits")):
        with pytest.raises(ConfigError) as err:
            learner_policy(algorithm, **{key: value})
        assert err.value.field == key
    with pytest.raises(ConfigError) as err:   # a policy that is not the algorithm's
        _run(UCTRegression(), PolicyConfig(head="classification"))
    assert err.value.field == "policy.head"


def test_the_config_names_algorithm_schedule_and_head():
    run = to_jsonable(_run(DAgger(ExponentialBeta(0.25), head="regression", label_every=3)))
    assert run["algorithm"] == {"name": "dagger", "beta": {"name": "exponential", "p": 0.25}, "epsilon": 0.05,
                                "head": "regression", "label_every": 3}
    assert run["policy"]["head"] == "regression"
    assert to_jsonable(Plato())["lam"] == {"name": "geometric", "initial": 1.0, "ratio": 0.5}
    assert to_jsonable(UCTRegression()) == {"name": "uct-regression", "head": "regression"}
    # every schedule serialises differently, so a resumed run sees a changed one
    schedules = [to_jsonable(s) for s in (IndicatorBeta(), LinearBeta(), ExponentialBeta(0.5), ExponentialBeta(0.6))]
    assert all(a != b for i, a in enumerate(schedules) for b in schedules[i + 1:])


def test_compare_builds_each_method_from_the_same_defaults_and_the_flags_that_apply():
    shared = _run(UCTClassification())
    settings = {"beta": ExponentialBeta(0.5), "lam": None, "epsilon": None, "head": "regression"}
    runs = method_runs(("uct-classification", "uct-regression", "dagger", "plato"), shared, settings,
                       {"target": None, "tau": 0.3, "q_weights": None})
    assert [r.algorithm for r in runs] == [UCTClassification(), UCTRegression(),
                                           DAgger(ExponentialBeta(0.5), head="regression"), Plato(head="regression")]
    assert [r.policy.head for r in runs] == ["classification", "regression", "regression", "regression"]
    assert [r.policy.tau for r in runs] == [0.1, 0.3, 0.3, 0.3]   # tau only where the head uses it
    assert all(r.collect == shared.collect and r.rounds == shared.rounds for r in runs)
    with pytest.raises(ConfigError) as err:
        method_runs(("uct-classification",), shared, {"beta": LinearBeta()}, {})
    assert err.value.field == "beta"
    with pytest.raises(ConfigError) as err:
        method_runs(("dagger",), shared, {}, {"q_weights": "visits"})
    assert err.value.field == "q_weights"


def test_compare_shares_round_0_between_the_methods_whose_round_0_is_the_planner_s_alone():
    from dataclasses import replace

    keys = [round0_labels_key(_run(a)) for a in (
        UCTClassification(), UCTRegression(), DAgger(), DAgger(ExponentialBeta(0.5)), ExpertIteration())]
    assert None not in keys and len(set(keys)) == 1
    # round 0 depends on the method's own network: PLATO's teacher, a learner that drives round 0
    assert round0_labels_key(_run(Plato())) is None
    assert round0_labels_key(_run(DAgger(ConstantBeta(0.5)))) is None
    # ... and on the seed and the collection settings
    base = _run(UCTClassification())
    assert round0_labels_key(replace(base, seed=1)) != keys[0]
    assert round0_labels_key(replace(base, episodes_per_round=3)) != keys[0]
    assert round0_labels_key(replace(base, collect=replace(base.collect, uct=UCTConfig(max_depth=7)))) != keys[0]


def test_exit_s_planner_acts_unless_its_schedule_lets_the_learner_drive():
    assert [ExpertIteration().rule(r, 4) for r in range(4)] == [PlannerActs()] * 4
    exit = build_algorithm("exit", beta=ExponentialBeta(0.5), epsilon=0.1)
    assert [exit.rule(r, 4) for r in range(3)] == [PlannerActs(), DAggerMix(0.5, 0.1), DAggerMix(0.25, 0.1)]
    assert exit.guidance_of(0) is None and exit.guidance_of(1) == ExpertIteration().guidance
    assert to_jsonable(ExpertIteration())["beta"] == {"name": "constant", "p": 1.0}
    assert build_algorithm("exit", beta=ConstantBeta(0.0)).rule(0, 2) == DAggerMix(0.0, 0.05)
    with pytest.raises(ConfigError) as err:
        ExpertIteration(epsilon=1.5)
    assert err.value.field == "epsilon"


def test_exit_s_early_guidance_guides_the_rounds_before_guidance_from():
    from imitation.algorithms import algorithm_from_json
    from mcts.config import GuidanceConfig

    guidance = GuidanceConfig(rollout="learner", value_mix=1.0)
    early = GuidanceConfig(rollout="random", value_mix=1.0)
    exit = build_algorithm("exit", guidance=guidance, early_guidance=early, guidance_from=3)
    assert exit.guidance_of(0) is None
    assert exit.guidance_of(1) == exit.guidance_of(2) == early
    assert exit.guidance_of(3) == exit.guidance_of(9) == guidance
    assert algorithm_from_json(to_jsonable(exit)) == exit
    assert build_algorithm("exit", guidance=guidance).guidance_of(1) == guidance   # default: from round 1
    for bad, settings in (("must be >= 1", {"guidance_from": 0}),
                          ("go together", {"guidance_from": 2}),
                          ("go together", {"early_guidance": early})):
        with pytest.raises(ConfigError, match=bad) as err:
            build_algorithm("exit", **settings)
        assert err.value.field == "guidance_from"
    with pytest.raises(ConfigError, match="is a setting of exit, not of dagger"):
        build_algorithm("dagger", guidance_from=2)


def test_an_algorithm_reads_back_from_its_config_json():
    from imitation.algorithms import algorithm_from_json
    from mcts.config import GuidanceConfig

    for algorithm in (UCTClassification(), UCTRegression(), DAgger(LinearBeta(), 0.2, "regression"),
                      Plato(GeometricLambda(2.0, 0.25)),
                      ExpertIteration(GuidanceConfig(selection="ucb1", frames=200), ExponentialBeta(0.7), 0.1)):
        assert algorithm_from_json(to_jsonable(algorithm)) == algorithm
    assert algorithm_from_json({"name": "exit"}) == ExpertIteration()   # what it lacks: the default
