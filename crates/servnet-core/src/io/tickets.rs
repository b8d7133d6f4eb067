use super::table::{Problems, Table};
use crate::model::{Network, Skill, Ticket};
use crate::Result;
use std::collections::BTreeMap;
use std::path::Path;

/// Reads a tickets file (CSV or JSON by extension) and checks each ticket against the
/// network: known region, a skill some outlet offers, known avoid / preferred outlets,
/// `due_by` not before `created_at`, unique ids.
pub fn read_tickets(path: &Path, network: &Network) -> Result<Vec<Ticket>> {
    let mut problems = Problems::default();
    let table = if path.extension().is_some_and(|e| e == "json") {
        Table::read_json(path, &mut problems)?
    } else {
        Table::read_csv(path, &mut problems)?
    };
    let tickets = parse(&table, network, &mut problems);
    problems.finish()?;
    Ok(tickets)
}

/// Parses tickets from CSV text (as read from a file named `source`).
pub fn tickets_from_csv(source: &str, text: &[u8], network: &Network) -> Result<Vec<Ticket>> {
    let mut problems = Problems::default();
    let table = Table::parse_csv(source, text, &mut problems);
    let tickets = parse(&table, network, &mut problems);
    problems.finish()?;
    Ok(tickets)
}

fn parse(t: &Table, network: &Network, problems: &mut Problems) -> Vec<Ticket> {
    let mut out = Vec::new();
    let cols = [
        "id",
        "lon",
        "lat",
        "region",
        "skill",
        "created_at",
        "due_by",
    ];
    if !t.require(&cols, problems) {
        return out;
    }
    let mut ids = BTreeMap::new();
    for row in &t.rows {
        let mut c = t.cells(row, problems);
        let id = c.id("id");
        let ticket = (|| {
            let skill: Skill = c.parse("skill")?;
            Some(Ticket {
                id: id.clone()?,
                lon: c.lon()?,
                lat: c.lat()?,
                region: c.text("region")?,
                skill: skill.to_string(),
                units: c.whole_or("units", 1, i64::from(u32::MAX), 1)? as u32,
                priority: c.parse_or("priority", Default::default())?,
                created_at: c.time("created_at")?,
                due_by: c.time("due_by")?,
                customer_tier: c.parse_or("customer_tier", Default::default())?,
                avoid: c.list("avoid"),
                preferred: c.opt_text("preferred"),
            })
        })();
        let Some(t) = ticket else { continue };
        if let Some(first) = ids.get(&t.id) {
            let first = match first {
                Some(l) => format!(" (first on line {l})"),
                None => String::new(),
            };
            c.fail("id", format!("duplicate ticket id '{}'{first}", t.id));
        } else {
            ids.insert(t.id.clone(), c.line());
        }
        if network.region_index(&t.region).is_none() {
            c.fail("region", format!("unknown region '{}'", t.region));
        }
        if network.skill_id(&t.skill).is_none() {
            c.fail(
                "skill",
                format!(
                    "unknown skill '{}': no outlet in the network offers it",
                    t.skill
                ),
            );
        }
        if t.due_by < t.created_at {
            c.fail(
                "due_by",
                format!("due_by {} is before created_at {}", t.due_by, t.created_at),
            );
        }
        for o in t.avoid.iter().chain(&t.preferred) {
            if network.outlet_index(o).is_none() {
                let field = if t.preferred.as_ref() == Some(o) {
                    "preferred"
                } else {
                    "avoid"
                };
                c.fail(field, format!("unknown outlet '{o}'"));
            }
        }
        if !c.failed {
            out.push(t);
        }
    }
    out
}
