//! Hidden `bench-location` subcommand: solve one OR-Library location file with
//! servnet's solvers and print JSON (read by scripts/compare_plan.py).

use servnet_core::bench::location::orlib::{parse_orlib_cap, parse_orlib_pmed};
use servnet_core::bench::location::synth::cornuejols_instance;
use servnet_core::plan::location::cflp::{cflp_heuristic, cflp_mip, Sourcing};
use servnet_core::plan::location::pmedian::{pmedian_heuristic, pmedian_mip};
use servnet_core::plan::location::{LocationInstance, LocationResult, SolveOptions};
use servnet_core::{Error, Result};
use std::path::Path;

/// Which of servnet's solvers to run.
fn wanted(method: &str) -> Result<(bool, bool)> {
    match method {
        "both" => Ok((true, true)),
        "heuristic" => Ok((true, false)),
        "mip" => Ok((false, true)),
        other => Err(Error::argument(
            "method",
            format!("expected both, heuristic or mip, got '{other}'"),
        )),
    }
}

fn json(r: &LocationResult) -> serde_json::Value {
    let finite = |v: f64| if v.is_finite() { Some(v) } else { None };
    serde_json::json!({
        "objective": finite(r.objective),
        "bound": finite(r.lower_bound),
        "gap": finite(r.gap),
        "status": format!("{:?}", r.status),
        "method": format!("{:?}", r.method),
        "seconds": r.seconds,
        "open": r.open.len(),
    })
}

/// Layout (little-endian): m, n, p as i64 (p = 0 for CFLP); fixed cost f64[m];
/// capacity f64[m] (+inf: uncapacitated); demand f64[n]; cost f64[m * n] row-major by
/// site, the cost of serving all of a point from a site (+inf: forbidden).
fn write_instance(inst: &LocationInstance, p: usize, out: &Path) -> Result<()> {
    let (m, n) = (inst.n_sites(), inst.n_points());
    let mut b: Vec<u8> = Vec::with_capacity(24 + 8 * (2 * m + n + m * n));
    for v in [m, n, p] {
        b.extend((v as i64).to_le_bytes());
    }
    inst.sites()
        .iter()
        .for_each(|s| b.extend(s.fixed_cost.to_le_bytes()));
    inst.sites()
        .iter()
        .for_each(|s| b.extend(s.capacity.to_le_bytes()));
    inst.demand().iter().for_each(|d| b.extend(d.to_le_bytes()));
    for i in 0..m {
        for j in 0..n {
            b.extend(inst.assign_cost(i, j).to_le_bytes());
        }
    }
    std::fs::write(out, b).map_err(|source| Error::Io {
        path: out.display().to_string(),
        source,
    })
}

/// Reads `cornuejols-<sites>x<points>-r<ratio>-s<seed>` (a generated Cornuéjols-type
/// CFLP instance, see [`cornuejols_instance`]); None for any other name.
fn cornuejols_spec(name: &str) -> Result<Option<(usize, usize, f64, u64)>> {
    let Some(rest) = name.strip_prefix("cornuejols-") else {
        return Ok(None);
    };
    let bad = || {
        Error::argument(
            "file",
            format!("'{name}': expected cornuejols-<sites>x<points>-r<ratio>-s<seed>"),
        )
    };
    let parts: Vec<&str> = rest.split('-').collect();
    let [size, ratio, seed] = parts.as_slice() else {
        return Err(bad());
    };
    let (m, n) = size.split_once('x').ok_or_else(bad)?;
    let m: usize = m.parse().map_err(|_| bad())?;
    let n: usize = n.parse().map_err(|_| bad())?;
    let ratio: f64 = ratio
        .strip_prefix('r')
        .and_then(|r| r.parse().ok())
        .ok_or_else(bad)?;
    let seed: u64 = seed
        .strip_prefix('s')
        .and_then(|s| s.parse().ok())
        .ok_or_else(bad)?;
    Ok(Some((m, n, ratio, seed)))
}

/// Solves `file` (`cap*` as multi-source CFLP, `pmed*` as p-median; `capacity`
/// replaces the capa/b/c capacities; a `cornuejols-...` name that is not a file is
/// generated, see [`cornuejols_spec`]) and prints one JSON object.
pub fn bench_location(
    file: &Path,
    capacity: Option<f64>,
    method: &str,
    time_limit: f64,
    out: Option<&Path>,
) -> Result<()> {
    let (run_heuristic, run_mip) = wanted(method)?;
    let name = file
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let generated = match cornuejols_spec(&name)? {
        Some((m, n, ratio, seed)) if !file.exists() => {
            Some(cornuejols_instance(m, n, ratio, seed)?)
        }
        _ => None,
    };
    let text = match generated {
        Some(_) => String::new(),
        None => std::fs::read_to_string(file).map_err(|source| Error::Io {
            path: file.display().to_string(),
            source,
        })?,
    };
    let opts = SolveOptions {
        time_limit,
        ..SolveOptions::default()
    };
    let mut doc = serde_json::Map::new();
    if name.starts_with("pmed") {
        let pm = parse_orlib_pmed(&text)?;
        if let Some(path) = out {
            write_instance(&pm.instance, pm.p, path)?;
        }
        doc.insert("model".into(), "pmedian".into());
        doc.insert("p".into(), pm.p.into());
        doc.insert("sites".into(), pm.instance.n_sites().into());
        if run_heuristic {
            let r = pmedian_heuristic(&pm.instance, pm.p, &opts)?;
            doc.insert("heuristic".into(), json(&r));
        }
        if run_mip {
            let r = pmedian_mip(&pm.instance, pm.p, &opts)?;
            doc.insert("mip".into(), json(&r));
        }
    } else if name.starts_with("cap") || generated.is_some() {
        let inst = match generated {
            Some(inst) => inst,
            None => parse_orlib_cap(&text, capacity)?,
        };
        if let Some(path) = out {
            write_instance(&inst, 0, path)?;
        }
        doc.insert("model".into(), "cflp".into());
        doc.insert("sites".into(), inst.n_sites().into());
        doc.insert("points".into(), inst.n_points().into());
        if run_heuristic {
            let r = cflp_heuristic(&inst, Sourcing::Multi, &opts)?;
            doc.insert("heuristic".into(), json(&r));
        }
        if run_mip {
            let r = cflp_mip(&inst, Sourcing::Multi, &opts)?;
            doc.insert("mip".into(), json(&r));
        }
    } else {
        return Err(Error::argument(
            "file",
            format!("'{name}': expected an OR-Library cap* or pmed* file"),
        ));
    }
    println!("{}", serde_json::Value::Object(doc));
    Ok(())
}
