"""Entry points: :func:`solve` and :func:`replan`. Pure: plain data in, plain data out.

Determinism: the routing search runs on one thread and ``seed`` reseeds OR-Tools' random
generator (used by its random LNS operators) and the optional PyVRP warm start. A
wall-clock ``time_limit`` still stops the search wherever the machine got to; pass
``Params(solution_limit=...)`` (and a generous ``time_limit``) for runs that repeat exactly.
The default greedy start is deterministic; the PyVRP and VROOM starts stop on the clock,
so runs that use them repeat only as far as the machine's speed does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from time import perf_counter

from ortools.constraint_solver import routing_enums_pb2

from dispatch import decompose
from dispatch.construct import greedy_routes, repair
from dispatch.core import Model, build, search_parameters
from dispatch.explain import explain
from dispatch.keep import Candidate, Keeper, choose
from dispatch.model import Problem, eligible
from dispatch.parallel import fork_is_safe
from dispatch.plan import Plan, Route
from dispatch.policy import DEFAULT_PARAMS, Params, Policy
from dispatch.read import read_routes
from dispatch.score import plan_of, score

Routes = Sequence[Sequence[str]]  # order ids per technician, in technician order
# Under keep-better, less time than this after the start is not worth building a model for.
MIN_SEARCH_SECONDS = 0.5


def solve(
    problem: Problem,
    params: Params = DEFAULT_PARAMS,
    *,
    seed: int = 0,
    time_limit: float | None = None,
    initial_routes: Routes | None = None,
) -> Plan:
    """Plan routes for ``problem`` within ``time_limit`` seconds (default ``params.time_limit``, else 10).

    ``initial_routes`` (order ids per technician) start the search from a known solution;
    otherwise ``params.warm_start`` or ``params.first_solution`` builds one.
    """
    began = perf_counter()
    params = _fork_safe(params)
    time_limit = time_limit or params.time_limit or 10.0
    if initial_routes is None:
        initial_routes = first_routes(problem, params, seed, time_limit * params.warm_start_share)
        left = time_limit - (perf_counter() - began)
        if params.keep_better and initial_routes is not None and left < MIN_SEARCH_SECONDS:
            # Building the OR-Tools model alone would overrun; keep-better would keep the start.
            routes = repair(problem, initial_routes)
            return _ran_on(params, plan_of(problem, routes, "START_ONLY", perf_counter() - began))
    return _ran_on(params, _search_whole_or_parts(problem, params, seed, time_limit, initial_routes, began))


def first_routes(problem: Problem, params: Params, seed: int, budget: float) -> Routes | None:
    """The start ``params.warm_start`` asks for; None leaves it to OR-Tools."""
    routes = None
    warm_start = params.warm_start
    if warm_start == "auto":
        from dispatch.warmstart import fits

        warm_start = "pyvrp" if fits(problem) else "vroom"
    if warm_start == "pyvrp":
        from dispatch.warmstart import pyvrp_routes

        routes = pyvrp_routes(problem, params, seed, budget)
    elif warm_start == "vroom":
        from dispatch.vroom_start import vroom_routes

        routes = vroom_routes(problem, params, budget)
    if routes is None and params.warm_start == "greedy":
        routes = greedy_routes(problem)
    return routes


def replan(
    problem: Problem,
    previous: Plan,
    params: Params = DEFAULT_PARAMS,
    *,
    seed: int = 0,
    time_limit: float | None = None,
) -> Plan:
    """Plan again from the current state, warm-started from ``previous`` (default
    ``time_limit``: ``params.time_limit``, else 5 s).

    ``problem`` is the new state (new urgent orders, technicians gone offline, shifts
    starting "now" at their current positions). Stops of ``previous`` that still make sense
    start the search; pinned orders are kept with their technician, in sequence.
    """
    began = perf_counter()
    params = _fork_safe(params)
    time_limit = time_limit or params.time_limit or 5.0
    routes = carried_routes(problem, previous)
    if params.warm_start in ("greedy", "auto"):
        routes = greedy_routes(problem, start=routes)  # new orders go in around the old plan
    return _ran_on(params, _search_whole_or_parts(problem, params, seed, time_limit, routes, began))


def _ran_on(params: Params, plan: Plan) -> Plan:
    """The plan, saying how many processes its search could use (a host can check it got its cores)."""
    return replace(plan, search_workers=params.search_workers)


def _fork_safe(params: Params) -> Params:
    """``params`` with one worker when forking workers could deadlock (:func:`fork_is_safe`)."""
    if params.search_workers > 1 and not fork_is_safe():
        return replace(params, search_workers=1)
    return params


def carried_routes(problem: Problem, previous: Plan) -> list[list[str]]:
    """The previous routes, restricted to orders and technicians still in ``problem``.

    Pinned orders not yet on their technician's route are put first, in pin sequence.
    """
    orders = {o.id: o for o in problem.orders}
    old = {r.technician_id: r.order_ids for r in previous.routes}
    routes = []
    for tech in problem.technicians:
        kept = [i for i in old.get(tech.id, []) if i in orders and eligible(tech, orders[i])]
        pinned = sorted(
            (o for o in problem.orders if o.pinned_to == tech.id and o.id not in kept),
            key=lambda o: o.pinned_seq or 0,
        )
        routes.append([o.id for o in pinned] + kept)
    return routes


def _search_whole_or_parts(problem, params, seed, time_limit, routes, began) -> Plan:
    if not decompose.wanted(problem, params):
        return _search(problem, params, seed, time_limit, routes, began)
    routes = list(routes) if routes else greedy_routes(problem)  # parts follow a start
    left = time_limit - (perf_counter() - began)
    return decompose.solve_in_parts(problem, params, seed, left, routes, _search)


def _search(problem, params, seed, time_limit, initial_routes, began, candidates: bool = False):
    """Build, start from ``initial_routes`` if readable, search until ``began + time_limit``.

    With ``params.keep_better`` and a readable start, the answer is chosen by
    :mod:`dispatch.keep`; ``candidates=True`` (parts) returns the candidates instead of a plan,
    for :func:`dispatch.keep.choose` to pick from across the parts.
    """
    if not problem.technicians or not problem.orders:
        plan = _nothing_to_search(problem, perf_counter() - began)
        return [Candidate(0, 0, [[] for _ in problem.technicians])] if candidates else plan
    policy = search_policy(params)
    m = build(problem, policy)
    search = search_parameters(params, max(0.05, time_limit - (perf_counter() - began)))
    m.routing.CloseModelWithParameters(search)
    m.routing.solver().ReSeed(seed)
    start_routes = repair(problem, initial_routes) if initial_routes else None
    start, whole = _read_start(m, start_routes) if start_routes else (None, False)
    keeper = Keeper(m, policy, start_routes) if params.keep_better and whole else None
    if keeper is not None:
        m.routing.AddAtSolutionCallback(keeper)
    search = search_parameters(params, max(0.05, time_limit - (perf_counter() - began)))
    if start is not None:
        solution = m.routing.SolveFromAssignmentWithParameters(start, search)
    else:
        solution = m.routing.SolveWithParameters(search)
    status = routing_enums_pb2.RoutingSearchStatus.Value.Name(m.routing.status())
    if keeper is not None and candidates:
        return keeper.candidates
    if keeper is not None:
        best = choose([keeper.candidates])[0]
        return plan_of(problem, best.routes, status, perf_counter() - began, best.objective)
    plan = _plan(m, solution, perf_counter() - began)
    if candidates:
        return [Candidate(plan.objective, score(problem, policy, plan_ids(plan)).travel_cost, plan_ids(plan))]
    return plan


def search_policy(params: Params) -> Policy:
    """The weights the search uses: the policy's, with travel ``params.keep_better_travel_weight``
    (and leaving an order out) times dearer under keep-better. Keep-better only accepts routes whose travel does not
    rise, so the search should look where travel falls: under the urgent-first weights every
    solution it met on the city day bought lateness with travel; with travel 10x dearer it
    also finds routes shorter *and* less late (bench/RESULTS.md)."""
    if not params.keep_better or params.keep_better_travel_weight == 1:
        return params.policy
    p, w = params.policy, params.keep_better_travel_weight
    # Drop penalties scale too: serving an order stays worth as many hours of travel.
    drops = {k: v * w for k, v in p.drop_penalty.items()}
    return replace(p, second_cost=p.second_cost * w, meter_cost=p.meter_cost * w, drop_penalty=drops)


def plan_ids(plan: Plan) -> list[list[str]]:
    """Order ids per technician of ``plan``."""
    return [r.order_ids for r in plan.routes]


def _nothing_to_search(problem: Problem, seconds: float) -> Plan:
    """No technician or no order: the answer is plain, and OR-Tools aborts the whole
    process on a model without vehicles, so it must not be built."""
    routes = tuple(Route(t.id, (), t.shift_start, t.shift_start, 0, 0) for t in problem.technicians)
    return Plan(routes, explain(problem, routes), 0, "NOTHING_TO_SEARCH", seconds)


def _read_start(m: Model, routes: Routes):
    """(start assignment, whether it holds all of ``routes``): if the routes are
    infeasible, only their pinned stops; (None, False) if even that fails."""
    position = {o.id: i for i, o in enumerate(m.problem.orders)}
    pinned = {o.id for o in m.problem.orders if o.pinned_to is not None}
    for whole, keep in ((True, lambda i: True), (False, lambda i: i in pinned)):
        indices = [[m.order_index(position[i]) for i in route if i in position and keep(i)] for route in routes]
        start = m.routing.ReadAssignmentFromRoutes(indices, True)
        if start is not None:
            return start, whole
    return None, False


def _plan(m: Model, solution, seconds: float) -> Plan:
    status = routing_enums_pb2.RoutingSearchStatus.Value.Name(m.routing.status())
    if solution is None:
        routes = ()
        objective = -1
    else:
        routes = read_routes(m, solution)
        objective = solution.ObjectiveValue()
    return Plan(routes, explain(m.problem, routes), objective, status, seconds)
