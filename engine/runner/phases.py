"""A job's chain cut into phases at its global stages."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.sources.base import SOURCE_STAGE
from engine.stage import GlobalStage, Stage


@dataclass
class Phase:
    """Stages that stream together. ``applies`` are the global stages whose decisions the phase
    applies first, in chain order; ``emits`` the global stages whose signatures it writes last
    (empty: the final phase, which writes shards). Consecutive global stages share one phase
    boundary: one pass writes all their signatures, the next pass applies all their decisions."""

    index: int
    stages: list[Stage] = field(default_factory=list)
    applies: list[GlobalStage] = field(default_factory=list)
    emits: list[GlobalStage] = field(default_factory=list)
    # bucket ranges each emitted stage's signatures are cut into (planned by the runner)
    partitions: list[int] = field(default_factory=list)

    @property
    def final(self) -> bool:
        return not self.emits


def plan_phases(stages: list[Stage]) -> list[Phase]:
    """Cut ``stages`` at each run of global stages: ``[a, b, G, H, c]`` gives
    ``[a, b] -> G, H -> [c]``: the first phase writes G's and H's signatures, the second
    applies G's decisions, then H's."""
    phases = [Phase(0)]
    for stage in stages:
        if not isinstance(stage, GlobalStage):
            phases[-1].stages.append(stage)
            continue
        if phases[-1].applies and not phases[-1].stages:  # right after a global stage: join it
            phases.pop()
        phases[-1].emits.append(stage)
        phases[-1].partitions.append(1)
        phases.append(Phase(len(phases), applies=list(phases[-1].emits)))
    return phases


def stage_order(stages: list[Stage]) -> list[str]:
    """Names of the stages in the order records meet them, the source's ``read`` first."""
    return [SOURCE_STAGE] + [s.name for s in stages]


def score_ranges(stages: list[Stage]) -> dict[str, dict[str, tuple[float, float]]]:
    return {s.name: dict(s.score_columns) for s in stages if s.score_columns}
