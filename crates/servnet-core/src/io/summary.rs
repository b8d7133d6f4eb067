//! The summary of a data folder that `servnet validate` prints.

use super::DataSet;
use crate::model::{Priority, ServiceKind};
use std::collections::BTreeMap;

impl DataSet {
    /// What `servnet validate` prints: outlets by status; regions, outlets and
    /// population by tier (an outlet is in the tier of the region whose representative
    /// point is nearest, in degrees); daily capacity and load of the open outlets
    /// against the tickets' units by service kind; tickets by priority; the installed
    /// base and sales plan totals.
    pub fn summary(&self) -> String {
        let d = self;
        let net = &d.network;
        let mut s = String::new();
        let mut line = |t: String| {
            s.push_str(&t);
            s.push('\n');
        };
        line(format!(
            "servnet data: {} outlets, {} regions, {} skills",
            net.outlets().len(),
            net.regions().len(),
            net.skills().len()
        ));

        let mut by_status: BTreeMap<&str, usize> = BTreeMap::new();
        for o in net.outlets() {
            *by_status.entry(o.status.as_str()).or_default() += 1;
        }
        line(format!("outlets by status: {}", join(&by_status)));

        let mut by_tier: BTreeMap<&str, (usize, usize, u64)> = BTreeMap::new();
        let region_tier: Vec<_> = net.regions().iter().map(|r| r.tier.as_str()).collect();
        for r in net.regions() {
            let e = by_tier.entry(r.tier.as_str()).or_default();
            e.0 += 1;
            e.2 += r.population.unwrap_or(0);
        }
        // An outlet's tier is the tier of the nearest region's representative point.
        for o in net.outlets() {
            let nearest = net
                .regions()
                .iter()
                .enumerate()
                .min_by(|a, b| {
                    let da = (a.1.lon - o.lon).powi(2) + (a.1.lat - o.lat).powi(2);
                    let db = (b.1.lon - o.lon).powi(2) + (b.1.lat - o.lat).powi(2);
                    da.total_cmp(&db)
                })
                .map(|(i, _)| i);
            if let Some(t) = nearest.and_then(|i| region_tier.get(i)) {
                by_tier.entry(t).or_default().1 += 1;
            }
        }
        line("tier  regions  outlets  population".into());
        for (t, (r, o, p)) in &by_tier {
            line(format!("{t:>4}  {r:>7}  {o:>7}  {p:>10}"));
        }

        let mut cap: BTreeMap<ServiceKind, (u64, u64)> = BTreeMap::new();
        for o in net.outlets().iter().filter(|o| o.status.takes_tickets()) {
            for sk in &o.skills {
                let e = cap.entry(sk.skill.kind).or_default();
                e.0 += u64::from(sk.daily_capacity);
                e.1 += u64::from(sk.load);
            }
        }
        let mut demand: BTreeMap<ServiceKind, u64> = BTreeMap::new();
        let mut by_priority: BTreeMap<Priority, usize> = BTreeMap::new();
        for t in &d.tickets {
            if let Some(id) = net.skill_id(&t.skill) {
                *demand.entry(net.skills()[id.index()].kind).or_default() += u64::from(t.units);
            }
            *by_priority.entry(t.priority).or_default() += 1;
        }
        line("daily capacity of open outlets (probation + active) by service kind:".into());
        line("kind          capacity     load  ticket units".into());
        for k in ServiceKind::ALL {
            let (c, l) = cap.get(&k).copied().unwrap_or_default();
            line(format!(
                "{:<12} {c:>9} {l:>8} {:>13}",
                k.as_str(),
                demand.get(&k).copied().unwrap_or(0)
            ));
        }
        let cap_total: u64 = net
            .outlets()
            .iter()
            .filter(|o| o.status.takes_tickets())
            .map(|o| u64::from(o.daily_cap))
            .sum();
        line(format!("outlet-wide daily cap (open outlets): {cap_total}"));
        let prio: Vec<String> = Priority::ALL
            .iter()
            .map(|p| {
                format!(
                    "{} {}",
                    p.as_str(),
                    by_priority.get(p).copied().unwrap_or(0)
                )
            })
            .collect();
        line(format!(
            "tickets: {} ({})",
            d.tickets.len(),
            prio.join(", ")
        ));
        let base: f64 = d.planning.installed_base.iter().map(|r| r.units).sum();
        let sales: f64 = d.planning.sales_plan.iter().map(|r| r.units).sum();
        line(format!(
            "installed base: {:.0} units of {} models in {} rows; sales plan: {:.0} units",
            base,
            d.planning.products.len(),
            d.planning.installed_base.len(),
            sales
        ));
        s
    }
}

fn join(m: &BTreeMap<&str, usize>) -> String {
    m.iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use crate::io::read_dir;
    use crate::testing::fixture_dir;

    #[test]
    fn every_outlet_is_counted_once_in_the_tier_table() {
        let data = read_dir(&fixture_dir("valid")).unwrap();
        let text = data.summary();
        let first = format!("servnet data: {} outlets,", data.network.outlets().len());
        assert!(text.starts_with(&first), "{text}");
        let rows: Vec<Vec<&str>> = text
            .lines()
            .skip_while(|l| !l.starts_with("tier "))
            .skip(1)
            .take_while(|l| !l.starts_with("daily capacity"))
            .map(|l| l.split_whitespace().collect())
            .collect();
        let regions: usize = rows.iter().map(|r| r[1].parse::<usize>().unwrap()).sum();
        let outlets: usize = rows.iter().map(|r| r[2].parse::<usize>().unwrap()).sum();
        assert_eq!(regions, data.network.regions().len());
        assert_eq!(outlets, data.network.outlets().len());
    }
}
