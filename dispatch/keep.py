"""Production acceptance: never end worse than the start on anything a dispatcher judges.

While OR-Tools searches a part (or a whole small day) from a start, :class:`Keeper` records
every solution it meets that keeps the part's urgent orders on time, serves at least as
many orders and is no later past SLAs than the start, as a :class:`Candidate` (objective,
travel cost, routes). :func:`choose` then takes one candidate per part: the lowest objective
(the policy's weights) whose *total* travel across parts is still at most the start's. A
part may spend some travel on less lateness when another part saved it, but the day as a
whole is at least as good as its start on urgent orders on time, orders served, travel and
lateness (:class:`dispatch.score.Score`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from dispatch.core import Model
from dispatch.policy import Policy
from dispatch.score import score

START_OBJECTIVE = 2**62  # the start's objective is unknown; any solution the search finds beats it
# Extra weights on travel tried in turn, until the day's travel fits; the last picks the
# least travel in every part, which the start itself guarantees.
_TRAVEL_WEIGHTS = (0, 0.1, 0.25, 0.5, 1, 2, 4, 10, 100)


class Candidate(NamedTuple):
    objective: int
    travel_cost: int
    routes: list[list[str]]  # order ids per technician of the part


class Keeper:
    """An OR-Tools at-solution callback collecting acceptable candidates (module docstring)."""

    def __init__(self, m: Model, policy: Policy, start_routes: Sequence[Sequence[str]]):
        self.m, self.policy = m, policy
        self.base = score(m.problem, policy, start_routes)
        self.candidates = [Candidate(START_OBJECTIVE, self.base.travel_cost, [list(r) for r in start_routes])]

    def __call__(self) -> None:
        objective = self.m.routing.CostVar().Max()
        routes = self._current_routes()
        s = score(self.m.problem, self.policy, routes)
        b = self.base
        if s.urgent_on_time < b.urgent_on_time or s.served < b.served or s.lateness > b.lateness:
            return
        if any(c.objective <= objective and c.travel_cost <= s.travel_cost for c in self.candidates):
            return
        start, *found = self.candidates  # the start stays first: choose() reads its travel
        found = [c for c in found if not (objective <= c.objective and s.travel_cost <= c.travel_cost)]
        self.candidates = [start, *found, Candidate(objective, s.travel_cost, routes)]

    def _current_routes(self) -> list[list[str]]:
        routing, orders, out = self.m.routing, self.m.problem.orders, []
        for v in range(len(self.m.problem.technicians)):
            index, ids = routing.NextVar(routing.Start(v)).Value(), []
            while not routing.IsEnd(index):
                ids.append(orders[self.m.manager.IndexToNode(index)].id)
                index = routing.NextVar(index).Value()
            out.append(ids)
        return out


def choose(parts: Sequence[Sequence[Candidate]]) -> list[Candidate]:
    """One candidate per part (each list starts with the part's start): the lowest objective
    plus the smallest extra travel weight that keeps the total travel within the starts'."""
    limit = sum(cands[0].travel_cost for cands in parts)
    for weight in _TRAVEL_WEIGHTS:
        pick = [min(cands, key=lambda c: (c.objective + weight * c.travel_cost, c.travel_cost)) for cands in parts]
        if sum(c.travel_cost for c in pick) <= limit:
            return pick
    return [min(cands, key=lambda c: (c.travel_cost, c.objective)) for cands in parts]
