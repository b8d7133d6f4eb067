//! Cost columns appended to the dispatch and assign reports (`fee, travel, cost` after
//! their own columns, which keep their order).

use super::{listed_fee, region_tier, ticket_cost, CostInput, FeeSchedule, TicketCost};
use crate::assign::AssignmentPlan;
use crate::dispatch::{Outcome, OutcomeTable};
use crate::io::{Column, RowText, Tabular};
use crate::model::{Network, ServiceKind, ServiceMode, Skill, Ticket, Tier};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The appended columns.
const COST_COLUMNS: [Column; 3] = [
    Column::number("fee"),
    Column::number("travel"),
    Column::number("cost"),
];

/// What a ticket's cost needs besides the outlet and the trip.
#[derive(Debug, Clone)]
struct TicketFacts {
    skill: Skill,
    tier: Option<Tier>,
    units: u32,
    travel: bool,
}

/// Costs of tickets of one data set by ticket id: the fee schedule, the network (for
/// region tiers and listed fees) and each ticket's skill, units and whether a technician
/// travels for it.
#[derive(Debug, Clone)]
pub struct TicketCoster<'a> {
    schedule: &'a FeeSchedule,
    network: &'a Network,
    /// Looked up per written row and per summed booking: hashed, not a string-ordered
    /// tree.
    tickets: rustc_hash::FxHashMap<&'a str, TicketFacts>,
}

impl<'a> TicketCoster<'a> {
    /// A coster for `tickets`: a technician travels for every ticket except those whose
    /// service package serves them carry-in (see also [`TicketCoster::with_travel`]).
    /// Tickets whose skill does not parse are left out (they cannot have been booked).
    pub fn new(schedule: &'a FeeSchedule, network: &'a Network, tickets: &'a [Ticket]) -> Self {
        let tickets = tickets
            .iter()
            .filter_map(|t| {
                let skill = t.skill.parse::<Skill>().ok()?;
                Some((
                    t.id.as_str(),
                    TicketFacts {
                        skill,
                        tier: region_tier(network, &t.region),
                        units: t.units,
                        travel: network
                            .ticket_package(t)
                            .is_none_or(|p| p.mode() != ServiceMode::CarryIn),
                    },
                ))
            })
            .collect();
        TicketCoster {
            schedule,
            network,
            tickets,
        }
    }

    /// Sets which tickets need a technician trip (e.g. not a carry-in ticket).
    pub fn with_travel(mut self, tickets: &[Ticket], travel: impl Fn(&Ticket) -> bool) -> Self {
        for t in tickets {
            if let Some(f) = self.tickets.get_mut(t.id.as_str()) {
                f.travel = travel(t);
            }
        }
        self
    }

    /// The cost of ticket `ticket_id` at `outlet`, `distance_km` (straight line) away;
    /// `None` for a ticket it does not know.
    pub fn cost(&self, ticket_id: &str, outlet: &str, distance_km: f64) -> Option<TicketCost> {
        let f = self.tickets.get(ticket_id)?;
        Some(ticket_cost(
            self.schedule,
            &CostInput {
                outlet,
                kind: f.skill.kind,
                tier: f.tier,
                units: f.units,
                road_km: distance_km * self.schedule.detour,
                travel: f.travel,
            },
            listed_fee(self.network, outlet, &f.skill),
        ))
    }

    /// The service kind of ticket `ticket_id`.
    pub fn kind(&self, ticket_id: &str) -> Option<ServiceKind> {
        self.tickets.get(ticket_id).map(|f| f.skill.kind)
    }

    /// The tier of ticket `ticket_id`'s region.
    pub fn tier(&self, ticket_id: &str) -> Option<Tier> {
        self.tickets.get(ticket_id).and_then(|f| f.tier)
    }
}

/// The `fee, travel, cost` cells of a row (empty without a cost).
fn cost_cells(c: Option<TicketCost>, out: &mut RowText) {
    match c {
        Some(c) => {
            out.push_fixed(c.fee, 2);
            out.push_fixed(c.travel, 2);
            out.push_fixed(c.total, 2);
        }
        None => out.push_empty(3),
    }
}

fn joined(base: &'static [Column], cell: &'static OnceLock<Vec<Column>>) -> &'static [Column] {
    cell.get_or_init(|| base.iter().chain(COST_COLUMNS.iter()).cloned().collect())
}

/// Dispatch outcomes with `fee, travel, cost` appended (empty when unassignable).
pub struct CostedOutcomes<'a>(pub OutcomeTable<'a>, pub &'a TicketCoster<'a>);

impl Tabular for CostedOutcomes<'_> {
    fn columns(&self) -> &'static [Column] {
        static COLUMNS: OnceLock<Vec<Column>> = OnceLock::new();
        joined(self.0.columns(), &COLUMNS)
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn row(&self, i: usize, out: &mut Vec<String>) {
        self.0.row(i, out);
        let c = match self.0 .0.get(i) {
            Some(Outcome::Assigned(a)) => {
                self.1
                    .cost(&a.ticket_id, &a.outlet_id, a.breakdown.distance_km)
            }
            _ => None,
        };
        let mut cells = RowText::default();
        cost_cells(c, &mut cells);
        cells.into_cells(out);
    }
}

/// A batch assignment plan with `fee, travel, cost` appended (empty when unassigned).
pub struct CostedAssignments<'a>(pub &'a AssignmentPlan, pub &'a TicketCoster<'a>);

impl Tabular for CostedAssignments<'_> {
    fn columns(&self) -> &'static [Column] {
        static COLUMNS: OnceLock<Vec<Column>> = OnceLock::new();
        joined(self.0.columns(), &COLUMNS)
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn row(&self, i: usize, out: &mut Vec<String>) {
        let mut text = RowText::default();
        self.row_text(i, &mut text);
        text.into_cells(out);
    }

    fn row_text(&self, i: usize, out: &mut RowText) {
        self.0.row_text(i, out);
        let c = self
            .0
            .assignments
            .get(i)
            .and_then(|a| self.1.cost(&a.ticket_id, &a.outlet_id, a.distance_km));
        cost_cells(c, out);
    }
}

/// Costs summed by service kind and region tier (the reports' cost lines).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CostSummary {
    /// (kind, tier) -> (tickets, summed cost); tier `None`: region unknown.
    pub by_kind_tier: BTreeMap<(ServiceKind, Option<Tier>), (u64, TicketCost)>,
}

impl CostSummary {
    /// The summary of `(ticket_id, outlet_id, distance_km)` bookings under `coster`.
    pub fn of<'b>(
        coster: &TicketCoster<'_>,
        bookings: impl IntoIterator<Item = (&'b str, &'b str, f64)>,
    ) -> Self {
        let mut s = CostSummary::default();
        for (t, o, km) in bookings {
            let (Some(c), Some(k)) = (coster.cost(t, o, km), coster.kind(t)) else {
                continue;
            };
            let e = s.by_kind_tier.entry((k, coster.tier(t))).or_default();
            e.0 += 1;
            e.1 = TicketCost::new(e.1.fee + c.fee, e.1.travel + c.travel);
        }
        s
    }

    /// The summary of the assigned outcomes of a dispatch.
    pub fn of_outcomes(coster: &TicketCoster<'_>, outcomes: &[Outcome]) -> Self {
        Self::of(coster, booked_trips(outcomes))
    }

    /// Adds `other`'s tickets and costs (a report built a chunk at a time).
    pub fn absorb(&mut self, other: CostSummary) {
        for (key, (n, c)) in other.by_kind_tier {
            let e = self.by_kind_tier.entry(key).or_default();
            e.0 += n;
            e.1 = TicketCost::new(e.1.fee + c.fee, e.1.travel + c.travel);
        }
    }

    /// Tickets and summed cost over every kind and tier.
    pub fn total(&self) -> (u64, TicketCost) {
        self.by_kind_tier
            .values()
            .fold((0, TicketCost::default()), |(n, a), (m, c)| {
                (n + m, TicketCost::new(a.fee + c.fee, a.travel + c.travel))
            })
    }
}

impl std::fmt::Display for CostSummary {
    /// `cost:` with the total and per ticket, then one line per kind with its mean cost
    /// per ticket in each tier.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (n, t) = self.total();
        let per = |n: u64, c: f64| c / n.max(1) as f64;
        writeln!(
            f,
            "cost:           {:.0} (fees {:.0} + travel {:.0}); {:.2} per ticket",
            t.total,
            t.fee,
            t.travel,
            per(n, t.total)
        )?;
        for k in ServiceKind::ALL {
            let cells: Vec<String> = self
                .by_kind_tier
                .range((k, None)..=(k, Some(Tier::C)))
                .map(|((_, tier), (m, c))| {
                    format!(
                        "{} {:.2} ({m})",
                        tier.map_or("?", Tier::as_str),
                        per(*m, c.total)
                    )
                })
                .collect();
            if !cells.is_empty() {
                writeln!(
                    f,
                    "  {:<12} per ticket by tier: {}",
                    k.as_str(),
                    cells.join(", ")
                )?;
            }
        }
        Ok(())
    }
}

/// `(ticket, outlet, km)` of each assigned outcome: what a booking is costed on.
pub(crate) fn booked_trips(outcomes: &[Outcome]) -> impl Iterator<Item = (&str, &str, f64)> {
    outcomes.iter().filter_map(|o| match o {
        Outcome::Assigned(a) => Some((
            a.ticket_id.as_str(),
            a.outlet_id.as_str(),
            a.breakdown.distance_km,
        )),
        Outcome::Unassignable(_) => None,
    })
}
