//! The settlement statement (结算): one row per outlet for a period, from its completed
//! bookings: tickets by kind, fees, travel, total, SLA met share.

use super::{listed_fee, ticket_cost, CostInput, FeeSchedule, TicketCost};
use crate::io::{Column, Tabular};
use crate::model::{Network, ServiceKind, Skill, Tier};
use crate::{Error, Result};
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// One completed booking, as settled.
#[derive(Debug, Clone, PartialEq)]
pub struct Booking {
    /// The ticket.
    pub ticket_id: String,
    /// The outlet that did the work.
    pub outlet_id: String,
    /// The day the work was done (the statement's period is over these dates).
    pub date: NaiveDate,
    /// The ticket's skill.
    pub skill: Skill,
    /// The tier of the ticket's region.
    pub tier: Option<Tier>,
    /// Units of work.
    pub units: u32,
    /// Road km between outlet and customer.
    pub road_km: f64,
    /// Whether a technician travelled (false for carry-in).
    pub travel: bool,
    /// Whether the SLA was met (`None`: not known).
    pub sla_met: Option<bool>,
}

impl Booking {
    /// Its cost under `schedule` (the fee defaults to the outlet's listed
    /// `cost_per_ticket` in `network`).
    pub fn cost(&self, schedule: &FeeSchedule, network: &Network) -> TicketCost {
        ticket_cost(
            schedule,
            &CostInput {
                outlet: &self.outlet_id,
                kind: self.skill.kind,
                tier: self.tier,
                units: self.units,
                road_km: self.road_km,
                travel: self.travel,
            },
            listed_fee(network, &self.outlet_id, &self.skill),
        )
    }
}

/// One outlet's settlement for the period.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StatementRow {
    /// The outlet.
    pub outlet_id: String,
    /// Its name (empty when the network does not know it).
    pub name: String,
    /// Tickets settled.
    pub tickets: u64,
    /// Units of work settled.
    pub units: u64,
    /// Tickets by service kind, in [`ServiceKind::ALL`] order.
    pub by_kind: [u64; 5],
    /// Road km travelled (tickets with a technician trip only).
    pub road_km: f64,
    /// Sum of fees.
    pub fees: f64,
    /// Sum of travel.
    pub travel: f64,
    /// `fees + travel`.
    pub total: f64,
    /// Tickets whose SLA is known.
    pub sla_known: u64,
    /// Of those, tickets that met it.
    pub sla_met: u64,
}

impl StatementRow {
    /// Share of tickets with a known SLA that met it (`None` when none is known).
    pub fn sla_met_share(&self) -> Option<f64> {
        (self.sla_known > 0).then(|| self.sla_met as f64 / self.sla_known as f64)
    }
}

/// A settlement statement: one row per outlet with a booking in the period (by outlet
/// id), and what was left out.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// First day of the period (included).
    pub from: NaiveDate,
    /// Last day of the period (included).
    pub to: NaiveDate,
    /// One row per outlet.
    pub rows: Vec<StatementRow>,
    /// Bookings dated outside the period (not settled).
    pub outside: usize,
}

impl Statement {
    /// The network's totals over every row.
    pub fn totals(&self) -> StatementRow {
        let mut t = StatementRow {
            outlet_id: "TOTAL".into(),
            ..StatementRow::default()
        };
        for r in &self.rows {
            t.tickets += r.tickets;
            t.units += r.units;
            for (a, b) in t.by_kind.iter_mut().zip(r.by_kind) {
                *a += b;
            }
            t.road_km += r.road_km;
            t.fees += r.fees;
            t.travel += r.travel;
            t.total += r.total;
            t.sla_known += r.sla_known;
            t.sla_met += r.sla_met;
        }
        t
    }
}

/// Settles `bookings` dated `from..=to` (both days included) under `schedule`.
pub fn settle(
    network: &Network,
    schedule: &FeeSchedule,
    bookings: &[Booking],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Statement> {
    if from > to {
        return Err(Error::argument(
            "from",
            format!("the period starts ({from}) after it ends ({to})"),
        ));
    }
    let mut rows: BTreeMap<&str, StatementRow> = BTreeMap::new();
    let mut outside = 0;
    for b in bookings {
        if b.date < from || b.date > to {
            outside += 1;
            continue;
        }
        let c = b.cost(schedule, network);
        let r = rows.entry(&b.outlet_id).or_insert_with(|| StatementRow {
            outlet_id: b.outlet_id.clone(),
            name: network
                .outlet_index(&b.outlet_id)
                .and_then(|o| network.outlets().get(o))
                .map(|o| o.name.clone())
                .unwrap_or_default(),
            ..StatementRow::default()
        });
        r.tickets += 1;
        r.units += u64::from(b.units);
        if let Some(k) = ServiceKind::ALL.iter().position(|&k| k == b.skill.kind) {
            r.by_kind[k] += 1;
        }
        if b.travel {
            r.road_km += b.road_km;
        }
        r.fees += c.fee;
        r.travel += c.travel;
        r.total += c.total;
        if let Some(met) = b.sla_met {
            r.sla_known += 1;
            r.sla_met += u64::from(met);
        }
    }
    Ok(Statement {
        from,
        to,
        rows: rows.into_values().collect(),
        outside,
    })
}

const COLUMNS: &[Column] = &[
    Column::text("outlet_id"),
    Column::text("name"),
    Column::text("from"),
    Column::text("to"),
    Column::number("tickets"),
    Column::number("units"),
    Column::number("tickets_delivery"),
    Column::number("tickets_install"),
    Column::number("tickets_repair"),
    Column::number("tickets_maintenance"),
    Column::number("tickets_inspection"),
    Column::number("road_km"),
    Column::number("fees"),
    Column::number("travel"),
    Column::number("total"),
    Column::number("sla_known"),
    Column::number("sla_met"),
    Column::number("sla_met_share"),
];

/// A statement written one row per outlet (columns in docs/formats.md).
pub struct StatementTable<'a>(pub &'a Statement);

impl Tabular for StatementTable<'_> {
    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn len(&self) -> usize {
        self.0.rows.len()
    }

    fn row(&self, i: usize, out: &mut Vec<String>) {
        let Some(r) = self.0.rows.get(i) else {
            return;
        };
        out.extend([
            r.outlet_id.clone(),
            r.name.clone(),
            self.0.from.to_string(),
            self.0.to.to_string(),
            r.tickets.to_string(),
            r.units.to_string(),
        ]);
        out.extend(r.by_kind.iter().map(u64::to_string));
        out.extend([
            format!("{:.2}", r.road_km),
            format!("{:.2}", r.fees),
            format!("{:.2}", r.travel),
            format!("{:.2}", r.total),
            r.sla_known.to_string(),
            r.sla_met.to_string(),
            r.sla_met_share()
                .map(|s| format!("{s:.4}"))
                .unwrap_or_default(),
        ]);
    }
}
