"""Actor pools sized from the cluster when nothing sizes them (engine/runner/execute.py)."""

import pytest

from engine.runner.execute import IO, autoscales, plan_resources, pool_strategy
from engine.stage import Resources, Stage


class Model(Stage):
    def __init__(self, name, cpus, concurrency=None, gpus=0.0):
        super().__init__(name=name, resources=Resources(num_cpus=cpus, num_gpus=gpus,
                                                        concurrency=concurrency))

    def setup(self):
        pass


class Task(Stage):
    def __call__(self, batch):
        return batch


def pool_cpus(plans, names):
    return sum(plans[n][0] * plans[n][1] for n in names)


def test_two_cpus_one_actor_each_scaled_to_fit():
    stages = [Model("fetch", 0.5), Model("clip", 1.0), Task(name="lang")]
    plans = plan_resources(stages, workers=None, cluster_cpus=2)
    assert plans["fetch"][0] == 1 and plans["clip"][0] == 1
    assert pool_cpus(plans, ["fetch", "clip"]) == pytest.approx(1.0)  # one CPU kept for tasks
    assert plans["lang"] == (None, 1.0) and plans[IO] == (None, 1.0)


def test_64_cpus_pools_share_what_the_tasks_leave():
    stages = [Model("fetch", 0.5), Model("clip", 1.0), Task(name="lang")]
    plans = plan_resources(stages, workers=None, cluster_cpus=64, nodes=4)
    assert plans["fetch"] == (60, 0.5) and plans["clip"] == (30, 1.0)  # 60 CPUs, half each
    assert pool_cpus(plans, ["fetch", "clip"]) == 60  # one CPU in 16 for the tasks
    assert plans["lang"] == (None, 1.0) and plans[IO] == (None, 1.0)
    alone = plan_resources([Model("fetch", 0.5)], workers=None, cluster_cpus=64, nodes=4)
    assert alone["fetch"] == (120, 0.5)


def test_1600_cpus_the_fetch_pool_grows_with_the_cluster():
    stages = [Model("fetch", 0.5), Model("nsfw", 1.0, concurrency=100), Task(name="lang")]
    plans = plan_resources(stages, workers=None, cluster_cpus=1600, nodes=100)
    assert plans["nsfw"] == (100, 1.0)  # a stage's own concurrency still sizes its pool
    assert plans["fetch"] == (2800, 0.5)  # 1600 - 100 (one in 16) - 100 (nsfw), at 0.5 each
    assert plans["lang"] == (None, 1.0) and plans[IO] == (None, 1.0)
    fetch, nsfw = stages[0], stages[1]
    assert autoscales(fetch, None) and not autoscales(nsfw, None)
    strategy = pool_strategy(fetch, plans["fetch"][0], None)
    assert (strategy.min_size, strategy.max_size) == (1, 2800)
    assert pool_strategy(nsfw, 100, None).min_size == pool_strategy(nsfw, 100, None).max_size == 100


def test_workers_still_fix_every_pool():
    plans = plan_resources([Model("fetch", 0.5), Model("clip", 1.0)], workers=3, cluster_cpus=1600,
                           nodes=100)
    assert plans["fetch"] == (3, 0.5) and plans["clip"] == (3, 1.0)
    assert not autoscales(Model("fetch", 0.5), 3)


def test_gpu_pools_hold_no_more_actors_than_gpus_and_pass_on_their_share():
    stages = [Model("clip", 1.0, gpus=1.0), Model("fetch", 0.5)]
    plans = plan_resources(stages, workers=None, cluster_cpus=64, nodes=4, cluster_gpus=8)
    assert plans["clip"] == (8, 1.0)
    assert plans["fetch"] == (104, 0.5)  # 60 - 8 CPUs left for fetch
