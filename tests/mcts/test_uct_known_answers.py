"""UCT finds the known best action on small deterministic problems."""
import numpy as np
import pytest

from envs.synthetic import bandit, chain, trap
from mcts.config import Budget, UCTConfig
from mcts.uct import UCTPlanner


def planner_for(model, sims, depth, c=1.0, seed=0, **options):
    return UCTPlanner(model, UCTConfig(budget=Budget(sims=sims), max_depth=depth, exploration=c, **options),
                      seed=seed)


def decide(model, sims, depth, c=1.0, seed=0):
    return planner_for(model, sims, depth, c, seed).decide(model.clone_state(), 0)


def play_sequence(planner, model, steps, after_step=None):
    """The real actions ``planner`` plays for ``steps`` decisions from the model's start;
    ``after_step(t)`` runs after each real step."""
    state, actions = model.start, []
    for t in range(steps):
        a = planner.decide(state, t).action
        model.restore_state(state)
        model.step(a)
        state = model.clone_state()
        actions.append(a)
        if after_step is not None:
            after_step(t)
    return actions


@pytest.mark.parametrize("seed", range(3))
def test_bandit_best_arm(seed):
    means = [0.2, 0.5, 0.9, 0.4]
    d = decide(bandit(means), sims=40, depth=3, seed=seed)
    assert d.action == 2
    np.testing.assert_allclose(d.q, means)
    assert d.visits.sum() == 40 and d.visits.argmax() == 2


def test_deep_chain_only_one_sequence_pays():
    secret = [2, 0, 1, 1, 2, 0]
    model = chain(secret, num_actions=3)
    d = decide(model, sims=3000, depth=len(secret))
    assert d.action == secret[0]
    assert 0.5 < d.q[secret[0]] <= 0.99 ** 5   # found: a mean approaching the discounted payoff
    assert np.nanmax(np.delete(d.q, secret[0])) == 0.0
    # and it plays the whole sequence
    assert play_sequence(planner_for(model, sims=3000, depth=6), model, len(secret)) == secret


def test_deep_chain_not_found_with_too_little_budget():
    """The chain is hard: a budget far below the 3^6 leaves does not find it by luck."""
    d = decide(chain([2, 0, 1, 1, 2, 0], 3), sims=30, depth=6)
    assert np.nanmax(d.q) == 0.0


def test_trap_greedy_first_reward_loses():
    model = trap(bait=1.0, penalty=-1.0, safe=0.5, length=3)
    d = decide(model, sims=100, depth=4)
    assert model.reward[0, 0] > model.reward[0, 1]     # greedy would take the bait
    assert d.action == 1
    assert d.q[1] > 0 > d.q[0]


def test_most_visited_final_action():
    model = bandit([0.2, 0.9])
    cfg = UCTConfig(budget=Budget(sims=20), max_depth=2, exploration=1.0, final_action="visits")
    assert UCTPlanner(model, cfg).decide(model.clone_state(), 0).action == 1


def test_skip_rule_when_every_action_leads_to_the_same_state():
    model = bandit([0.3, 0.3, 0.3])   # every arm: same reward, same next state
    d = decide(model, sims=10, depth=2)
    assert d.skipped and d.visits.sum() == 0 and np.isnan(d.q).all()
    assert d.frames == 3               # one step per action to find out, nothing more
    d = UCTPlanner(model, UCTConfig(budget=Budget(sims=10), max_depth=2, skip_rule=False)).decide(0, 0)
    assert not d.skipped and d.visits.sum() == 10


def test_frame_budget_is_respected_and_terminates_on_exhausted_trees():
    model = bandit([0.1, 0.2])
    planner = UCTPlanner(model, UCTConfig(budget=Budget(frames=1000), max_depth=3))
    d = planner.decide(model.clone_state(), 0)   # every path ends after 1 step: the tree is exhausted
    assert d.action == 1 and d.frames <= 1000


def test_merged_aliases_are_labelled_as_their_lowest_action():
    means = [0.0, 1.0, 0.5, 1.0]   # arms 1 and 3: the same reward and the same next state
    for seed in range(8):
        d = planner_for(bandit(means), sims=40, depth=3, seed=seed, merge_aliases=True).decide(0, 0)
        assert d.action == 1 and d.visits[3] == 0 and np.isnan(d.q[3]) and d.visits.sum() == 40
        np.testing.assert_allclose(d.q[:3], means[:3])
    unmerged = [planner_for(bandit(means), sims=40, depth=3, seed=seed).decide(0, 0) for seed in range(8)]
    assert {d.action for d in unmerged} == {1, 3}   # without merging, the tie goes either way
    assert all(d.visits[3] > 0 for d in unmerged)


def test_merging_aliases_finds_a_secret_with_fewer_simulations():
    """On a chain every wrong action leads to the same off-path state, so the root's five
    wrong actions are one: the merged search spends its budget on two root actions."""
    secret = [2, 0, 5]
    found = {merge: sum(planner_for(chain(secret, 6), sims=80, depth=3, seed=seed, merge_aliases=merge)
                        .decide(0, 0).action == secret[0] for seed in range(5)) for merge in (False, True)}
    assert found[True] == 5 and found[False] <= 3
    d = planner_for(chain(secret, 6), sims=80, depth=3, merge_aliases=True).decide(0, 0)
    assert (d.visits[[0, 2]] > 0).all() and (d.visits[[1, 3, 4, 5]] == 0).all()


def test_a_merged_search_keeps_the_right_subtree_and_plays_the_whole_sequence():
    secret = [2, 0, 5]
    model = chain(secret, 6)
    planner = planner_for(model, sims=80, depth=3, merge_aliases=True)

    def kept_the_real_subtree(t):
        if t < len(secret) - 1:
            assert planner.tree.n > 1 and planner.tree.key[0].tobytes() == model.state_key().tobytes()
    assert play_sequence(planner, model, len(secret), kept_the_real_subtree) == secret
