//! A network plan's sites as a table for [`crate::io`]'s writers (`plan --out`, Python
//! `sites_csv()`).

use super::network_plan::NetworkPlan;
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
    Column::text("categories"),
    Column::number("technicians_today"),
    Column::bool("open_today"),
    Column::number("technicians"),
    Column::number("capacity"),
    Column::number("assigned_demand"),
    Column::number("annual_tickets"),
    Column::number("annual_tickets_today"),
    Column::number("served_demand"),
    Column::number("takes_over"),
    Column::text("takes_over_from"),
    Column::text("goes_to"),
    Column::number("utilisation"),
    Column::number("mean_km"),
    Column::number("cells_served"),
    Column::number("service_radius_km"),
    Column::number("cost"),
    Column::text("reason"),
    Column::number("today_tickets"),
    Column::number("today_service_cost"),
    Column::number("replay_tickets"),
    Column::number("replay_fees"),
    Column::number("replay_travel"),
    Column::number("replay_service_cost"),
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
        out.extend([
            p.site_id.clone(),
            p.name.clone(),
            format!("{:.5}", p.lon),
            format!("{:.5}", p.lat),
            p.region.clone(),
            p.tier.as_str().to_string(),
            p.rule.as_str().to_string(),
            p.decision.as_str().to_string(),
            p.categories.join(";"),
            format!("{:.1}", p.technicians_today),
            p.open_today.to_string(),
            p.technicians.to_string(),
            format!("{:.2}", p.capacity),
            format!("{:.2}", p.assigned_demand),
            format!("{:.1}", p.annual_tickets),
            format!("{:.1}", p.annual_tickets_today),
            format!("{:.2}", p.served_demand),
            format!("{:.2}", p.takes_over),
            p.takes_over_from.join(";"),
            p.goes_to.clone().unwrap_or_default(),
            format!("{:.4}", p.utilisation),
            format!("{:.2}", p.mean_km),
            p.cells_served.to_string(),
            format!("{:.2}", p.service_radius_km),
            format!("{:.0}", p.cost),
            p.reason.clone(),
            p.today_tickets.to_string(),
            format!("{:.2}", p.today_service_cost),
            p.replay_tickets.to_string(),
            format!("{:.2}", p.replay_fees),
            format!("{:.2}", p.replay_travel),
            format!("{:.2}", p.replay_service_cost),
        ]);
    }
}
