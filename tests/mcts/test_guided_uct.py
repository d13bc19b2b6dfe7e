"""The learner-guided search (mcts.guided): rollouts, bootstrapped leaves, PUCT, pairing."""
import numpy as np
import pytest

from common.errors import ConfigError
from envs.synthetic import FiniteMDP, chain, shifted
from mcts.config import Budget, GuidanceConfig, UCTConfig
from mcts.guide import TableGuide
from mcts.guided import GuidedUCT
from mcts.uct import UCTPlanner

SECRET = [2, 4, 1, 3]
A = 6


def secret_guide(mdp: FiniteMDP, secret=SECRET, value=None) -> TableGuide:
    """A policy that plays the secret sequence on the chain's path (and action 0 off it)."""
    S = mdp.next_state.shape[0]
    actions = np.zeros(S, np.int64)
    actions[:len(secret)] = secret
    return TableGuide.preferring(actions, mdp.num_actions, value)


def G(**kw) -> GuidanceConfig:
    """A guidance with UCB1, rollouts only and 8 lanes unless ``kw`` says otherwise."""
    return GuidanceConfig(**{"selection": "ucb1", "value_mix": 1.0, "lanes": 8, **kw})


def plan(mdp, guidance, guide, sims, **uct):
    cfg = UCTConfig(budget=Budget(sims=sims), gamma=uct.pop("gamma", 1.0), max_depth=uct.pop("max_depth", 8),
                    **uct)
    return GuidedUCT(mdp, cfg, guidance, guide, seed=0)


def test_learner_rollouts_are_driven_by_the_network():
    mdp = chain(SECRET, A)
    guide = secret_guide(mdp)
    learner = plan(mdp, G(rollout="learner", rollout_epsilon=0.0, lanes=3), guide, sims=A,
                   exploration=1000.0).decide(0, 0)
    assert learner.action == SECRET[0]
    assert learner.q[SECRET[0]] == 1.0                      # the policy's continuation wins
    assert np.nanmax(np.delete(learner.q, SECRET[0])) == 0.0
    assert guide.calls > 0
    random = plan(chain(SECRET, A), G(rollout="random", lanes=3), None, sims=A,
                  exploration=1000.0).decide(0, 0)
    assert np.nanmax(random.q) == 0.0                       # a random continuation finds nothing


def test_bootstrapped_leaf_equals_the_formula_on_a_small_chain():
    # 0 -a-> 1 -> 2 -> 3 -> 4 ..., reward r_s for leaving state s, whatever the action
    S, gamma = 8, 0.9
    r = np.array([0.5, 1.0, -2.0, 4.0, 8.0, 0.0, 0.0, 0.0])
    nxt = np.minimum(np.arange(S)[:, None] + 1, S - 1).repeat(2, axis=1)
    mdp = FiniteMDP(nxt, r[:, None].repeat(2, axis=1), np.zeros((S, 2), bool))
    V = np.array([10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0])
    guide = TableGuide(np.log(np.full((S, 2), 0.5)), V)
    for lam in (1.0, 0.25, 0.0):
        g = G(rollout="random", rollout_depth=2, bootstrap=True, value_mix=lam, lanes=1)
        d = plan(mdp, g, guide, sims=1, gamma=gamma, skip_rule=False).decide(0, 0)
        # one simulation: expand a root action into state 1, roll 2 steps to state 3, bootstrap
        z = r[1] + gamma * r[2] + gamma ** 2 * V[3]
        want = r[0] + gamma * ((1 - lam) * V[1] + lam * z)
        assert np.nanmax(d.q) == pytest.approx(want, abs=1e-12), lam
        assert (d.visits > 0).sum() == 1


def test_puct_with_a_one_hot_prior_needs_fewer_simulations_than_ucb1():
    def first_budget(selection):
        for sims in range(1, 400):
            mdp = chain(SECRET, A)
            g = G(rollout="random", selection=selection, lanes=1)
            d = plan(mdp, g, secret_guide(mdp) if selection == "puct" else None, sims=sims,
                     reuse_tree=False).decide(0, 0)
            if d.action == SECRET[0] and d.q[SECRET[0]] > 0:
                return sims
        return 400

    puct, ucb = first_budget("puct"), first_budget("ucb1")
    assert puct <= len(SECRET)          # straight down the prior
    assert ucb > 4 * puct


def test_lanes_with_common_numbers_recover_a_constant_shift_exactly():
    shift = np.array([0.0, 0.5, -1.0, 2.0])
    K = 16
    g = G(rollout="random", lanes=4)
    d = plan(shifted(list(shift), states=12, seed=3), g, None, sims=K * len(shift), exploration=1000.0,
             max_depth=6, rollout_noise="common").decide(0, 0)
    assert (d.visits == K).all()
    np.testing.assert_allclose(d.q - d.q[0], shift - shift[0], atol=1e-12)
    indep = plan(shifted(list(shift), states=12, seed=3), g, None, sims=K * len(shift), exploration=1000.0,
                 max_depth=6).decide(0, 0)
    assert np.abs((indep.q - indep.q[0]) - (shift - shift[0])).max() > 0.05


def test_the_same_seed_gives_the_same_decisions_and_lanes_count_their_frames():
    def run():
        mdp = chain(SECRET, A)
        p = plan(mdp, G(rollout="learner", rollout_epsilon=0.3, lanes=4), secret_guide(mdp), sims=40)
        return [p.decide(0, t) for t in range(3)], p

    (a, pa), (b, _) = run(), run()
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.q, y.q)
        np.testing.assert_array_equal(x.visits, y.visits)
    assert sum(d.frames for d in a) == pa.frames > pa.model.frames   # the lanes' frames count


def test_without_a_network_the_guided_search_is_uct_with_leaf_batches():
    mdp = chain([1, 0], 3)
    d = plan(mdp, G(rollout="random", lanes=4), None, sims=60).decide(0, 0)
    ref = UCTPlanner(chain([1, 0], 3), UCTConfig(budget=Budget(sims=60), gamma=1.0, max_depth=8)).decide(0, 0)
    assert d.action == ref.action == 1
    assert d.visits.sum() == 60


@pytest.mark.parametrize("field, guidance", [
    ("rollout", G(rollout="learner")),
    ("selection", G(rollout="random", selection="puct")),
    ("bootstrap", G(rollout="random", bootstrap=True)),
    ("value_mix", G(rollout="random", value_mix=0.5)),
])
def test_options_that_need_a_network_refuse_to_run_without_one(field, guidance):
    with pytest.raises(ConfigError, match="needs a policy network") as err:
        plan(chain(SECRET, A), guidance, None, sims=4)
    assert err.value.field == field


def test_a_value_option_refuses_a_network_without_a_value_head():
    mdp = chain(SECRET, A)
    with pytest.raises(ConfigError, match="value head") as err:
        plan(mdp, G(rollout="random", bootstrap=True), secret_guide(mdp), sims=4)
    assert err.value.field == "bootstrap"


def test_weight_and_value_come_with_every_searched_decision():
    mdp = chain(SECRET, A)
    d = plan(mdp, G(rollout="learner", rollout_epsilon=0.0), secret_guide(mdp), sims=24,
             exploration=1000.0).decide(0, 0)
    assert d.weight == 1.0                    # 1 against 0 with no spread: fully significant
    assert d.value == pytest.approx(np.nansum(d.q * d.visits) / d.visits.sum())


def test_the_guided_frame_budget_replaces_the_planners():
    mdp = chain(SECRET, A)
    cfg = UCTConfig(budget=Budget(frames=400), gamma=1.0, max_depth=8, reuse_tree=False)
    own = GuidedUCT(mdp, cfg, G(rollout="random", lanes=1), None, seed=0).decide(0, 0)
    guided = GuidedUCT(chain(SECRET, A), cfg, G(rollout="random", lanes=1, frames=40), None, seed=0).decide(0, 0)
    assert own.frames >= 400
    assert 40 <= guided.frames < 40 + 8    # at most one rollout past the budget
    with pytest.raises(ConfigError, match="guidance.frames"):
        G(frames=0)


def test_merged_aliases_give_their_prior_to_their_representative():
    from envs.synthetic import bandit

    model = bandit([0.0, 1.0, 0.5, 1.0])   # arms 1 and 3 are aliases
    prior = np.log(np.array([[0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25]]))
    planner = GuidedUCT(model, UCTConfig(budget=Budget(sims=20), max_depth=2, merge_aliases=True),
                        GuidanceConfig(selection="puct", value_mix=1.0), TableGuide(prior), seed=0)
    stats = planner.search(0, 0)
    np.testing.assert_allclose(planner.tree.prior[0], [0.1, 0.6, 0.3, 0.0])
    assert stats.visits[3] == 0 and stats.visits.sum() == 20


def test_a_puct_decision_carries_the_root_prior_it_selected_with():
    from envs.synthetic import bandit

    prior = np.log(np.array([[0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25]]))
    cfg = UCTConfig(budget=Budget(sims=20), max_depth=2, merge_aliases=True)
    d = GuidedUCT(bandit([0.0, 1.0, 0.5, 1.0]), cfg, GuidanceConfig(selection="puct", value_mix=1.0),
                  TableGuide(prior), seed=0).decide(0, 0)
    np.testing.assert_allclose(d.prior, [0.1, 0.6, 0.3, 0.0])   # the alias's mass on its representative
    ucb1 = GuidedUCT(bandit([0.0, 1.0, 0.5, 1.0]), cfg, GuidanceConfig(selection="ucb1", value_mix=1.0),
                     TableGuide(prior), seed=0).decide(0, 0)
    assert ucb1.prior is None
