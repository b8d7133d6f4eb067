//! A network plan's sites as a table for [`crate::io`]'s writers (`plan --out`).

use super::network_plan::{NetworkPlan, SiteRule};
use crate::io::{Column, Tabular};

const COLUMNS: &[Column] = &[
    Column::text("site_id"),
    Column::text("name"),
    Column::number("lon"),
    Column::number("lat"),
    Column::text("region"),
    Column::text("tier"),
    Column::text("rule"),
    Column::text("decision"),
    Column::number("modules"),
    Column::number("technicians"),
    Column::number("capacity"),
    Column::number("assigned_demand"),
    Column::number("utilisation"),
    Column::number("covered_demand"),
    Column::number("regions_served"),
    Column::number("cost"),
];

/// One row per site of the plan.
impl Tabular for NetworkPlan {
    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn len(&self) -> usize {
        self.sites.len()
    }

    fn row(&self, i: usize, out: &mut Vec<String>) {
        let Some(p) = self.sites.get(i) else { return };
        let rule = match p.rule {
            SiteRule::MustKeep => "must_keep",
            SiteRule::MayClose => "may_close",
            SiteRule::New => "new",
        };
        out.extend([
            p.site_id.clone(),
            p.name.clone(),
            format!("{:.5}", p.lon),
            format!("{:.5}", p.lat),
            p.region.clone(),
            p.tier.as_str().to_string(),
            rule.to_string(),
            p.decision.as_str().to_string(),
            p.modules.to_string(),
            p.technicians.to_string(),
            format!("{:.2}", p.capacity),
            format!("{:.2}", p.assigned_demand),
            format!("{:.4}", p.utilisation),
            format!("{:.2}", p.covered_demand),
            p.regions_served.to_string(),
            format!("{:.0}", p.cost),
        ]);
    }
}
