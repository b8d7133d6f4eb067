//! Tickets from a data frame's typed columns, read a column at a time: columns are
//! found once by name, numbers and time stamps are taken from their typed values, and
//! each distinct text of a dictionary-coded column (skill, priority, tier, times given
//! as text, avoid lists) is parsed once, not once per row; duplicate ids are found by
//! their codes. A row this route cannot take as it stands (any bad or unusual cell, a
//! duplicate, an unknown region or skill) is read again by the file reader's own row
//! code ([`super::tickets`]), so tickets and problems are exactly the file's.

use super::frame::{frame_table, Cell, Frame, FrameColumn};
use super::table::{parse_time_in, Problems, Row, Table};
use super::tickets::{parse_row, SeenIds, REQUIRED};
use crate::model::{CustomerTier, Network, Priority, Skill, SkillId, Ticket};
use crate::Result;
use chrono::NaiveDateTime;
use hashbrown::HashTable;
use rustc_hash::FxHashMap;
use std::hash::BuildHasher;
use std::sync::Arc;

/// Reads tickets out of one frame, any rows at a time, remembering what it parsed (and,
/// when asked, the ids it has seen) from one call to the next.
pub struct FrameTickets {
    frame: Arc<Frame>,
    /// The frame as a table with no rows: the file reader's view, for rows read cell by
    /// cell.
    table: Table,
    cols: Cols,
    texts: Texts,
    seen: Option<FrameSeen>,
}

/// The positions of the tickets columns in the frame (the last of a repeated name, as
/// the file reader takes it).
struct Cols {
    id: Option<usize>,
    lon: Option<usize>,
    lat: Option<usize>,
    region: Option<usize>,
    skill: Option<usize>,
    units: Option<usize>,
    priority: Option<usize>,
    created_at: Option<usize>,
    due_by: Option<usize>,
    customer_tier: Option<usize>,
    avoid: Option<usize>,
    preferred: Option<usize>,
}

/// One value per distinct text of a column, parsed on first use.
struct PerText<T>(Vec<Option<T>>);

impl<T> PerText<T> {
    /// Room for the distinct texts of `col` (none unless it is a text column).
    fn new(col: Option<&FrameColumn>) -> Self {
        match col {
            Some(FrameColumn::Text { values, .. }) => {
                PerText((0..values.len()).map(|_| None).collect())
            }
            _ => PerText(Vec::new()),
        }
    }

    /// The value of distinct text `k` (`text`), parsed by `f` the first time.
    fn get(&mut self, k: usize, text: &str, f: impl FnOnce(&str) -> T) -> Option<&T> {
        let slot = self.0.get_mut(k)?;
        Some(slot.get_or_insert_with(|| f(text)))
    }
}

/// What the distinct texts parse to; none depends on the network but the times (its
/// time zone, kept in `tz`).
struct Texts {
    skill: PerText<Option<String>>,
    units: PerText<Option<u32>>,
    priority: PerText<Option<Priority>>,
    customer_tier: PerText<Option<CustomerTier>>,
    created_at: PerText<Option<NaiveDateTime>>,
    due_by: PerText<Option<NaiveDateTime>>,
    avoid: PerText<Vec<String>>,
    tz: Option<chrono_tz::Tz>,
}

/// Network look-ups of the distinct texts, for one read (the network may change
/// between reads).
struct Lookups {
    region: PerText<Option<usize>>,
    skill: PerText<Option<SkillId>>,
}

/// The ids seen, by their code in a text column (distinct texts that are the same id
/// once trimmed share one slot), or by text for ids of other columns.
struct FrameSeen {
    frame: Arc<Frame>,
    col: Option<usize>,
    /// Slot of each distinct text of the id column.
    slot: Vec<u32>,
    /// Per slot: 0 unseen, [`NO_LINE`] seen without a line, else the first line.
    first: Vec<u64>,
    other: FxHashMap<String, Option<u64>>,
}

/// [`FrameSeen::first`]'s mark of an id seen on a row without a line.
const NO_LINE: u64 = u64::MAX;

impl FrameSeen {
    fn new(frame: &Arc<Frame>, col: Option<usize>) -> Self {
        let mut slot = Vec::new();
        let mut slots = 0u32;
        if let Some(FrameColumn::Text { values, .. }) =
            col.and_then(|i| frame.columns.get(i)).map(|(_, c)| c)
        {
            // A table of the first text of each slot by number (4 bytes an entry, where a
            // map by `&str` took 24: 1M distinct ids made it 50 MB).
            let text = |k: u32| values.get(k as usize).unwrap_or_default().trim();
            let hasher = rustc_hash::FxBuildHasher;
            let mut table: HashTable<u32> = HashTable::with_capacity(values.len());
            slot = Vec::with_capacity(values.len());
            for k in 0..values.len() as u32 {
                let v = text(k);
                let h = hasher.hash_one(v);
                let s = match table.find(h, |&j| text(j) == v) {
                    Some(&j) => slot[j as usize],
                    None => {
                        table.insert_unique(h, k, |&j| hasher.hash_one(text(j)));
                        slots += 1;
                        slots - 1
                    }
                };
                slot.push(s);
            }
        }
        FrameSeen {
            frame: frame.clone(),
            col,
            slot,
            first: vec![0; slots as usize],
            other: FxHashMap::default(),
        }
    }

    /// The slot of row `row`'s id, when it is a coded text.
    fn slot(&self, row: usize) -> Option<usize> {
        let (_, col) = self.frame.columns.get(self.col?)?;
        let FrameColumn::Text { codes, .. } = col else {
            return None;
        };
        let k = *codes.get(row)? as usize;
        self.slot.get(k).map(|&s| s as usize)
    }
}

impl SeenIds for FrameSeen {
    fn first(&self, id: &str, row: usize) -> Option<Option<u64>> {
        match self.slot(row) {
            Some(s) => match self.first.get(s).copied().unwrap_or(0) {
                0 => None,
                NO_LINE => Some(None),
                l => Some(Some(l)),
            },
            None => self.other.get(id).copied(),
        }
    }

    fn insert(&mut self, id: &str, row: usize, line: Option<u64>) {
        match self.slot(row) {
            Some(s) => {
                if let Some(f) = self.first.get_mut(s) {
                    *f = line.unwrap_or(NO_LINE);
                }
            }
            None => {
                self.other.insert(id.to_string(), line);
            }
        }
    }
}

/// Row `r`'s cell of column `c` (missing without the column).
fn cell_at(c: Option<&FrameColumn>, r: usize) -> Cell<'_> {
    c.map_or(Cell::Missing, |c| c.cell(r))
}

/// The code of row `r` in text column `col`.
fn code(col: &FrameColumn, r: usize) -> usize {
    match col {
        FrameColumn::Text { codes, .. } => codes.get(r).map_or(usize::MAX, |&k| k as usize),
        _ => usize::MAX,
    }
}

/// A whole number of units as the file reader reads one (`2`, `2.0`), if in 1..=u32::MAX.
fn units_text(s: &str) -> Option<u32> {
    let x = s.parse::<i64>().ok().or_else(|| {
        s.parse::<f64>()
            .ok()
            .filter(|x| x.fract() == 0.0 && x.abs() < 9e15)
            .map(|x| x as i64)
    })?;
    u32::try_from(x).ok().filter(|&u| u >= 1)
}

/// A `;`-separated list as the file reader reads one.
fn list(s: &str) -> Vec<String> {
    s.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl FrameTickets {
    /// A reader of `frame`'s tickets; `check_ids`: report an id seen before (in this
    /// or an earlier read) as a duplicate.
    pub fn new(frame: &Arc<Frame>, check_ids: bool) -> Self {
        let table = frame_table(frame, &[], &mut Problems::default());
        let at = |name: &str| table.column_index(name);
        let cols = Cols {
            id: at("id"),
            lon: at("lon"),
            lat: at("lat"),
            region: at("region"),
            skill: at("skill"),
            units: at("units"),
            priority: at("priority"),
            created_at: at("created_at"),
            due_by: at("due_by"),
            customer_tier: at("customer_tier"),
            avoid: at("avoid"),
            preferred: at("preferred"),
        };
        let col = |i: Option<usize>| i.and_then(|i| frame.columns.get(i)).map(|(_, c)| c);
        let texts = Texts {
            skill: PerText::new(col(cols.skill)),
            units: PerText::new(col(cols.units)),
            priority: PerText::new(col(cols.priority)),
            customer_tier: PerText::new(col(cols.customer_tier)),
            created_at: PerText::new(col(cols.created_at)),
            due_by: PerText::new(col(cols.due_by)),
            avoid: PerText::new(col(cols.avoid)),
            tz: None,
        };
        let seen = check_ids.then(|| FrameSeen::new(frame, cols.id));
        FrameTickets {
            frame: frame.clone(),
            table,
            cols,
            texts,
            seen,
        }
    }

    /// The valid tickets of rows `rows` (positions, in the order given; those past the
    /// frame's end are skipped) with their positions, checked against `network` as the
    /// file reader checks them; `Err` lists every problem of these rows (and of the
    /// header), row `r` at line `r + 2`.
    pub fn read(&mut self, rows: &[usize], network: &Network) -> Result<Vec<(usize, Ticket)>> {
        let mut problems = Problems::default();
        let out = self.read_into(rows, network, &mut problems, true);
        problems.finish()?;
        Ok(out)
    }

    /// [`FrameTickets::read`] into `problems`; `header`: report the header's problems
    /// (repeated or missing columns) too.
    pub(super) fn read_into(
        &mut self,
        rows: &[usize],
        network: &Network,
        problems: &mut Problems,
        header: bool,
    ) -> Vec<(usize, Ticket)> {
        let mut own = self.seen.take();
        let seen = own.as_mut().map(|s| s as &mut dyn SeenIds);
        let out = self.read_rows(rows, network, problems, header, 0, seen);
        self.seen = own;
        out
    }

    /// [`FrameTickets::read_into`] of a frame that holds the rows from `first_row` on of
    /// a bigger one (a chunk): row `r` is reported at line `first_row + r + 2`, and ids
    /// are checked against `seen` (`None`: not checked).
    pub(super) fn read_rows(
        &mut self,
        rows: &[usize],
        network: &Network,
        problems: &mut Problems,
        header: bool,
        first_row: usize,
        mut seen: Option<&mut dyn SeenIds>,
    ) -> Vec<(usize, Ticket)> {
        let mut out = Vec::with_capacity(rows.len());
        let quiet = &mut Problems::default();
        if header {
            frame_table(&self.frame, &[], problems);
        }
        if !self
            .table
            .require(&REQUIRED, if header { problems } else { quiet })
        {
            return out;
        }
        let tz = network.time_zone();
        if self.texts.tz != Some(tz) {
            let col = |i: Option<usize>| i.and_then(|i| self.frame.columns.get(i)).map(|(_, c)| c);
            self.texts.created_at = PerText::new(col(self.cols.created_at));
            self.texts.due_by = PerText::new(col(self.cols.due_by));
            self.texts.tz = Some(tz);
        }
        let col = |i: Option<usize>| i.and_then(|i| self.frame.columns.get(i)).map(|(_, c)| c);
        let mut look = Lookups {
            region: PerText::new(col(self.cols.region)),
            skill: PerText::new(col(self.cols.skill)),
        };
        for &r in rows {
            if r >= self.frame.rows {
                continue;
            }
            let line = (first_row + r) as u64 + 2;
            let fast = typed_row(
                &self.frame,
                &self.cols,
                &mut self.texts,
                &mut look,
                seen.as_mut().map(|s| &mut **s as &mut dyn SeenIds),
                network,
                (tz, r, line),
            );
            if let Some(t) = fast {
                out.push((r, t));
                continue;
            }
            let row = Row::new(Some(line), r, [""; 0]);
            let seen = seen.as_mut().map(|s| &mut **s as &mut dyn SeenIds);
            if let Some(t) = parse_row(&self.table, &row, network, problems, seen) {
                out.push((r, t));
            }
        }
        out
    }
}

/// Row `r`'s ticket read from the typed columns and the parsed distinct texts, if the
/// row is valid and every cell is of a kind this route reads; `None` leaves the row to
/// the file reader's row code (which reports its problems). A ticket returned here has
/// its id recorded in `seen` as first on `line`.
fn typed_row(
    frame: &Frame,
    cols: &Cols,
    texts: &mut Texts,
    look: &mut Lookups,
    seen: Option<&mut dyn SeenIds>,
    network: &Network,
    (tz, r, line): (chrono_tz::Tz, usize, u64),
) -> Option<Ticket> {
    let col = |i: Option<usize>| i.and_then(|i| frame.columns.get(i)).map(|(_, c)| c);
    let number = |c: Option<&FrameColumn>| match cell_at(c, r) {
        Cell::Float(x) => Some(x),
        Cell::Int(i) => Some(i as f64),
        _ => None,
    };
    let id = match cell_at(col(cols.id), r) {
        Cell::Text(s) => s.to_string(),
        Cell::Missing => return None,
        _ => col(cols.id)?.text(r).into_owned(),
    };
    let lon = number(col(cols.lon))?;
    let lat = number(col(cols.lat))?;
    let region_col = col(cols.region)?;
    let Cell::Text(region) = region_col.cell(r) else {
        return None;
    };
    let region_index = (*look
        .region
        .get(code(region_col, r), region, |s| network.region_index(s))?)?;
    let skill_col = col(cols.skill)?;
    let Cell::Text(skill) = skill_col.cell(r) else {
        return None;
    };
    let k = code(skill_col, r);
    let skill = texts
        .skill
        .get(k, skill, |s| s.parse::<Skill>().ok().map(|x| x.to_string()))?
        .as_ref()?;
    let skill_id = (*look.skill.get(k, skill, |s| network.skill_id(s))?)?;
    let units_col = col(cols.units);
    let units = match cell_at(units_col, r) {
        Cell::Missing => 1,
        Cell::Int(i) => u32::try_from(i).ok().filter(|&u| u >= 1)?,
        Cell::Float(x) if x.fract() == 0.0 && (1.0..=f64::from(u32::MAX)).contains(&x) => x as u32,
        Cell::Text(s) => (*texts.units.get(code(units_col?, r), s, units_text)?)?,
        _ => return None,
    };
    let priority_col = col(cols.priority);
    let priority = match cell_at(priority_col, r) {
        Cell::Missing => Priority::default(),
        Cell::Text(s) => {
            (*texts
                .priority
                .get(code(priority_col?, r), s, |s| s.parse().ok())?)?
        }
        _ => return None,
    };
    let tier_col = col(cols.customer_tier);
    let customer_tier = match cell_at(tier_col, r) {
        Cell::Missing => CustomerTier::default(),
        Cell::Text(s) => {
            (*texts
                .customer_tier
                .get(code(tier_col?, r), s, |s| s.parse().ok())?)?
        }
        _ => return None,
    };
    let time =
        |c: Option<&FrameColumn>, cache: &mut PerText<Option<NaiveDateTime>>| match cell_at(c, r) {
            Cell::Time(t, utc) => Some(if utc {
                chrono::TimeZone::from_utc_datetime(&tz, &t).naive_local()
            } else {
                t
            }),
            Cell::Text(s) => *cache.get(code(c?, r), s, |s| parse_time_in(s, tz))?,
            _ => None,
        };
    let created_at = time(col(cols.created_at), &mut texts.created_at)?;
    let due_by = time(col(cols.due_by), &mut texts.due_by)?;
    let avoid_col = col(cols.avoid);
    let avoid = match cell_at(avoid_col, r) {
        Cell::Missing => Vec::new(),
        Cell::Text(s) => texts.avoid.get(code(avoid_col?, r), s, list)?.clone(),
        _ => return None,
    };
    let preferred = match cell_at(col(cols.preferred), r) {
        Cell::Missing => None,
        Cell::Text(s) => Some(s.to_string()),
        _ => return None,
    };
    let t = Ticket {
        id,
        lon,
        lat,
        region: region.to_string(),
        skill: skill.clone(),
        units,
        priority,
        created_at,
        due_by,
        customer_tier,
        avoid,
        preferred,
    };
    let seen = match seen {
        Some(s) if s.first(&t.id, r).is_some() => return None,
        s => s,
    };
    t.refs(network, Some(skill_id), Some(region_index)).ok()?;
    if let Some(s) = seen {
        s.insert(&t.id, r, Some(line));
    }
    Some(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::{read_network, tickets_from_csv, tickets_from_frame, MISSING_CODE};
    use crate::testing::fixture_dir;
    use proptest::prelude::*;

    const IDS: &[&str] = &["T1", " T1 ", "T2", "", "=T", "a;b", "T1\t"];
    const LONS: &[&str] = &["121.42", "120.61", "200", "", "abc", "-121.4"];
    const LATS: &[&str] = &["31.22", "31.29", "95", "", "x"];
    const REGIONS: &[&str] = &["R-A1", "R-B1", "R-X", "", " R-B2 "];
    const SKILLS: &[&str] = &[
        "repair:air_conditioner",
        "install:air_conditioner",
        "delivery:washer",
        "repair:tv",
        "repair:spaceship",
        "bad",
        "",
    ];
    const UNITS: &[&str] = &["1", "2", "0", "3.0", "1.5", "", "x", "-1", "9999999999"];
    const PRIORITIES: &[&str] = &["normal", "high", "", "urgent", "emergency"];
    const TIMES: &[&str] = &[
        "2026-11-23T08:00:00",
        "2026-11-23 09:30",
        "2026-11-23T01:00:00Z",
        "2026/11/23 6:00",
        "2026-11-25T08:00:00",
        "",
        "nope",
        "1800-01-01T00:00:00",
    ];
    const TIERS: &[&str] = &["standard", "vip", "", "gold"];
    const AVOID: &[&str] = &["", "", "O3", "O1;O2", "O9", "O1; ;O3"];
    const PREFERRED: &[&str] = &["", "", "O1", "O9", " O2"];
    /// Column name and the pool its cells come from.
    const POOLS: [(&str, &[&str]); 12] = [
        ("id", IDS),
        ("lon", LONS),
        ("lat", LATS),
        ("region", REGIONS),
        ("skill", SKILLS),
        ("units", UNITS),
        ("priority", PRIORITIES),
        ("created_at", TIMES),
        ("due_by", TIMES),
        ("customer_tier", TIERS),
        ("avoid", AVOID),
        ("preferred", PREFERRED),
    ];

    /// One row: per column, a pool index (`None`: the id is the row's own, unique).
    fn row() -> impl Strategy<Value = Vec<Option<usize>>> {
        POOLS
            .iter()
            .map(|(name, pool)| {
                let n = pool.len();
                if *name == "id" {
                    prop_oneof![3 => Just(None), 1 => (0..n).prop_map(Some)].boxed()
                } else {
                    // Mostly the first (valid) values, so most rows are tickets.
                    prop_oneof![3 => (0..2.min(n)).prop_map(Some), 1 => (0..n).prop_map(Some)]
                        .boxed()
                }
            })
            .collect::<Vec<_>>()
    }

    /// The rows' cell texts, column by column.
    fn texts(rows: &[Vec<Option<usize>>]) -> Vec<Vec<String>> {
        POOLS
            .iter()
            .enumerate()
            .map(|(c, (_, pool))| {
                rows.iter()
                    .enumerate()
                    .map(|(r, row)| match row[c] {
                        Some(k) => pool[k].to_string(),
                        None => format!("U{r}"),
                    })
                    .collect()
            })
            .collect()
    }

    /// The cells as a frame: text columns dictionary-coded like pandas.factorize (empty
    /// cells missing), or (`typed`) lon/lat as floats, units as whole numbers and the
    /// times as time stamps where every text of the column is one of those.
    fn frame(cells: &[Vec<String>], typed: bool) -> Frame {
        let rows = cells.first().map_or(0, Vec::len);
        let mut columns = Vec::new();
        for ((name, _), col) in POOLS.iter().zip(cells) {
            let c = match *name {
                "lon" | "lat" if typed => {
                    let v: Option<Vec<f64>> = col
                        .iter()
                        .map(|s| {
                            if s.is_empty() {
                                Some(f64::NAN)
                            } else {
                                s.parse().ok()
                            }
                        })
                        .collect();
                    match v {
                        Some(v) => FrameColumn::Float(v),
                        None => text_column(col),
                    }
                }
                "units" if typed => {
                    let v: Option<Vec<Option<i64>>> = col
                        .iter()
                        .map(|s| {
                            if s.is_empty() {
                                Some(None)
                            } else {
                                s.parse().ok().map(Some)
                            }
                        })
                        .collect();
                    match v {
                        Some(v) => FrameColumn::Int(v),
                        None => text_column(col),
                    }
                }
                "created_at" | "due_by" if typed => {
                    let v: Option<Vec<Option<NaiveDateTime>>> = col
                        .iter()
                        .map(|s| {
                            if s.is_empty() {
                                Some(None)
                            } else {
                                NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
                                    .ok()
                                    .map(Some)
                            }
                        })
                        .collect();
                    match v {
                        Some(values) => FrameColumn::Time { values, utc: false },
                        None => text_column(col),
                    }
                }
                _ => text_column(col),
            };
            columns.push((name.to_string(), c));
        }
        Frame {
            source: "tickets.csv".into(),
            columns,
            rows,
        }
    }

    /// Cells dictionary-coded as pandas.factorize codes them (empty cells missing).
    fn text_column(col: &[String]) -> FrameColumn {
        let mut values: Vec<String> = Vec::new();
        let codes = col
            .iter()
            .map(|s| {
                if s.is_empty() {
                    return MISSING_CODE;
                }
                match values.iter().position(|v| v == s) {
                    Some(k) => k as u32,
                    None => {
                        values.push(s.clone());
                        values.len() as u32 - 1
                    }
                }
            })
            .collect();
        FrameColumn::Text {
            codes,
            values: values.into_iter().collect(),
        }
    }

    /// The same cells as CSV text.
    fn csv_text(cells: &[Vec<String>]) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(POOLS.iter().map(|(n, _)| *n)).unwrap();
        for r in 0..cells.first().map_or(0, Vec::len) {
            w.write_record(cells.iter().map(|c| c[r].as_str())).unwrap();
        }
        w.into_inner().unwrap()
    }

    proptest! {
        /// The typed-column route and the CSV file route of the same rows give the same
        /// tickets, or the same problems (line, record, column and message), whatever
        /// the chunk size and whether numbers and times are typed or text.
        #[test]
        fn a_frame_reads_as_the_csv_file_of_the_same_rows(
            rows in proptest::collection::vec(row(), 0..40),
            chunk in 1usize..8,
            typed in any::<bool>(),
        ) {
            let net = read_network(&fixture_dir("valid")).unwrap();
            let cells = texts(&rows);
            let f = frame(&cells, typed);
            let file = tickets_from_csv("tickets.csv", &csv_text(&cells), &net);
            let mut got = Vec::new();
            let framed = tickets_from_frame(&Arc::new(f), &net, chunk, &mut |c| {
                got.extend(c.into_iter().map(|(_, t)| t))
            });
            match (file, framed) {
                (Ok(want), Ok(())) => prop_assert_eq!(want, got),
                (Err(crate::Error::Invalid(want)), Err(crate::Error::Invalid(framed))) => {
                    prop_assert_eq!(want, framed)
                }
                (a, b) => prop_assert!(false, "file {a:?}, frame {b:?}"),
            }
        }

        /// A frame checked a chunk of rows at a time, each chunk a frame of its own
        /// (coded anew, as pandas codes a slice), gives the whole frame's tickets at the
        /// same rows, or its problems (lines in the whole frame, duplicates across
        /// chunks), and each row's id.
        #[test]
        fn a_frame_checked_in_chunks_reads_as_the_whole_frame(
            rows in proptest::collection::vec(row(), 0..40),
            chunk in 1usize..8,
            typed in any::<bool>(),
        ) {
            let net = read_network(&fixture_dir("valid")).unwrap();
            let cells = texts(&rows);
            let mut want = Vec::new();
            let whole = tickets_from_frame(&Arc::new(frame(&cells, typed)), &net, 16, &mut |c| {
                want.extend(c)
            });
            let mut check = crate::io::TicketCheck::new(rows.len());
            let mut got = Vec::new();
            let mut from = 0;
            loop {
                let to = rows.len().min(from + chunk);
                let part: Vec<Vec<String>> = cells.iter().map(|c| c[from..to].to_vec()).collect();
                check.check(&Arc::new(frame(&part, typed)), &net, &mut |r, t| got.push((r, t)));
                if to >= rows.len() {
                    break;
                }
                from = to;
            }
            match (whole, check.finish()) {
                (Ok(()), Ok(ids)) => {
                    let want_ids: Vec<&str> = want.iter().map(|(_, t)| t.id.as_str()).collect();
                    prop_assert_eq!(&want, &got);
                    prop_assert_eq!(want_ids, ids.iter().collect::<Vec<_>>());
                }
                (Err(crate::Error::Invalid(want)), Err(crate::Error::Invalid(got))) => {
                    prop_assert_eq!(want, got)
                }
                (a, b) => prop_assert!(false, "whole {a:?}, chunks {b:?}"),
            }
        }
    }
}
