"""Type stubs for the Rust extension module ``servnet._servnet``."""

import datetime
from os import PathLike
from types import ModuleType

from typing_extensions import Self
from typing import final, Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, TypedDict, Union

import pandas as pd

__version__: str

_Path = Union[str, PathLike[str]]
_Time = Union[str, datetime.datetime, datetime.date]
_TicketLike = Union["Ticket", Mapping[str, Any]]

class ServnetError(Exception):
    """Base class of every error servnet raises."""

class Issue(TypedDict, total=False):
    """One problem in input data. Frame input adds frame, row, index and column."""

    file: str
    line: Optional[int]
    record: Optional[str]
    field: Optional[str]
    message: str
    frame: str
    row: Optional[int]
    index: Any
    column: Optional[str]

class DataError(ServnetError, ValueError):
    """Bad input data; the message lists every problem, ``issues`` holds them."""

    issues: List[Issue]

class LedgerError(ServnetError):
    """The ledger's store failed (e.g. Redis unreachable); never half-written."""

class DataSummary(TypedDict):
    """What a data folder holds."""

    outlets: int
    regions: int
    skills: int
    tickets: int
    products: int

def read_dir(path: _Path) -> DataSummary:
    """Read and validate a data folder (docs/formats.md); counts of what it holds."""

def read_tickets(path: _Path, network: Network) -> Tickets:
    """Read a tickets file (CSV or JSON), validated against ``network``."""

def read_network_and_tickets(path: _Path) -> Tuple[Network, Tickets]:
    """A data folder's network and tickets, read together (as ``servnet assign`` does);
    the dispatcher of a first ``compare_with_sequential`` on the network under the
    default policy is laid out meanwhile."""

@final
class Network:
    """Outlets and regions of a service network, validated and indexed (immutable)."""

    @staticmethod
    def from_frames(
        *,
        outlets: pd.DataFrame,
        outlet_skills: pd.DataFrame,
        regions: pd.DataFrame,
        outlet_areas: Optional[Mapping[str, Any]] = None,
        region_polygons: Optional[Mapping[str, Any]] = None,
        time_zone: Optional[str] = None,
        service_packages: Optional[Union[pd.DataFrame, _Path]] = None,
    ) -> Network:
        """Build from DataFrames with the file columns; DataError names frame/row/column."""
    @staticmethod
    def from_dir(path: _Path) -> Network:
        """Read the network files of a data folder."""
    @staticmethod
    def from_json(text: Union[str, bytes]) -> Network:
        """Rebuild from :meth:`to_json` output."""
    @staticmethod
    def _from_json(b: bytes) -> Network: ...
    def to_json(self) -> str:
        """The network as JSON."""
    def outlets(self) -> pd.DataFrame:
        """Outlets with the outlets.csv columns."""
    def outlet_skills(self) -> pd.DataFrame:
        """Skills per outlet with the outlet_skills.csv columns."""
    def regions(self) -> pd.DataFrame:
        """Regions with the regions.csv columns."""
    @property
    def skills(self) -> List[str]:
        """Every skill some outlet offers, sorted."""
    @property
    def mean_rating(self) -> float:
        """Network-wide mean follow-up rating."""
    @property
    def time_zone(self) -> str:
        """IANA zone of the network's wall clock (default Asia/Shanghai)."""
    def __eq__(self, other: object, /) -> bool: ...
    def __reduce__(self) -> Tuple[Any, ...]: ...

@final
class Policy:
    """How the dispatcher filters and ranks outlets (immutable)."""

    def __new__(
        cls,
        *,
        weights: Optional[Mapping[str, float]] = None,
        detour_factor: Optional[float] = None,
        speed_kmh: Optional[float] = None,
        prior_weight: Optional[float] = None,
        emergency_reserve: Optional[float] = None,
        horizon_days: Optional[int] = None,
        start_date: Optional[_Time] = None,
        fallback: Optional[Iterable[Union[str, Tuple[str, float]]]] = None,
        centre_priority: Optional[int] = None,
        package_reserve: Optional[float] = None,
        reserve_min_weight: Optional[float] = None,
    ) -> Self: ...
    @staticmethod
    def nearest() -> Policy:
        """Distance only: the nearest outlet with capacity."""
    @staticmethod
    def from_json(text: str) -> Policy:
        """Read a policy from JSON."""
    @staticmethod
    def _from_json(b: bytes) -> Policy: ...
    def to_json(self) -> str:
        """The policy as JSON (the CLI's --policy-file format)."""
    @property
    def weights(self) -> Dict[str, float]: ...
    @property
    def detour_factor(self) -> float: ...
    @property
    def speed_kmh(self) -> float: ...
    @property
    def prior_weight(self) -> float: ...
    @property
    def package_reserve(self) -> float: ...
    @property
    def reserve_min_weight(self) -> float: ...
    @property
    def emergency_reserve(self) -> float: ...
    @property
    def horizon_days(self) -> int: ...
    @property
    def start_date(self) -> Optional[datetime.date]: ...
    @property
    def fallback(self) -> List[str]: ...
    @property
    def centre_priority(self) -> int: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __reduce__(self) -> Tuple[Any, ...]: ...

@final
class Ticket:
    """A service ticket, built once and dispatched without per-call conversion."""

    def __new__(
        cls,
        id: str,
        lon: float,
        lat: float,
        region: str,
        skill: str,
        created_at: _Time,
        due_by: Optional[_Time] = None,
        *,
        units: Optional[int] = None,
        priority: str = "normal",
        customer_tier: str = "standard",
        avoid: Sequence[str] = ...,
        preferred: Optional[str] = None,
    ) -> Self: ...
    @staticmethod
    def from_dict(d: Mapping[str, Any]) -> Ticket:
        """From a dict with the tickets.csv column names."""
    @staticmethod
    def _from_json(b: bytes) -> Ticket: ...
    @property
    def id(self) -> str: ...
    @property
    def lon(self) -> float: ...
    @property
    def lat(self) -> float: ...
    @property
    def region(self) -> str: ...
    @property
    def skill(self) -> str: ...
    @property
    def units(self) -> int: ...
    @property
    def priority(self) -> str: ...
    @property
    def created_at(self) -> datetime.datetime: ...
    @property
    def due_by(self) -> datetime.datetime: ...
    @property
    def customer_tier(self) -> str: ...
    @property
    def avoid(self) -> List[str]: ...
    @property
    def preferred(self) -> Optional[str]: ...
    def to_dict(self) -> Dict[str, Any]: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __reduce__(self) -> Tuple[Any, ...]: ...

@final
class Tickets:
    """A validated list of tickets."""

    @staticmethod
    def from_frame(df: pd.DataFrame, network: Network) -> Tickets:
        """From a DataFrame with the tickets.csv columns."""
    @staticmethod
    def _from_json(b: bytes) -> Tickets: ...
    @staticmethod
    def _from_frame_csv(df: pd.DataFrame, network: Network) -> Tickets: ...
    def __len__(self) -> int: ...
    def __getitem__(self, i: int, /) -> Ticket: ...
    def to_pandas(self) -> pd.DataFrame: ...
    def __reduce__(self) -> Tuple[Any, ...]: ...

@final
class Assignment:
    """A ticket booked on an outlet for a day."""

    @property
    def assigned(self) -> bool: ...
    @property
    def ticket_id(self) -> str: ...
    @property
    def outlet_id(self) -> str: ...
    @property
    def skill(self) -> str: ...
    @property
    def day(self) -> int: ...
    @property
    def units(self) -> int: ...
    @property
    def score(self) -> float: ...
    @property
    def distance_km(self) -> float: ...
    @property
    def satisfaction(self) -> float: ...
    @property
    def sla_met(self) -> bool: ...
    @property
    def route(self) -> str: ...
    @property
    def hold(self) -> Optional[int]: ...
    @property
    def breakdown(self) -> Dict[str, Any]: ...
    def to_dict(self) -> Dict[str, Any]: ...
    @staticmethod
    def _from_json(b: bytes) -> Assignment: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __reduce__(self) -> Tuple[Any, ...]: ...

@final
class Unassignable:
    """No outlet can take the ticket, and why."""

    @property
    def assigned(self) -> bool: ...
    @property
    def ticket_id(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def counts(self) -> Dict[str, int]: ...
    @property
    def fallbacks_tried(self) -> List[str]: ...
    def to_dict(self) -> Dict[str, Any]: ...
    @staticmethod
    def _from_json(b: bytes) -> Unassignable: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __reduce__(self) -> Tuple[Any, ...]: ...

Outcome = Union[Assignment, Unassignable]

@final
class Explanation:
    """Why an outlet was (not) chosen for a ticket."""

    @property
    def outlet_id(self) -> str: ...
    @property
    def failed(self) -> Optional[str]: ...
    @property
    def breakdown(self) -> Optional[Dict[str, Any]]: ...
    @property
    def best(self) -> Optional[Dict[str, Any]]: ...
    @property
    def score_gap(self) -> Optional[float]: ...
    @property
    def text(self) -> str: ...

@final
class DispatchSummary:
    """Headline figures of a run of dispatch."""

    def __new__(cls, dispatcher: Dispatcher, outcomes: Iterable[Outcome]) -> Self: ...
    @property
    def tickets(self) -> int: ...
    @property
    def assigned(self) -> int: ...
    @property
    def sla_met(self) -> int: ...
    @property
    def mean_distance_km(self) -> float: ...
    @property
    def p95_distance_km(self) -> float: ...
    @property
    def mean_satisfaction(self) -> float: ...
    @property
    def utilisation(self) -> Tuple[float, float, float]: ...
    @property
    def by_route(self) -> Dict[str, int]: ...
    @property
    def unassignable(self) -> Dict[str, int]: ...
    def to_dict(self) -> Dict[str, Any]: ...
    def summary(self) -> Dict[str, Any]: ...
    def to_pandas(self) -> pd.DataFrame: ...
    def _repr_html_(self) -> str: ...
    @staticmethod
    def _from_json(b: bytes) -> DispatchSummary: ...
    def __reduce__(self) -> Tuple[Any, ...]: ...

@final
class Dispatcher:
    """Per-ticket dispatch with a capacity ledger: in memory, shared on Redis with
    ``ledger="redis://..."``, or a state folder's journal with ``state=``; thread-safe;
    not picklable."""

    def __new__(
        cls,
        network: Network,
        policy: Optional[Policy] = None,
        *,
        ledger: Optional[str] = None,
        state: Optional[Union[str, PathLike[str]]] = None,
    ) -> Self: ...
    @property
    def network(self) -> Network: ...
    @property
    def policy(self) -> Policy: ...
    @property
    def start_date(self) -> Optional[datetime.date]: ...
    def dispatch(self, ticket: _TicketLike) -> Outcome:
        """Pick the best outlet and book it."""
    def dispatch_many(self, tickets: Union[Tickets, pd.DataFrame]) -> List[Outcome]:
        """Dispatch in arrival order; outcomes in input order."""
    def dispatch_frame(self, tickets: Union[Tickets, pd.DataFrame]) -> pd.DataFrame:
        """Dispatch a whole frame; the CLI's columns (``day`` and its ``date``); ``attrs['summary']``."""
    def candidates(self, ticket: _TicketLike, k: Optional[int] = None) -> pd.DataFrame:
        """Eligible outlets, best first, with the score breakdown."""
    def explain(self, ticket: _TicketLike, outlet_id: str) -> Explanation:
        """Why an outlet was (not) chosen."""
    def hold(
        self, ticket: _TicketLike, ttl: datetime.timedelta, now: Optional[_Time] = None
    ) -> Outcome:
        """Book as a hold until ``now + ttl``."""
    def confirm(self, hold: int, now: Optional[_Time] = None) -> Assignment:
        """Turn a hold into a firm assignment."""
    def expire_holds(self, now: Optional[_Time] = None) -> List[str]:
        """Release expired holds; their ticket ids."""
    def release(self, ticket_id: str) -> Assignment:
        """Cancel a booking."""
    def complete(self, ticket_id: str, rating: Optional[float] = None) -> Assignment:
        """Mark a booking done, with an optional 1..5 rating."""
    def assignment(self, ticket_id: str) -> Optional[Assignment]:
        """The current booking of a ticket."""
    def loads(self) -> pd.DataFrame:
        """Booked load per outlet skill, day and date (with a Redis ledger, every process's).

        ``date`` is ``datetime64[us]`` (``NaT`` when there is none), as in ``dispatch_frame``.
        """
    def apply(
        self, changes: Union[pd.DataFrame, _Path, Dict[str, Any], List[Dict[str, Any]]]
    ) -> List[str]:
        """Applies live changes (a review's actions or change dicts), all or none."""
    def sync_network(self) -> int:
        """Applies the network changes other processes recorded on a shared ledger."""
    def _time_dispatch(self, tickets: Tickets) -> float: ...
    def _dispatch_frame(self, tickets: Union[Tickets, pd.DataFrame], chunk: int) -> pd.DataFrame: ...

@final
class PlanningData:
    """Validated planning inputs (products, repair rates, installed base, sales plan,
    seasonality); picklable."""

    @staticmethod
    def from_dir(path: _Path, network: Network) -> PlanningData: ...
    @staticmethod
    def from_frames(
        network: Network,
        *,
        products: pd.DataFrame,
        repair_rates: Optional[pd.DataFrame] = None,
        installed_base: Optional[pd.DataFrame] = None,
        sales_plan: Optional[pd.DataFrame] = None,
        seasonality: Optional[pd.DataFrame] = None,
        retirement: Optional[pd.DataFrame] = None,
        service_rates: Optional[pd.DataFrame] = None,
        repair_history: Optional[pd.DataFrame] = None,
        campaigns: Optional[pd.DataFrame] = None,
    ) -> PlanningData: ...
    @property
    def products(self) -> int: ...
    @property
    def campaigns(self) -> List[str]: ...
    @property
    def repair_history(self) -> int: ...
    def repair_rates(self, max_age: int = 20) -> Dict[str, List[float]]: ...
    def with_repair_curves(self, rates: pd.DataFrame) -> PlanningData: ...
    @staticmethod
    def _from_json(b: bytes) -> PlanningData: ...
    def __reduce__(self) -> Tuple[Any, ...]: ...

@final
class _Forecast:
    def view(self) -> str: ...
    @staticmethod
    def _from_json(b: bytes) -> _Forecast: ...
    def __reduce__(self) -> Tuple[Any, ...]: ...

@final
class _NetworkPlan:
    def view(self) -> str: ...
    def options(self) -> str: ...
    def sites_csv(self) -> str: ...
    def frontier_csv(self) -> str: ...
    def planned_network(self, network: Network) -> Network: ...
    def write_network(self, path: _Path, network: Network) -> None: ...
    @staticmethod
    def _from_json(b: bytes) -> _NetworkPlan: ...
    def __reduce__(self) -> Tuple[Any, ...]: ...

@final
class _Simulation:
    def view(self) -> str: ...
    @staticmethod
    def _from_json(b: bytes) -> _Simulation: ...
    def __reduce__(self) -> Tuple[Any, ...]: ...

_Progress = Optional[Any]

def _forecast(
    planning: PlanningData,
    network: Network,
    start_year: int,
    years: int,
    options: str = "{}",
    campaigns: Union[bool, str, pd.DataFrame, None] = None,
) -> _Forecast: ...
def _fit_repair_curves(planning: PlanningData, network: Network, options: str = "{}") -> str: ...
def _plan(
    network: Network,
    forecast: _Forecast,
    model: Optional[str],
    p: Optional[int],
    year: Optional[int],
    time_limit: float,
    response: bool,
    tickets: Any = None,
    population: Any = None,
    options: str = "{}",
    progress: _Progress = None,
    fee_schedule: Optional[str] = None,
) -> _NetworkPlan: ...
def _frontier_counts(
    network: Network,
    forecast: _Forecast,
    year: Optional[int],
    time_limit: float,
    response: bool,
    tickets: Any = None,
    population: Any = None,
    options: str = "{}",
) -> List[int]: ...
def _combine_frontier(points: Sequence[_NetworkPlan]) -> _NetworkPlan: ...
def _simulate(
    network: Network,
    plan: _NetworkPlan,
    forecast: Optional[_Forecast],
    days: int,
    sample: float,
    seed: int,
    tickets: Any = None,
    options: str = "{}",
    progress: _Progress = None,
) -> _Simulation: ...
def _run_scenario(
    planning: PlanningData,
    network: Network,
    scenario: str,
    start_year: int,
    years: int,
    model: Optional[str],
    p: Optional[int],
    year: Optional[int],
    time_limit: float,
    response: bool,
    days: int,
    sample: float,
    seed: int,
    tickets: Any = None,
    population: Any = None,
    forecast_options: str = "{}",
    plan_options: str = "{}",
    sim_options: str = "{}",
    progress: _Progress = None,
) -> Tuple[str, _NetworkPlan]: ...
@final
class _AssignmentPlan:
    def view(self) -> str: ...
    def figures(self) -> str: ...
    def frame(self) -> Any: ...
    @staticmethod
    def _from_json(b: bytes) -> _AssignmentPlan: ...
    def __reduce__(self) -> Tuple[Any, ...]: ...

def _assign(
    tickets: Any,
    dispatcher: Dispatcher,
    method: str,
    time_limit: float,
    options: str = "{}",
    progress: _Progress = None,
) -> _AssignmentPlan: ...
def _compare_with_sequential(
    tickets: Any,
    network: Network,
    policy: Optional[Policy],
    method: str,
    time_limit: float,
    options: str = "{}",
    progress: _Progress = None,
) -> _AssignmentPlan: ...
def _cflp(
    fixed_cost: Sequence[float],
    capacity: Sequence[float],
    demand: Sequence[float],
    cost: Sequence[float],
    per_unit: bool = False,
    time_limit: float = 10.0,
    method: str = "heuristic",
) -> Dict[str, Any]: ...

class _Staffing(ModuleType):
    def erlang_b(self, arrival_rate: float, service_rate: float, servers: int) -> float: ...
    def erlang_c(self, arrival_rate: float, service_rate: float, servers: int) -> float: ...
    def service_level(
        self, arrival_rate: float, service_rate: float, servers: int, target_wait: float
    ) -> float: ...
    def mean_wait(self, arrival_rate: float, service_rate: float, servers: int) -> float: ...
    def servers_for_service_level(
        self, arrival_rate: float, service_rate: float, target_level: float, target_wait: float
    ) -> int: ...
    def servers_for_mean_wait(
        self, arrival_rate: float, service_rate: float, max_mean_wait: float
    ) -> int: ...
    def technicians_for_utilisation(
        self,
        peak_daily_units: float,
        handling_hours: float,
        working_hours_per_day: float,
        utilisation_target: float,
    ) -> int: ...

staffing: _Staffing

def _review(path: Union[str, PathLike[str]], as_of: str, options: str = "{}") -> str: ...
def _schedule_campaign(
    path: Union[str, PathLike[str]],
    as_of: str,
    campaigns: Optional[Union[str, PathLike[str]]] = None,
    policy: str = "{}",
    options: str = "{}",
) -> str: ...

def _settle(
    path: Union[str, PathLike[str]],
    bookings: Union[str, PathLike[str]],
    date_from: str,
    date_to: str,
) -> str: ...
