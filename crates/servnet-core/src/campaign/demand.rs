//! Campaign work as demand in a forecast: a campaign's visits, in capacity units
//! (`units x minutes_per_unit / minutes_per_ticket_unit`), spread evenly over the days
//! of its window, added to the tickets of its skill, region and year, and to the
//! region's peak day in the month they fall in.
//!
//! The regions' peak months are recomputed with the campaign's months (a campaign in a
//! quiet month adds no peak capacity; one in the busy month does). Network-wide totals
//! ([`crate::plan::forecast::Forecast::totals`]) spread the added tickets by the skill's
//! seasonality, as they do for every ticket. Each campaign adds a
//! [`crate::plan::forecast::DemandSource`] saying what it added.

use super::model::{Campaign, CampaignOptions};
use super::scope::scope;
use crate::model::{Network, PlanningData, Skill};
use crate::plan::forecast::{busiest_month, days_in_month, DemandSource, Forecast};
use crate::Result;
use chrono::Datelike;
use ndarray::{Array2, Array3, Axis};
use std::collections::{BTreeMap, BTreeSet};

/// `forecast` with the campaigns' work added (see the module). A campaign's skill that
/// the forecast lacks is added to it. Errors: bad campaigns or options, a campaign model
/// not in the products, a region not in the network.
pub fn add_campaigns(
    forecast: &Forecast,
    campaigns: &[Campaign],
    data: &PlanningData,
    network: &Network,
    opts: &CampaignOptions,
) -> Result<Forecast> {
    super::schedule::check_campaigns(campaigns, opts)?;
    let rows = scope(campaigns, data, network)?;
    let mut fc = forecast.clone();
    for r in &rows {
        if let Ok(skill) = r.skill.parse::<Skill>() {
            if !fc.skills.contains(&skill) {
                fc = with_skill(&fc, skill);
            }
        }
    }
    let base = fc.tickets.clone();
    // Campaign capacity units per (region, skill, year index) and month.
    let mut added: BTreeMap<(usize, usize, usize), [f64; 12]> = BTreeMap::new();
    let mut totals: BTreeMap<usize, (f64, f64, BTreeSet<&str>)> = BTreeMap::new();
    for row in &rows {
        let (Some(camp), Some(r)) = (
            campaigns.get(row.campaign),
            fc.regions.iter().position(|c| *c == row.region),
        ) else {
            continue;
        };
        let Some(s) = fc.skills.iter().position(|s| s.to_string() == row.skill) else {
            continue;
        };
        let work = f64::from(row.units) * camp.minutes_per_unit / opts.minutes_per_ticket_unit;
        let per_day = work / camp.window_days() as f64;
        let t = totals
            .entry(row.campaign)
            .or_insert((0.0, 0.0, BTreeSet::new()));
        t.0 += f64::from(row.units);
        t.1 += work;
        t.2.insert(row.skill.as_str());
        let mut day = camp.start;
        while day <= camp.deadline {
            if let Some(k) = fc.year_index(day.year()) {
                added.entry((r, s, k)).or_insert([0.0; 12])[day.month0() as usize] += per_day;
            }
            match day.succ_opt() {
                Some(d) => day = d,
                None => break,
            }
        }
    }
    for (&(r, s, k), months) in &added {
        fc.tickets[[r, s, k]] += months.iter().sum::<f64>();
    }
    // Region peaks with the campaigns' months.
    let (n_r, n_s, _) = fc.tickets.dim();
    for (k, &year) in fc.years.clone().iter().enumerate() {
        for r in 0..n_r {
            let extra = |s: usize, m: usize| added.get(&(r, s, k)).map_or(0.0, |a| a[m]);
            let month = busiest_month(|m| {
                (0..n_s)
                    .map(|s| base[[r, s, k]] * fc.monthly_share[[s, m]] + extra(s, m))
                    .sum()
            });
            fc.region_peak_month[[r, k]] = month;
            let m = month as usize - 1;
            let days = f64::from(days_in_month(year, month));
            for s in 0..n_s {
                fc.peak_day[[r, s, k]] = (base[[r, s, k]] * fc.monthly_share[[s, m]] + extra(s, m))
                    / days
                    * fc.day_peak_factor;
            }
        }
    }
    for (c, (units, work, skills)) in totals {
        let Some(camp) = campaigns.get(c) else {
            continue;
        };
        fc.sources.push(DemandSource {
            skill: skills.into_iter().collect::<Vec<_>>().join(";"),
            forecast: true,
            rate: None,
            inputs: format!(
                "campaign '{}': {units:.0} units x {} min / {} min per capacity unit = {work:.1} units of work, spread over {}..{}",
                camp.id,
                camp.minutes_per_unit,
                opts.minutes_per_ticket_unit,
                camp.start,
                camp.deadline
            ),
        });
    }
    Ok(fc)
}

/// `fc` with `skill` added (no tickets), skills kept sorted by their text.
fn with_skill(fc: &Forecast, skill: Skill) -> Forecast {
    let mut skills = fc.skills.clone();
    skills.push(skill);
    skills.sort_by_key(|s| s.to_string());
    let old: Vec<Option<usize>> = skills
        .iter()
        .map(|s| fc.skills.iter().position(|o| o == s))
        .collect();
    let (n_r, _, n_y) = fc.tickets.dim();
    let n_s = skills.len();
    let mut tickets = Array3::<f64>::zeros((n_r, n_s, n_y));
    let mut peak_day = Array3::<f64>::zeros((n_r, n_s, n_y));
    let mut peak_month = Array2::<u32>::ones((n_s, n_y));
    let mut peak_share = Array2::<f64>::from_elem((n_s, n_y), 1.0 / 12.0);
    let mut monthly_share = Array2::<f64>::from_elem((n_s, 12), 1.0 / 12.0);
    for (s, o) in old.iter().enumerate() {
        let Some(o) = *o else {
            continue;
        };
        tickets
            .index_axis_mut(Axis(1), s)
            .assign(&fc.tickets.index_axis(Axis(1), o));
        peak_day
            .index_axis_mut(Axis(1), s)
            .assign(&fc.peak_day.index_axis(Axis(1), o));
        peak_month.row_mut(s).assign(&fc.peak_month.row(o));
        peak_share.row_mut(s).assign(&fc.peak_share.row(o));
        monthly_share.row_mut(s).assign(&fc.monthly_share.row(o));
    }
    Forecast {
        skills,
        tickets,
        peak_day,
        peak_month,
        peak_share,
        monthly_share,
        ..fc.clone()
    }
}
