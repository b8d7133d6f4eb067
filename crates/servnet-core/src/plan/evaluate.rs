//! A located network made concrete: demand over `max_technicians` moved to the next
//! open site with room, idle sites closed (unless must-keep or dearer to close), every
//! open site sized for its peak-day technician hours (on site + round trip per ticket;
//! utilisation rule, optional Erlang C), and its costs, served share per tier and
//! response hours (travel + expected Erlang C wait).

use std::collections::BTreeMap;

use super::candidates::Problem;
use super::network_plan::PlanOptions;
use super::staffing;
use crate::Result;

/// A located, capped and sized network with its figures.
#[derive(Debug, Clone)]
pub(crate) struct Eval {
    pub(crate) open: Vec<bool>,
    pub(crate) assign: Vec<Option<usize>>,
    pub(crate) km: Vec<f64>,
    pub(crate) techs: Vec<u32>,
    /// Peak-day tickets per site.
    pub(crate) load: Vec<f64>,
    /// Peak-day technician hours per site (on site + round trips).
    pub(crate) hours: Vec<f64>,
    pub(crate) annual: Vec<f64>,
    pub(crate) served: Vec<bool>,
    pub(crate) fixed: f64,
    pub(crate) tech_cost: f64,
    pub(crate) travel: f64,
    pub(crate) open_close: f64,
    pub(crate) kept: usize,
    pub(crate) new: usize,
    /// Outlets open today that the plan closes.
    pub(crate) closed: usize,
    pub(crate) technicians: u32,
    pub(crate) by_tier: [(f64, f64); 3],
    pub(crate) mean_resp: f64,
    pub(crate) p95_resp: f64,
}

impl Eval {
    pub(crate) fn cost(&self) -> f64 {
        self.fixed + self.tech_cost + self.travel + self.open_close
    }
    pub(crate) fn n_open(&self) -> usize {
        self.kept + self.new
    }
    pub(crate) fn served_share(&self) -> f64 {
        let d: f64 = self.by_tier.iter().map(|t| t.0).sum();
        let s: f64 = self.by_tier.iter().map(|t| t.1).sum();
        if d > 0.0 {
            s / d
        } else {
            1.0
        }
    }
    pub(crate) fn tier_share(&self, t: usize) -> f64 {
        let (d, s) = self.by_tier[t];
        if d > 0.0 {
            s / d
        } else {
            1.0
        }
    }
}

/// Moves demand off sites whose peak-day hours need more than `max_technicians` to the
/// nearest other open site with room, cheapest moves first.
fn cap_sites(pb: &Problem, opts: &PlanOptions, open: &[bool], assign: &mut [Option<usize>]) {
    let st = &opts.staffing;
    let cap = f64::from(opts.costs.max_technicians) * st.hours_per_technician();
    let hours = |j: usize, km: f64| pb.points[j].peak * st.ticket_hours(km, opts.speed_kmh);
    let mut load = vec![0.0; pb.cands.len()];
    for (j, a) in assign.iter().enumerate() {
        if let Some(i) = a {
            load[*i] += hours(j, pb.km(*i, j).unwrap_or(0.0));
        }
    }
    let over: Vec<usize> = (0..pb.cands.len()).filter(|&i| load[i] > cap).collect();
    if over.is_empty() {
        return;
    }
    let mut members: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (j, a) in assign.iter().enumerate() {
        if let Some(i) = a {
            if load[*i] > cap {
                members.entry(*i).or_default().push(j);
            }
        }
    }
    for s in over {
        let mut moves: Vec<(f64, usize, usize)> = Vec::new();
        let here = |j: usize| pb.km(s, j).unwrap_or(0.0);
        for &j in members.get(&s).map(Vec::as_slice).unwrap_or(&[]) {
            if let Some((alt, km)) = pb.pairs(j).find(|&(i, _)| i != s && open[i]) {
                moves.push(((km - here(j)) * pb.points[j].annual, j, alt));
            }
        }
        moves.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for (_, j, _) in moves {
            if load[s] <= cap {
                break;
            }
            let to = pb
                .pairs(j)
                .find(|&(i, km)| i != s && open[i] && load[i] + hours(j, km) <= cap);
            if let Some((i, km)) = to {
                assign[j] = Some(i);
                load[s] -= hours(j, here(j));
                load[i] += hours(j, km);
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn evaluate(
    pb: &Problem,
    opts: &PlanOptions,
    forced: &[bool],
    mut open: Vec<bool>,
    mut assign: Vec<Option<usize>>,
    prune_idle: Option<usize>,
) -> Result<Eval> {
    let m = pb.cands.len();
    let st = &opts.staffing;
    let c = &opts.costs;
    cap_sites(pb, opts, &open, &mut assign);
    let mut load = vec![0.0; m];
    let mut hours = vec![0.0; m];
    let mut annual = vec![0.0; m];
    let mut budget = vec![f64::INFINITY; m];
    let mut km = vec![f64::INFINITY; pb.points.len()];
    for (j, a) in assign.iter().enumerate() {
        if let Some(i) = *a {
            let p = &pb.points[j];
            load[i] += p.peak;
            annual[i] += p.annual;
            let d = pb.km(i, j).unwrap_or(f64::INFINITY);
            km[j] = d;
            if d.is_finite() {
                hours[i] += p.peak * st.ticket_hours(d, opts.speed_kmh);
            }
            let b = p.hours - d / opts.speed_kmh;
            if b > 0.0 && p.peak > 0.0 {
                budget[i] = budget[i].min(b);
            }
        }
    }
    if let Some(mut may_close) = prune_idle {
        // An idle site closes when closing costs less than running it with one
        // technician (always for new sites); only must-keep sites stay idle otherwise,
        // and outlets open today only within `may_close` (the closure limit's rest).
        let keep_idle = c.keep_fixed_cost + c.technician_cost(1);
        for i in 0..m {
            let cand = &pb.cands[i];
            let today = cand.outlet.is_some() && cand.open_today;
            let cheaper_closed = !today || c.close_per_year(cand.techs_today) < keep_idle;
            if open[i]
                && !forced[i]
                && load[i] <= 0.0
                && annual[i] <= 0.0
                && cheaper_closed
                && (!today || may_close > 0)
            {
                open[i] = false;
                if today {
                    may_close -= 1;
                }
            }
        }
    }
    let mut techs = vec![0u32; m];
    let mut wait = vec![0.0; m];
    for i in (0..m).filter(|&i| open[i]) {
        let mut t = staffing::technicians_for_utilisation(
            hours[i],
            1.0,
            st.working_hours,
            st.utilisation_target,
        )?
        .max(1);
        // Erlang C on tickets: a ticket holds a technician for the site's mean hours.
        let per_ticket = if load[i] > 0.0 {
            hours[i] / load[i]
        } else {
            st.onsite_hours
        };
        let mu = 1.0 / per_ticket;
        let lambda = load[i] / st.working_hours;
        if let (Some(rt), true) = (&opts.response, load[i] > 0.0 && budget[i].is_finite()) {
            t = t.max(staffing::servers_for_service_level(
                lambda,
                mu,
                rt.service_level,
                budget[i],
            )?);
        }
        techs[i] = t;
        wait[i] = if lambda > 0.0 {
            staffing::mean_wait(lambda, mu, t).unwrap_or(st.working_hours)
        } else {
            0.0
        };
    }
    let mut served = vec![false; pb.points.len()];
    let mut by_tier = [(0.0, 0.0); 3];
    let mut resp: Vec<(f64, f64)> = Vec::new();
    let mut travel = 0.0;
    for (j, p) in pb.points.iter().enumerate() {
        let tier = p.tier;
        by_tier[tier].0 += p.peak;
        if let Some(i) = assign[j] {
            let r = km[j] / opts.speed_kmh + wait[i];
            served[j] = km[j] <= p.radius && r <= p.hours;
            if served[j] {
                by_tier[tier].1 += p.peak;
            }
            if km[j].is_finite() {
                travel += p.annual * km[j] * c.travel_cost_per_km;
                resp.push((r, p.peak));
            }
        }
    }
    resp.sort_by(|a, b| a.0.total_cmp(&b.0));
    let w: f64 = resp.iter().map(|x| x.1).sum();
    let mean_resp = if w > 0.0 {
        resp.iter().map(|x| x.0 * x.1).sum::<f64>() / w
    } else {
        0.0
    };
    let mut acc = 0.0;
    let mut p95_resp = resp.last().map_or(0.0, |x| x.0);
    for &(r, wt) in &resp {
        acc += wt;
        if acc >= 0.95 * w {
            p95_resp = r;
            break;
        }
    }
    let (mut fixed, mut tech_cost, mut open_close) = (0.0, 0.0, 0.0);
    let (mut kept, mut new, mut closed, mut technicians) = (0, 0, 0, 0u32);
    for (i, cand) in pb.cands.iter().enumerate() {
        if open[i] {
            technicians += techs[i];
            tech_cost += c.technician_cost(techs[i]);
            match cand.outlet {
                Some(_) => {
                    kept += 1;
                    fixed += c.keep_fixed_cost;
                }
                None => {
                    new += 1;
                    fixed += c.new_fixed_cost;
                    open_close += c.open_per_year();
                }
            }
        } else if cand.outlet.is_some() && cand.open_today {
            closed += 1;
            open_close += c.close_per_year(cand.techs_today);
        }
    }
    Ok(Eval {
        open,
        assign,
        km,
        techs,
        load,
        hours,
        annual,
        served,
        fixed,
        tech_cost,
        travel,
        open_close,
        kept,
        new,
        closed,
        technicians,
        by_tier,
        mean_resp,
        p95_resp,
    })
}
