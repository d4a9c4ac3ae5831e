"""What a plan of creates will cost, as far as it can be known before it runs.

Pages come from the originals (`Planned.pages`, a rerun's only); credits are pages
times the tier's rate where the seed page gives one (cost_effective 5, agentic 15
credits a page). Other tiers, a saved configuration whose tier is not known, and
jobs without a page count show what is known and say what is not. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from llamaextract_cli.jobs.configuration import SEED_RATES
from llamaextract_cli.jobs.create import Planned


@dataclass
class Group:
    """The planned jobs of one configuration (and tier)."""

    configuration: str  # a configuration ID, or "inline"
    tier: str | None
    jobs: int = 0
    pages: int = 0  # of the jobs whose page count is known
    unknown_pages: int = 0  # jobs without a page count

    @property
    def rate(self) -> float | None:
        return SEED_RATES.get(self.tier or "")

    @property
    def credits(self) -> float | None:
        """Credits of the known pages; None when the tier's rate is unknown."""
        return None if self.rate is None else self.pages * self.rate


@dataclass
class Estimate:
    groups: list[Group] = field(default_factory=list)

    @property
    def jobs(self) -> int:
        return sum(g.jobs for g in self.groups)

    @property
    def pages(self) -> int:
        return sum(g.pages for g in self.groups)

    @property
    def unknown_pages(self) -> int:
        return sum(g.unknown_pages for g in self.groups)

    @property
    def credits(self) -> float:
        """The credits that can be estimated (a lower bound unless `complete`)."""
        return sum(g.credits or 0.0 for g in self.groups)

    @property
    def unpriced(self) -> int:
        """Jobs whose tier has no known rate."""
        return sum(g.jobs for g in self.groups if g.rate is None)

    @property
    def complete(self) -> bool:
        return not self.unknown_pages and not self.unpriced


def estimate(items: Sequence[Planned]) -> Estimate:
    """Group the planned jobs by configuration and tier, biggest group first."""
    groups: dict[tuple[str, str | None], Group] = {}
    for item in items:
        key = (item.config_label, item.tier)
        group = groups.setdefault(key, Group(*key))
        group.jobs += 1
        if item.pages is None:
            group.unknown_pages += 1
        else:
            group.pages += item.pages
    ordered = sorted(groups.values(), key=lambda g: (-g.jobs, g.configuration, g.tier or ""))
    return Estimate(ordered)
