//! Scheduling campaign visits into the capacity customer tickets leave, lexicographically:
//!
//! 1. the customer backlog is assigned exactly as [`crate::assign`] assigns it today,
//!    on a dispatcher with the caller's network and policy;
//! 2. a second dispatcher (the same outlets; regions' response limits raised so that a
//!    visit's deadline is the campaign's) books that plan in its ledger, so campaign
//!    visits see only the room customer tickets left, under the same limits (the
//!    emergency reserve stays free too: visits are low priority);
//! 3. campaign by campaign (earliest deadline first, then id), a balanced pass assigns
//!    the visits with a daily cap (a region quota over the campaign's regions:
//!    `ceil(spread_factor x units / days in the window)`), and a fill pass offers what
//!    it left to the room still free on any day of the window; each pass's plan is
//!    booked before the next pass.
//!
//! A campaign ticket therefore never displaces a customer ticket: the customer plan is
//! fixed before any visit is looked at, and visits can only book what is left.

use super::effect::repairs_avoided;
use super::model::{Campaign, CampaignOptions};
use super::report::{CampaignSchedule, PlannedVisit, UndoneReason};
use super::scope::{scope, visits, ScopeRow, Visit};
use crate::assign::{assign, AssignmentPlan, RegionQuota, UnassignedReason};
use crate::dispatch::{Dispatcher, Policy, Rule};
use crate::model::{Network, PlanningData, Ticket, MAX_HOURS};
use crate::{Error, Result};
use chrono::NaiveDate;
use std::collections::{BTreeMap, BTreeSet};

/// What a campaign schedule reads.
#[derive(Debug, Clone, Copy)]
pub struct CampaignInputs<'a> {
    /// The service network.
    pub network: &'a Network,
    /// The dispatch policy customer tickets are assigned under (its horizon is raised
    /// for the visits to cover the campaigns' windows).
    pub policy: &'a Policy,
    /// The customer backlog, assigned first and never displaced.
    pub customers: &'a [Ticket],
    /// The installed base, products (repair curves) and retirement curves.
    pub planning: &'a PlanningData,
    /// The campaigns.
    pub campaigns: &'a [Campaign],
    /// The day the schedule is made: visits start on it at the earliest.
    pub as_of: NaiveDate,
}

/// Score-point penalty for leaving a visit out in the campaign passes: far above any
/// dispatch score, so coverage comes first and the score only picks among outlets.
const VISIT_PENALTY: f64 = 100_000.0;

/// Checks the campaigns (each one's fields, unique ids) and the options.
pub fn check_campaigns(campaigns: &[Campaign], opts: &CampaignOptions) -> Result<()> {
    opts.validate()?;
    let mut seen = BTreeSet::new();
    for c in campaigns {
        if let Some((field, message)) = c.problems().into_iter().next() {
            return Err(Error::argument(
                field,
                format!("campaign '{}': {message}", c.id),
            ));
        }
        if !seen.insert(c.id.as_str()) {
            return Err(Error::argument(
                "id",
                format!("campaign id '{}' appears twice", c.id),
            ));
        }
    }
    Ok(())
}

/// Schedules every campaign's visits into the capacity the customer backlog leaves
/// (see the module's steps) and reports the visits, the units left undone with their
/// reason, cost and expected repairs avoided.
///
/// Errors: bad options or campaigns, a campaign model not in the products or region not
/// in the network, more visits than `max_tickets`, a window ending more than 366 days
/// after the first day counted, or bad customer tickets.
pub fn schedule_campaigns(
    inputs: &CampaignInputs<'_>,
    opts: &CampaignOptions,
) -> Result<CampaignSchedule> {
    check_campaigns(inputs.campaigns, opts)?;
    let campaigns = inputs.campaigns;
    let rows = scope(campaigns, inputs.planning, inputs.network)?;
    let all = visits(campaigns, &rows, inputs.network, inputs.as_of, opts)?;
    let start = match inputs.policy.start_date {
        Some(d) => d,
        None => inputs
            .customers
            .iter()
            .map(|t| t.created_at.date())
            .min()
            .map_or(inputs.as_of, |d| d.min(inputs.as_of)),
    };
    let last = campaigns
        .iter()
        .filter(|c| c.deadline >= inputs.as_of)
        .map(|c| c.deadline)
        .max()
        .unwrap_or(inputs.as_of);
    let span = (last - start).num_days() + 1;
    if span > super::model::MAX_WINDOW_DAYS {
        return Err(Error::argument(
            "deadline",
            format!(
                "the last deadline {last} is {span} days from the first day counted {start}; at most {}",
                super::model::MAX_WINDOW_DAYS
            ),
        ));
    }

    // 1. Customer tickets, as today.
    let d1 = Dispatcher::new(inputs.network.clone(), inputs.policy.clone())?;
    d1.init_start(start);
    let customer = assign(inputs.customers, &d1, &opts.assign)?;

    // 2. The visits' dispatcher, with the customer plan booked.
    let mut policy = inputs.policy.clone();
    policy.horizon_days = policy.horizon_days.max(span as u32);
    let d2 = Dispatcher::new(visit_network(inputs.network)?, policy)?;
    d2.init_start(start);
    let by_id: BTreeMap<&str, &Ticket> = inputs
        .customers
        .iter()
        .map(|t| (t.id.as_str(), t))
        .collect();
    // Emergencies last: the plan lets them use the emergency reserve on top of the room
    // the others fill, and booked first they would take room the others were planned in.
    let mut planned: Vec<(&crate::assign::PlannedAssignment, &Ticket)> = customer
        .assignments
        .iter()
        .filter_map(|a| by_id.get(a.ticket_id.as_str()).map(|t| (a, *t)))
        .collect();
    planned.sort_by_key(|(_, t)| t.priority == crate::model::Priority::Emergency);
    for (a, t) in planned {
        if !d2.book_planned(t, &a.outlet_id, a.day, a.distance_km)? {
            return Err(Error::Solver(format!(
                "customer ticket '{}' could not be booked on outlet '{}' day {} again",
                a.ticket_id, a.outlet_id, a.day
            )));
        }
    }

    // 3. Campaign by campaign, earliest deadline first.
    let mut order: Vec<usize> = (0..campaigns.len()).collect();
    order.sort_by(|&a, &b| {
        (campaigns[a].deadline, &campaigns[a].id).cmp(&(campaigns[b].deadline, &campaigns[b].id))
    });
    let mut planned = Vec::new();
    let mut undone: Vec<(usize, UndoneReason)> = Vec::new();
    let mut daily_caps = vec![None; campaigns.len()];
    for c in order {
        let camp = &campaigns[c];
        let mine: Vec<&Visit> = all
            .iter()
            .filter(|v| rows.get(v.scope).is_some_and(|r| r.campaign == c))
            .collect();
        if mine.is_empty() {
            continue;
        }
        let first = camp.start.max(inputs.as_of);
        let days = ((camp.deadline - first).num_days() + 1).max(1) as f64;
        let units: u64 = mine.iter().map(|v| u64::from(v.ticket.units)).sum();
        let cap = (opts.spread_factor > 0.0).then(|| {
            (opts.spread_factor * units as f64 / days)
                .ceil()
                .clamp(1.0, f64::from(u32::MAX)) as u32
        });
        daily_caps[c] = cap;
        let regions: BTreeSet<&str> = mine.iter().map(|v| v.ticket.region.as_str()).collect();
        let mut pass_opts = opts.assign.clone();
        pass_opts.unassigned_penalty = [VISIT_PENALTY; 4];
        pass_opts.late_days = 0;
        pass_opts.current.clear();
        pass_opts.quotas = cap
            .map(|cap| RegionQuota {
                id: format!("spread:{}", camp.id),
                regions: regions.iter().map(|r| r.to_string()).collect(),
                outlets: Vec::new(),
                max_units: cap,
            })
            .into_iter()
            .collect();
        let mut left: Vec<&Visit> = mine;
        let passes: &[&str] = match (cap.is_some(), opts.fill_after_spread) {
            (true, true) => &["spread", "fill"],
            (true, false) => &["spread"],
            (false, _) => &["fill"],
        };
        let mut reasons: BTreeMap<&str, UndoneReason> = BTreeMap::new();
        for &pass in passes {
            if left.is_empty() {
                break;
            }
            if pass == "fill" {
                pass_opts.quotas.clear();
            }
            let tickets: Vec<Ticket> = left.iter().map(|v| v.ticket.clone()).collect();
            let plan = assign(&tickets, &d2, &pass_opts)?;
            book(&d2, &plan, &left)?;
            let done: BTreeMap<&str, _> = plan
                .assignments
                .iter()
                .map(|a| (a.ticket_id.as_str(), a))
                .collect();
            let ids: BTreeSet<&str> = left.iter().map(|v| v.ticket.id.as_str()).collect();
            for (id, why) in &plan.unassigned {
                if let Some(&k) = ids.get(id.as_str()) {
                    reasons.insert(k, undone_reason(why));
                }
            }
            let mut next = Vec::new();
            for v in left {
                match done.get(v.ticket.id.as_str()) {
                    Some(a) => {
                        reasons.remove(v.ticket.id.as_str());
                        planned.push(visit_row(camp, &rows[v.scope], v, a, pass, inputs)?);
                    }
                    None => next.push(v),
                }
            }
            left = next;
        }
        for v in left {
            let why = reasons
                .get(v.ticket.id.as_str())
                .copied()
                .unwrap_or(UndoneReason::NoCapacity);
            undone.push((v.scope, why));
        }
    }
    // Campaigns past their deadline: every unit undone.
    for (i, r) in rows.iter().enumerate() {
        if campaigns
            .get(r.campaign)
            .is_some_and(|c| c.deadline < inputs.as_of)
        {
            for _ in 0..r.units {
                undone.push((i, UndoneReason::PastDeadline));
            }
        }
    }
    super::report::build(
        campaigns, rows, planned, &undone, daily_caps, customer, inputs,
    )
}

/// The network with every region's and package's response limit raised to the longest
/// accepted, so a visit ticket's deadline is its campaign's. Everything else stays: the
/// travel limit and areas, the time zone and the service packages' modes (a visit in a
/// carry-in package goes to an outlet within its `carry_in_km`, with no travel).
fn visit_network(network: &Network) -> Result<Network> {
    let regions = network
        .regions()
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.max_response_hours = MAX_HOURS;
            r
        })
        .collect();
    let packages = network
        .packages()
        .iter()
        .map(|p| {
            let mut p = p.clone();
            p.response_hours = MAX_HOURS;
            p
        })
        .collect();
    Network::new(network.outlets().to_vec(), regions)?
        .with_settings_of(network)
        .with_packages(packages)
}

/// Books a pass's plan in the visits' ledger (it was made at that ledger's loads, so
/// every booking fits).
fn book(d: &Dispatcher, plan: &AssignmentPlan, left: &[&Visit]) -> Result<()> {
    let by_id: BTreeMap<&str, &Ticket> = left
        .iter()
        .map(|v| (v.ticket.id.as_str(), &v.ticket))
        .collect();
    for a in &plan.assignments {
        if let Some(t) = by_id.get(a.ticket_id.as_str()) {
            if !d.book_planned(t, &a.outlet_id, a.day, a.distance_km)? {
                return Err(Error::Solver(format!(
                    "visit '{}' planned on outlet '{}' day {} did not fit the ledger",
                    a.ticket_id, a.outlet_id, a.day
                )));
            }
        }
    }
    Ok(())
}

/// Why an unassigned visit is left undone.
fn undone_reason(r: &UnassignedReason) -> UndoneReason {
    match r {
        UnassignedReason::Ineligible(Rule::OutsideArea | Rule::TooFar) => UndoneReason::OutOfRegion,
        UnassignedReason::Ineligible(Rule::NoSkill | Rule::Status | Rule::Avoided) => {
            UndoneReason::NoEligibleOutlet
        }
        _ => UndoneReason::NoCapacity,
    }
}

fn visit_row(
    camp: &Campaign,
    row: &ScopeRow,
    v: &Visit,
    a: &crate::assign::PlannedAssignment,
    pass: &str,
    inputs: &CampaignInputs<'_>,
) -> Result<PlannedVisit> {
    let date = a
        .date
        .ok_or_else(|| Error::Solver(format!("visit '{}' has no calendar date", v.ticket.id)))?;
    let curve = inputs
        .planning
        .products
        .iter()
        .find(|p| p.model == row.model)
        .map(|p| &p.curve);
    let avoided = curve.map_or(0.0, |c| {
        repairs_avoided(c, row.vintage, date, camp.effect_months, camp.effect_share)
    });
    Ok(PlannedVisit {
        campaign_id: camp.id.clone(),
        ticket_id: v.ticket.id.clone(),
        region: row.region.clone(),
        model: row.model.clone(),
        vintage: row.vintage,
        skill: row.skill.clone(),
        outlet_id: a.outlet_id.clone(),
        date,
        day: a.day,
        capacity_units: v.ticket.units,
        minutes: camp.minutes_per_unit,
        cost: camp.cost_per_unit,
        repairs_avoided: avoided,
        distance_km: a.distance_km,
        pass: pass.to_string(),
    })
}
