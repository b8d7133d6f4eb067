use super::frame::Frame;
use super::geojson::parse_polygons;
use super::table::{file_name, Cells, Col, Problems, Row, Table};
use crate::error::{Issue, Location};
use crate::model::{
    Network, Outlet, OutletSkill, Region, ServiceArea, Skill, MAX_COST, MAX_POPULATION,
};
use crate::{Error, Result};
use geo::MultiPolygon;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// Reads `regions`, `regions.geojson`, `outlets`, `outlet_areas.geojson` and
/// `outlet_skills` from `dir` and builds the validated [`Network`].
pub fn read_network(dir: &Path) -> Result<Network> {
    let mut problems = Problems::default();
    let region_polys = read_geojson(dir, "regions.geojson", "code", &mut problems)?;
    let outlet_polys = read_geojson(dir, "outlet_areas.geojson", "outlet_id", &mut problems)?;
    // The three files are read at the same time, their problems taken in this order.
    let apart = |stem: &str| {
        let mut p = Problems::default();
        (Table::find(dir, stem, &mut p), p)
    };
    let (skills, (regions, outlets)) = rayon::join(
        || apart("outlet_skills"),
        || rayon::join(|| apart("regions"), || apart("outlets")),
    );
    let mut take = |(table, p): (Result<Option<Table>>, Problems)| {
        problems.append(p);
        table
    };
    let regions = take(regions)?;
    let skills = take(skills)?;
    let outlets = take(outlets)?;
    let missing = |name: &str| missing_file(dir, name);
    let tables = Tables {
        regions,
        skills,
        outlets,
        region_polys,
        outlet_polys,
    };
    let network = build(tables, &missing, &mut problems)?;
    let tz = read_settings(dir, &mut problems)?;
    // Row-level problems first: cross-record checks on half-read files would mislead.
    problems.finish()?;
    let packages = super::read_packages(dir)?;
    finish(network, tz, packages)
}

/// A network's inputs handed over in memory (Python's `Network.from_frames`): typed
/// frames standing for the CSV files (`source` `regions.csv`, `outlet_skills.csv`,
/// `outlets.csv`, `service_packages.csv`), the GeoJSON texts of the polygon files and
/// the time zone, read with the same checks as a data folder.
#[derive(Debug, Clone)]
pub struct NetworkFrames {
    /// `regions.csv`'s columns.
    pub regions: Arc<Frame>,
    /// `outlet_skills.csv`'s columns.
    pub outlet_skills: Arc<Frame>,
    /// `outlets.csv`'s columns.
    pub outlets: Arc<Frame>,
    /// `service_packages.csv`'s columns, if any.
    pub service_packages: Option<Arc<Frame>>,
    /// `regions.geojson`'s text, if any.
    pub region_polygons: Option<Vec<u8>>,
    /// `outlet_areas.geojson`'s text, if any.
    pub outlet_areas: Option<Vec<u8>>,
    /// The IANA time zone (default Asia/Shanghai); problems name the source `time_zone`.
    pub time_zone: Option<String>,
}

/// Builds the validated [`Network`] of `f`, as [`read_network`] does from files.
pub fn network_from_frames(f: &NetworkFrames) -> Result<Network> {
    let mut problems = Problems::default();
    let polys = |name: &str, text: &Option<Vec<u8>>, key: &str, p: &mut Problems| {
        text.as_ref()
            .map(|b| parse_polygons(name, b, key, p))
            .unwrap_or_default()
    };
    let region_polys = polys("regions.geojson", &f.region_polygons, "code", &mut problems);
    let outlet_polys = polys(
        "outlet_areas.geojson",
        &f.outlet_areas,
        "outlet_id",
        &mut problems,
    );
    let table = |frame: &Arc<Frame>, p: &mut Problems| {
        let rows: Vec<usize> = (0..frame.rows).collect();
        super::frame::frame_table(frame, &rows, p)
    };
    let tables = Tables {
        regions: Some(table(&f.regions, &mut problems)),
        skills: Some(table(&f.outlet_skills, &mut problems)),
        outlets: Some(table(&f.outlets, &mut problems)),
        region_polys,
        outlet_polys,
    };
    let at = |name: &str| Location {
        source: name.to_string(),
        ..Location::default()
    };
    let network = build(tables, &at, &mut problems)?;
    let tz = match f.time_zone.as_deref().map(crate::model::parse_time_zone) {
        None => crate::model::DEFAULT_TIME_ZONE,
        Some(Ok(tz)) => tz,
        Some(Err(m)) => {
            problems.add(
                Location {
                    source: "time_zone".into(),
                    field: Some("time_zone".into()),
                    ..Location::default()
                },
                m,
            );
            crate::model::DEFAULT_TIME_ZONE
        }
    };
    problems.finish()?;
    let packages = match &f.service_packages {
        Some(p) => Some(super::packages::packages_from_frame(p)?),
        None => None,
    };
    finish(network, tz, packages)
}

/// The tables of a network's files and their polygons (`None`: the file is missing).
struct Tables {
    regions: Option<Table>,
    skills: Option<Table>,
    outlets: Option<Table>,
    region_polys: BTreeMap<String, MultiPolygon<f64>>,
    outlet_polys: BTreeMap<String, MultiPolygon<f64>>,
}

/// The network's records read from `t` (problems recorded; `missing` locates a missing
/// file), with the book of where each record came from.
fn build(
    t: Tables,
    missing: &dyn Fn(&str) -> Location,
    problems: &mut Problems,
) -> Result<(Vec<Outlet>, Vec<Region>, LineBook)> {
    let mut lines = LineBook::default();
    let regions = match &t.regions {
        Some(table) => read_regions(table, &t.region_polys, problems, &mut lines),
        None => {
            problems.add(missing("regions.csv"), "required file not found");
            Vec::new()
        }
    };
    let skills = match &t.skills {
        Some(table) => read_outlet_skills(table, problems, &mut lines),
        None => {
            problems.add(missing("outlet_skills.csv"), "required file not found");
            BTreeMap::new()
        }
    };
    let outlets = match &t.outlets {
        Some(table) => read_outlets(table, t.outlet_polys, skills, problems, &mut lines),
        None => {
            problems.add(missing("outlets.csv"), "required file not found");
            Vec::new()
        }
    };
    Ok((outlets, regions, lines))
}

/// The network of `records`, on the clock of `tz`, with `packages`.
fn finish(
    (outlets, regions, lines): (Vec<Outlet>, Vec<Region>, LineBook),
    tz: chrono_tz::Tz,
    packages: Option<Vec<crate::model::ServicePackage>>,
) -> Result<Network> {
    let network = Network::new(outlets, regions)
        .map_err(|e| lines.locate(e))?
        .with_time_zone(tz);
    match packages {
        Some(p) => network.with_packages(p),
        None => Ok(network),
    }
}

/// `network.json` (optional): settings of the whole network.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    /// IANA time zone of the network's wall clock.
    time_zone: Option<String>,
}

/// Reads `network.json` if present; the network's time zone (default Asia/Shanghai).
fn read_settings(dir: &Path, problems: &mut Problems) -> Result<chrono_tz::Tz> {
    let path = dir.join("network.json");
    let default = crate::model::DEFAULT_TIME_ZONE;
    if !path.exists() {
        return Ok(default);
    }
    let bytes = std::fs::read(&path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })?;
    let at = |field: Option<&str>, line: Option<u64>| Location {
        source: "network.json".into(),
        line,
        record: None,
        field: field.map(str::to_string),
    };
    let settings: Settings = match serde_json::from_slice(&bytes) {
        Ok(s) => s,
        Err(e) => {
            problems.add(
                at(None, Some(e.line() as u64)),
                format!("invalid settings: {e}"),
            );
            return Ok(default);
        }
    };
    match settings
        .time_zone
        .as_deref()
        .map(crate::model::parse_time_zone)
    {
        None => Ok(default),
        Some(Ok(tz)) => Ok(tz),
        Some(Err(m)) => {
            problems.add(at(Some("time_zone"), None), m);
            Ok(default)
        }
    }
}

const POPULATION: &str = "a population in 0..=1e10";
const COST: &str = "a cost in 0..=1e9";

fn missing_file(dir: &Path, name: &str) -> Location {
    Location {
        source: dir.join(name).display().to_string(),
        ..Location::default()
    }
}

fn read_geojson(
    dir: &Path,
    name: &str,
    key: &str,
    problems: &mut Problems,
) -> Result<BTreeMap<String, MultiPolygon<f64>>> {
    let path = dir.join(name);
    if !path.exists() {
        return Ok(BTreeMap::new());
    }
    let bytes = std::fs::read(&path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })?;
    Ok(parse_polygons(&file_name(&path), &bytes, key, problems))
}

/// Remembers where each record came from, so that problems found later by
/// [`Network::new`] (duplicates, references) can name the file and line.
#[derive(Default)]
pub(crate) struct LineBook {
    /// Per kind: its file and each record's line (looked up only: hashed, as
    /// `outlet_skills` notes a record per row).
    files: BTreeMap<&'static str, (String, rustc_hash::FxHashMap<String, Option<u64>>)>,
}

impl LineBook {
    /// The location of a noted record, with `field`.
    pub(crate) fn at(&self, kind: &'static str, record: &str, field: &str) -> Location {
        let (source, line) = match self.files.get(kind) {
            Some((file, book)) => (file.clone(), book.get(record).copied().flatten()),
            None => (kind.to_string(), None),
        };
        Location {
            source,
            line,
            record: Some(record.to_string()),
            field: Some(field.to_string()),
        }
    }

    /// Notes that `kind`'s record `record` is on `line` of `source` (the first note of a
    /// record stands).
    pub(crate) fn note(
        &mut self,
        kind: &'static str,
        source: &str,
        record: impl AsRef<str> + Into<String>,
        line: Option<u64>,
    ) {
        let entry = self
            .files
            .entry(kind)
            .or_insert_with(|| (source.to_string(), Default::default()));
        if !entry.1.contains_key(record.as_ref()) {
            entry.1.insert(record.into(), line);
        }
    }

    /// Rewrites model-level issue locations (`outlets`, record id) into file locations.
    pub(crate) fn locate(&self, e: Error) -> Error {
        match e {
            Error::Invalid(issues) => Error::Invalid(
                issues
                    .into_iter()
                    .map(|mut i: Issue| {
                        if let Some((file, book)) = self.files.get(i.at.source.as_str()) {
                            i.at.line =
                                i.at.record
                                    .as_ref()
                                    .and_then(|r| book.get(r).copied().flatten());
                            i.at.source = file.clone();
                        }
                        i
                    })
                    .collect(),
            ),
            other => other,
        }
    }
}

fn read_regions(
    t: &Table,
    polys: &BTreeMap<String, MultiPolygon<f64>>,
    problems: &mut Problems,
    lines: &mut LineBook,
) -> Vec<Region> {
    let mut out = Vec::new();
    let cols = [
        "code",
        "name",
        "tier",
        "lon",
        "lat",
        "max_response_hours",
        "max_travel_km",
    ];
    if !t.require(&cols, problems) {
        return out;
    }
    let mut seen = BTreeMap::new();
    for row in &t.rows {
        let mut c = t.cells(row, problems);
        let code = c.id("code");
        // Every cell is read first, so that every bad one is reported.
        let tier = c.parse("tier");
        let lon = c.lon();
        let lat = c.lat();
        let population = c.opt_number("population", POPULATION, |x| {
            (0.0..=MAX_POPULATION).contains(&x)
        });
        let hours = c.number("max_response_hours", "a number of hours > 0", |x| x > 0.0);
        let km = c.number("max_travel_km", "a distance in km > 0", |x| x > 0.0);
        let r = (|| {
            Some(Region {
                code: code.clone()?,
                name: c.opt_text("name").unwrap_or_default(),
                tier: tier?,
                lon: lon?,
                lat: lat?,
                population: population?.map(|x| x as u64),
                max_response_hours: hours?,
                max_travel_km: km?,
                polygon: None,
            })
        })();
        if let Some(code) = &code {
            check_unique(&mut c, &mut seen, code, "code", "region code");
        }
        if let (Some(mut r), false) = (r, c.failed) {
            lines.note("regions", &t.source, &r.code, row.line);
            r.polygon = polys.get(&r.code).cloned();
            out.push(r);
        }
    }
    for code in polys.keys() {
        if !out.iter().any(|r| &r.code == code) && !t.rows.is_empty() {
            problems.add(
                Location {
                    source: "regions.geojson".into(),
                    record: Some(code.clone()),
                    field: Some("code".into()),
                    line: None,
                },
                format!("unknown region '{code}' (not in {})", t.source),
            );
        }
    }
    out
}

/// Fails the row when `id` was already seen, naming the line of the first occurrence
/// (the line of this one is the row's own), so both copies can be found.
fn check_unique(
    c: &mut Cells<'_>,
    seen: &mut BTreeMap<String, Option<u64>>,
    id: &str,
    field: &str,
    what: &str,
) {
    match seen.get(id) {
        Some(first) => {
            let first = first
                .map(|l| format!(" (first on line {l})"))
                .unwrap_or_default();
            c.fail(field, format!("duplicate {what} '{id}'{first}"));
        }
        None => {
            seen.insert(id.to_string(), c.line());
        }
    }
}

fn read_outlet_skills(
    t: &Table,
    problems: &mut Problems,
    lines: &mut LineBook,
) -> BTreeMap<String, Vec<OutletSkill>> {
    let mut out: BTreeMap<String, Vec<OutletSkill>> = BTreeMap::new();
    let cols = [
        "outlet_id",
        "skill",
        "daily_capacity",
        "rating_sum",
        "rating_count",
        "cost_per_ticket",
    ];
    if !t.require(&cols, problems) {
        return out;
    }
    // Taken in row order: the problems, the line book and the lists are those of
    // reading the rows one by one.
    let cols = SkillCols::of(t);
    for (read, local) in t.par_blocks(|row, local| outlet_skill(t, &cols, row, local)) {
        problems.append(local);
        for r in read.into_iter().flatten() {
            lines.note("outlet_skills", &t.source, r.record, r.line);
            out.entry(r.outlet).or_default().push(r.skill);
        }
    }
    out
}

/// A valid `outlet_skills` row: the outlet, its record (`outlet/skill`) and line.
struct SkillRow {
    outlet: String,
    record: String,
    skill: OutletSkill,
    line: Option<u64>,
}

/// The columns of `outlet_skills`, found once per table (not per cell).
struct SkillCols {
    outlet_id: Col<'static>,
    skill: Col<'static>,
    daily_capacity: Col<'static>,
    load: Col<'static>,
    rating_sum: Col<'static>,
    rating_count: Col<'static>,
    cost_per_ticket: Col<'static>,
}

impl SkillCols {
    fn of(t: &Table) -> Self {
        SkillCols {
            outlet_id: t.col("outlet_id"),
            skill: t.col("skill"),
            daily_capacity: t.col("daily_capacity"),
            load: t.col("load"),
            rating_sum: t.col("rating_sum"),
            rating_count: t.col("rating_count"),
            cost_per_ticket: t.col("cost_per_ticket"),
        }
    }
}

/// Row `row` of `outlet_skills` (columns `cols`) if valid; its problems go to
/// `problems`.
fn outlet_skill(
    t: &Table,
    cols: &SkillCols,
    row: &Row,
    problems: &mut Problems,
) -> Option<SkillRow> {
    let mut c = t.cells(row, problems);
    let outlet = c.text(cols.outlet_id);
    // (a parsed skill's text is its cell's: the record names the line book's entry too)
    let rec = outlet
        .as_ref()
        .map(|o| format!("{o}/{}", c.raw(cols.skill)));
    if let Some(rec) = &rec {
        c.set_record(rec);
    }
    let skill = c.parse::<Skill>(cols.skill);
    let capacity = c.whole(cols.daily_capacity, 0, i64::from(u32::MAX));
    let load = c.whole_or(cols.load, 0, i64::from(u32::MAX), 0);
    let rating_sum = c.number(cols.rating_sum, "a rating sum >= 0", |x| x >= 0.0);
    let rating_count = c.whole(cols.rating_count, 0, i64::from(u32::MAX));
    let cost = c.number(cols.cost_per_ticket, COST, |x| {
        (0.0..=MAX_COST).contains(&x)
    });
    let s = (|| {
        Some(OutletSkill {
            skill: skill?,
            daily_capacity: capacity? as u32,
            load: load? as u32,
            rating_sum: rating_sum?,
            rating_count: rating_count? as u32,
            cost_per_ticket: cost?,
        })
    })();
    match (s, outlet, rec, c.failed) {
        (Some(skill), Some(outlet), Some(record), false) => Some(SkillRow {
            outlet,
            record,
            skill,
            line: row.line,
        }),
        _ => None,
    }
}

fn read_outlets(
    t: &Table,
    mut polys: BTreeMap<String, MultiPolygon<f64>>,
    mut skills: BTreeMap<String, Vec<OutletSkill>>,
    problems: &mut Problems,
    lines: &mut LineBook,
) -> Vec<Outlet> {
    let mut out = Vec::new();
    let cols = [
        "id",
        "name",
        "lon",
        "lat",
        "status",
        "priority",
        "daily_cap",
        "area_kind",
    ];
    if !t.require(&cols, problems) {
        return out;
    }
    let mut seen = BTreeMap::new();
    for row in &t.rows {
        let mut c = t.cells(row, problems);
        let id = c.id("id");
        let lon = c.lon();
        let lat = c.lat();
        let status = c.parse("status");
        let priority = c.whole("priority", 0, 100);
        let daily_cap = c.whole("daily_cap", 0, i64::from(u32::MAX));
        let o = (|| {
            let id = id.clone()?;
            let area = match c.raw("area_kind").into_owned().as_str() {
                "radius" => {
                    ServiceArea::Radius(c.number("radius_km", "a radius in km > 0", |x| x > 0.0)?)
                }
                "regions" => {
                    let codes = c.list("area_regions");
                    if codes.is_empty() {
                        c.fail(
                            "area_regions",
                            "expected at least one region code for area_kind 'regions'",
                        );
                        return None;
                    }
                    ServiceArea::Regions(codes)
                }
                "polygon" => match polys.remove(&id) {
                    Some(p) => ServiceArea::Polygons(p),
                    None => {
                        c.fail("area_kind", "area_kind is 'polygon' but outlet_areas.geojson has no polygon for this outlet");
                        return None;
                    }
                },
                other => {
                    c.fail(
                        "area_kind",
                        format!("expected radius, polygon or regions; got '{other}'"),
                    );
                    return None;
                }
            };
            Some(Outlet {
                name: c.opt_text("name").unwrap_or_default(),
                lon: lon?,
                lat: lat?,
                status: status?,
                priority: priority? as u8,
                daily_cap: daily_cap? as u32,
                area,
                skills: skills.remove(&id).unwrap_or_default(),
                id,
            })
        })();
        if let Some(id) = &id {
            check_unique(&mut c, &mut seen, id, "id", "outlet id");
        }
        if let (Some(o), false) = (o, c.failed) {
            lines.note("outlets", &t.source, &o.id, row.line);
            out.push(o);
        }
    }
    // Skills for outlets that do not exist.
    for (id, list) in skills {
        if out.iter().any(|o| o.id == id) {
            continue; // duplicate outlet id: reported by Network::new
        }
        for s in list {
            problems.add(
                lines.at("outlet_skills", &format!("{id}/{}", s.skill), "outlet_id"),
                format!("unknown outlet '{id}' (not in {})", t.source),
            );
        }
    }
    for id in polys.keys() {
        if !out.iter().any(|o| &o.id == id) {
            problems.add(
                Location {
                    source: "outlet_areas.geojson".into(),
                    line: None,
                    record: Some(id.clone()),
                    field: Some("outlet_id".into()),
                },
                format!("unknown outlet '{id}' (not in {})", t.source),
            );
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::io::table::BLOCK_ROWS;

    /// A folder with one region, one outlet and `rows` skills of it (`bad`: rows whose
    /// capacity is not a number).
    fn folder(rows: usize, bad: &[usize]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let put = |name: &str, text: String| std::fs::write(dir.path().join(name), text).unwrap();
        put(
            "regions.csv",
            "code,name,tier,lon,lat,max_response_hours,max_travel_km\nR1,One,A,121,31,48,60\n"
                .into(),
        );
        put(
            "outlets.csv",
            "id,name,lon,lat,status,priority,daily_cap,area_kind,radius_km\n\
             O1,One,121,31,active,50,10,radius,30\n"
                .into(),
        );
        let mut skills = String::from(
            "outlet_id,skill,daily_capacity,rating_sum,rating_count,cost_per_ticket\n",
        );
        for i in 0..rows {
            let cap = if bad.contains(&i) { "ten" } else { "5" };
            skills.push_str(&format!("O1,repair:c{i},{cap},40,10,50\n"));
        }
        put("outlet_skills.csv", skills);
        dir
    }

    /// Skill rows are read a block per task on every core: the problems of rows in
    /// several blocks come in line order, and a valid file's skills in file order.
    #[test]
    fn skill_rows_over_several_blocks_read_as_one_by_one() {
        let bad = [3, BLOCK_ROWS + 7, 2 * BLOCK_ROWS + 1, 2 * BLOCK_ROWS + 2];
        let Err(Error::Invalid(issues)) = read_network(folder(2 * BLOCK_ROWS + 50, &bad).path())
        else {
            panic!("bad capacities must fail the read");
        };
        let lines: Vec<Option<u64>> = issues.iter().map(|i| i.at.line).collect();
        let want: Vec<Option<u64>> = bad.iter().map(|&r| Some(r as u64 + 2)).collect();
        assert_eq!(lines, want);
        assert_eq!(issues[1].at.record.as_deref(), Some("O1/repair:c1031"));
        let rows = 2 * BLOCK_ROWS + 50;
        let net = read_network(folder(rows, &[]).path()).unwrap();
        let names: Vec<String> = net.outlets()[0]
            .skills
            .iter()
            .map(|s| s.skill.to_string())
            .collect();
        let want: Vec<String> = (0..rows).map(|i| format!("repair:c{i}")).collect();
        assert_eq!(names, want);
    }
}
