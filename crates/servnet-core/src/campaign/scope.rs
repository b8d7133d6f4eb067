//! A campaign's scope: the installed base's units of its models, sale years and regions
//! still in service when it starts, reached at the campaign's `reach`, and one visit
//! ticket per unit.

use super::model::{Campaign, CampaignOptions};
use crate::model::{Network, PlanningData, Priority, Skill, Ticket};
use crate::rng::SplitMix64;
use crate::{Error, Result};
use chrono::{Datelike, NaiveDate, NaiveTime};
use std::collections::BTreeMap;

/// Units of one campaign in one region, model and sale year.
#[derive(Debug, Clone, PartialEq)]
pub struct ScopeRow {
    /// Index of the campaign in the list scheduled.
    pub campaign: usize,
    /// Region code.
    pub region: String,
    /// Product model.
    pub model: String,
    /// Product category.
    pub category: String,
    /// Year of sale.
    pub vintage: i32,
    /// Units in service at the campaign's start (the installed base aged by the
    /// category's retirement curve) x reach, rounded.
    pub units: u32,
    /// The skill a visit needs (`kind:category`).
    pub skill: String,
}

/// One unit's visit: a ticket of the campaign's skill, due by the deadline.
#[derive(Debug, Clone, PartialEq)]
pub struct Visit {
    /// Index of its [`ScopeRow`].
    pub scope: usize,
    /// The ticket (priority low, `units` = capacity units of one visit).
    pub ticket: Ticket,
}

/// Hour at which a visit ticket opens on the campaign's first day.
const OPEN: (u32, u32) = (8, 0);
/// Hour by which a visit is due on the deadline.
const CLOSE: (u32, u32) = (20, 0);

/// The units in scope of every campaign, in campaign, region, model, vintage order.
///
/// Units in service at the campaign's start year `y`: the installed base (counted in
/// its last vintage year `B`) x `S(y - v) / S(B - v)` with the category's retirement
/// curve `S` (none: all units stay), x `reach`, rounded to whole units.
/// Errors: a campaign model not in the products, a region not in the network.
pub fn scope(
    campaigns: &[Campaign],
    data: &PlanningData,
    network: &Network,
) -> Result<Vec<ScopeRow>> {
    let category: BTreeMap<&str, &str> = data
        .products
        .iter()
        .map(|p| (p.model.as_str(), p.category.as_str()))
        .collect();
    let base_last = data.installed_base.iter().map(|r| r.vintage).max();
    let mut out = Vec::new();
    for (c, camp) in campaigns.iter().enumerate() {
        for m in &camp.models {
            if !category.contains_key(m.as_str()) {
                return Err(Error::argument(
                    "models",
                    format!("campaign '{}': model '{m}' is not in the products", camp.id),
                ));
            }
        }
        for r in &camp.regions {
            if network.region_index(r).is_none() {
                return Err(Error::argument(
                    "regions",
                    format!("campaign '{}': region '{r}' is not in the network", camp.id),
                ));
            }
        }
        let year = camp.start.year();
        let mut rows: BTreeMap<(&str, &str, i32), f64> = BTreeMap::new();
        for b in &data.installed_base {
            let in_scope = camp.models.contains(&b.model)
                && (camp.vintage_from..=camp.vintage_to).contains(&b.vintage)
                && (camp.regions.is_empty() || camp.regions.contains(&b.region));
            if !in_scope {
                continue;
            }
            let survival = match (data.retirement.get(&b.category), base_last) {
                (Some(curve), Some(last)) => {
                    let then = curve.survival(last - b.vintage);
                    if then > 0.0 {
                        (curve.survival(year - b.vintage) / then).min(1.0)
                    } else {
                        0.0
                    }
                }
                _ => 1.0,
            };
            *rows
                .entry((b.region.as_str(), b.model.as_str(), b.vintage))
                .or_insert(0.0) += b.units * survival;
        }
        for ((region, model, vintage), units) in rows {
            let units = (units * camp.reach).round();
            if units < 1.0 {
                continue;
            }
            let cat = category.get(model).copied().unwrap_or_default();
            out.push(ScopeRow {
                campaign: c,
                region: region.to_string(),
                model: model.to_string(),
                category: cat.to_string(),
                vintage,
                units: units.min(f64::from(u32::MAX)) as u32,
                skill: Skill {
                    kind: camp.action.kind(),
                    category: cat.to_string(),
                }
                .to_string(),
            });
        }
    }
    Ok(out)
}

/// One visit ticket per unit of `rows`, opening on the later of the campaign's start
/// and `as_of`, due on its deadline; placed around the region's centre (uniform in a
/// disc of `jitter_km`, a fixed draw from `seed`). Ticket ids are
/// `<campaign>/<region>/<model>/<vintage>/<n>`. Rows of campaigns whose deadline is
/// before `as_of` make no visits (the report gives them as past their deadline).
/// Errors: more than `max_tickets` visits, naming the campaign that passes it.
pub fn visits(
    campaigns: &[Campaign],
    rows: &[ScopeRow],
    network: &Network,
    as_of: NaiveDate,
    opts: &CampaignOptions,
) -> Result<Vec<Visit>> {
    let mut rng = SplitMix64::new(opts.seed);
    let total: u64 = rows
        .iter()
        .filter(|r| {
            campaigns
                .get(r.campaign)
                .is_some_and(|c| c.deadline >= as_of)
        })
        .map(|r| u64::from(r.units))
        .sum();
    if total > opts.max_tickets as u64 {
        let first = rows
            .iter()
            .scan(0u64, |acc, r| {
                *acc += u64::from(r.units);
                Some((r.campaign, *acc))
            })
            .find(|&(_, acc)| acc > opts.max_tickets as u64)
            .and_then(|(c, _)| campaigns.get(c))
            .map_or("?", |c| c.id.as_str());
        return Err(Error::argument(
            "max_tickets",
            format!(
                "the campaigns' scope is {total} units, more than max_tickets {} (campaign '{first}' passes it): narrow the scope or raise the limit",
                opts.max_tickets
            ),
        ));
    }
    let mut out = Vec::with_capacity(total as usize);
    for (i, row) in rows.iter().enumerate() {
        let Some(camp) = campaigns.get(row.campaign) else {
            continue;
        };
        if camp.deadline < as_of {
            continue;
        }
        let Some(region) = network
            .region_index(&row.region)
            .and_then(|r| network.regions().get(r))
        else {
            continue;
        };
        let open = camp.start.max(as_of).and_time(hm(OPEN));
        let due = camp.deadline.and_time(hm(CLOSE));
        let units = opts.units_for(camp.minutes_per_unit);
        for n in 1..=row.units {
            let (lon, lat) = jitter(&mut rng, region.lon, region.lat, opts.jitter_km);
            let id = format!(
                "{}/{}/{}/{}/{n}",
                camp.id, row.region, row.model, row.vintage
            );
            let mut t = Ticket::new(&id, lon, lat, &row.region, &row.skill, open);
            t.units = units;
            t.priority = Priority::Low;
            t.due_by = due;
            out.push(Visit {
                scope: i,
                ticket: t,
            });
        }
    }
    Ok(out)
}

fn hm((h, m): (u32, u32)) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN)
}

/// A point uniform in the disc of `km` around (lon, lat).
fn jitter(rng: &mut SplitMix64, lon: f64, lat: f64, km: f64) -> (f64, f64) {
    if km <= 0.0 {
        return (lon, lat);
    }
    let r = km * rng.next_f64().sqrt();
    let a = std::f64::consts::TAU * rng.next_f64();
    let lat2 = (lat + r * a.sin() / 111.2).clamp(-89.9, 89.9);
    let coslat = lat2.to_radians().cos().max(0.01);
    let lon2 = (lon + r * a.cos() / (111.2 * coslat)).clamp(-180.0, 180.0);
    (lon2, lat2)
}
