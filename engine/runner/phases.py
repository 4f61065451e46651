"""A job's chain cut into phases at its global stages."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.sources.base import SOURCE_STAGE
from engine.stage import GlobalStage, Stage


@dataclass
class Phase:
    """Stages that stream together. ``applies`` is the global stage whose decisions the phase
    applies first; ``emits`` the global stage whose signatures it writes last (None: the final
    phase, which writes shards)."""

    index: int
    stages: list[Stage] = field(default_factory=list)
    applies: GlobalStage | None = None
    emits: GlobalStage | None = None
    partitions: int = 1  # bucket ranges the emitted signatures are cut into (planned by the runner)

    @property
    def final(self) -> bool:
        return self.emits is None


def plan_phases(stages: list[Stage]) -> list[Phase]:
    """Cut ``stages`` at each global stage: ``[a, b, G, c]`` gives ``[a, b] -> G -> [c]``."""
    phases = [Phase(0)]
    for stage in stages:
        if isinstance(stage, GlobalStage):
            phases[-1].emits = stage
            phases.append(Phase(len(phases), applies=stage))
        else:
            phases[-1].stages.append(stage)
    return phases


def stage_order(stages: list[Stage]) -> list[str]:
    """Names of the stages in the order records meet them, the source's ``read`` first."""
    return [SOURCE_STAGE] + [s.name for s in stages]


def score_ranges(stages: list[Stage]) -> dict[str, dict[str, tuple[float, float]]]:
    return {s.name: dict(s.score_columns) for s in stages if s.score_columns}
