//! Writers for results.

use crate::dispatch::{Outcome, Route};
use crate::{Error, Result};
use std::path::Path;

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.display().to_string(),
        source,
    }
}

fn csv_err(path: &Path) -> impl Fn(csv::Error) -> Error + '_ {
    move |e| Error::Io {
        path: path.display().to_string(),
        source: std::io::Error::other(e.to_string()),
    }
}

/// Writes dispatch outcomes, one row per ticket:
/// `ticket_id,outlet_id,day,score,distance_km,sla_met,route,reason` (`outlet_id` empty and
/// `reason` set when unassignable).
pub fn write_outcomes(path: &Path, outcomes: &[Outcome]) -> Result<()> {
    let file = std::fs::File::create(path).map_err(io_err(path))?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(file));
    w.write_record([
        "ticket_id",
        "outlet_id",
        "day",
        "score",
        "distance_km",
        "sla_met",
        "route",
        "reason",
    ])
    .map_err(csv_err(path))?;
    for o in outcomes {
        let row = match o {
            Outcome::Assigned(a) => [
                a.ticket_id.to_string(),
                a.outlet_id.to_string(),
                a.day.to_string(),
                format!("{:.3}", a.breakdown.score),
                format!("{:.3}", a.breakdown.distance_km),
                a.sla_met.to_string(),
                match a.route {
                    Route::WiderRadius(x) => format!("wider_radius_x{x}"),
                    other => other.as_str().to_string(),
                },
                String::new(),
            ],
            Outcome::Unassignable(u) => [
                u.ticket_id.to_string(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                "false".into(),
                String::new(),
                u.reason.as_str().to_string(),
            ],
        };
        w.write_record(&row).map_err(csv_err(path))?;
    }
    w.flush().map_err(io_err(path))
}
