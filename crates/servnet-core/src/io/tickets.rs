use super::frame::Frame;
use super::table::{Cells, Col, Problems, Row, Table};
use super::ticket_frame::FrameTickets;
use crate::model::{Network, Ticket};
use crate::Result;
use smol_str::SmolStr;
use std::path::Path;
use std::sync::Arc;

/// Reads a tickets file (CSV or JSON by extension) and checks each ticket against the
/// network: known region, a skill some outlet offers, known avoid / preferred outlets,
/// `due_by` not before `created_at`, unique ids.
pub fn read_tickets(path: &Path, network: &Network) -> Result<Vec<Ticket>> {
    if path.extension().is_some_and(|e| e == "json") {
        return TicketFile::read(path)?.tickets(network);
    }
    // A CSV file is parsed through a buffer a chunk of rows at a time: its bytes and its
    // cells (about 700 bytes a row) are never all held beside the tickets (1M tickets:
    // 910 MB peak read whole from Python, issue 21 target 2). A folder's tickets are
    // read whole by `read_dir`, beside its network ([`TicketFile`]).
    let mut tickets = Vec::new();
    chunked(path, network, READ_CHUNK, true, &mut |chunk| {
        tickets.extend(chunk)
    })?;
    Ok(tickets)
}

/// A tickets file's cells, read without the network (so that a folder's network and
/// tickets can be read at the same time), checked against it by [`TicketFile::tickets`].
pub(crate) struct TicketFile {
    table: Table,
    problems: Problems,
}

impl TicketFile {
    /// Reads the cells of a tickets file (CSV or JSON by extension).
    pub(crate) fn read(path: &Path) -> Result<Self> {
        let mut problems = Problems::default();
        let table = if path.extension().is_some_and(|e| e == "json") {
            Table::read_json(path, &mut problems)?
        } else {
            Table::read_csv(path, &mut problems)?
        };
        Ok(TicketFile { table, problems })
    }

    /// The tickets, checked as [`read_tickets`] does.
    pub(crate) fn tickets(mut self, network: &Network) -> Result<Vec<Ticket>> {
        let mut seen = SeenSet::with_capacity_and_hasher(self.table.rows.len(), Default::default());
        let tickets = parse(
            &self.table,
            network,
            &mut self.problems,
            Some(&mut seen),
            true,
        );
        self.problems.finish()?;
        Ok(tickets)
    }
}

/// Rows of a tickets CSV parsed at a time by [`read_tickets`].
const READ_CHUNK: usize = 65_536;

/// Reads a tickets CSV file `chunk` rows at a time, checking each ticket as
/// [`read_tickets`] does, and hands each chunk's valid tickets to `each` in file order:
/// only one chunk's cells and tickets are in memory at a time (besides the file's bytes
/// and the ids seen, for the duplicate check). Every problem of the file is returned at
/// the end, after `each` has seen the valid tickets: a caller that must not act on a
/// file with problems reads it twice (checking, then acting).
pub fn read_tickets_chunked(
    path: &Path,
    network: &Network,
    chunk: usize,
    each: &mut dyn FnMut(Vec<Ticket>),
) -> Result<()> {
    chunked(path, network, chunk, true, each)
}

/// [`read_tickets_chunked`] without the duplicate-id check, for a file that check has
/// already passed (dispatching it after checking it): the ids seen are not kept (1M
/// tickets: ~60 MB less beside the ledger). A duplicate id that appeared since is then
/// a repeated dispatch of the same id, which the ledger answers as such.
pub fn read_checked_tickets_chunked(
    path: &Path,
    network: &Network,
    chunk: usize,
    each: &mut dyn FnMut(Vec<Ticket>),
) -> Result<()> {
    chunked(path, network, chunk, false, each)
}

fn chunked(
    path: &Path,
    network: &Network,
    chunk: usize,
    check_ids: bool,
    each: &mut dyn FnMut(Vec<Ticket>),
) -> Result<()> {
    let mut problems = Problems::default();
    let mut ids = SeenSet::default();
    let mut first = true;
    let rest = Table::read_csv_chunks(path, &mut problems, chunk.max(1), &mut |t, problems| {
        each(parse(
            t,
            network,
            problems,
            check_ids.then_some(&mut ids),
            first,
        ));
        first = false;
    })?;
    each(parse(
        &rest,
        network,
        &mut problems,
        check_ids.then_some(&mut ids),
        first,
    ));
    problems.finish()
}

/// Parses tickets from CSV text (as read from a file named `source`).
pub fn tickets_from_csv(source: &str, text: &[u8], network: &Network) -> Result<Vec<Ticket>> {
    // Parsed a chunk of rows at a time, as files are: the cells of a big text are never
    // all held.
    let mut problems = Problems::default();
    let mut ids = SeenSet::default();
    let mut first = true;
    let mut tickets = Vec::new();
    let rest = Table::parse_csv_chunks(source, text, &mut problems, 65_536, &mut |t, problems| {
        tickets.extend(parse(t, network, problems, Some(&mut ids), first));
        first = false;
    });
    tickets.extend(parse(&rest, network, &mut problems, Some(&mut ids), first));
    problems.finish()?;
    Ok(tickets)
}

/// Reads the tickets of a data frame's typed columns (`frame.source` names it, e.g.
/// `tickets.csv`), checking each as [`read_tickets`] does, `chunk` rows at a time: `each`
/// gets each chunk's valid tickets with their row positions, in row order. Every problem
/// is returned at the end (row `r` reported as line `r + 2`), after `each` has seen the
/// valid tickets: a caller that must not act on a frame with problems checks it first.
pub fn tickets_from_frame(
    frame: &Arc<Frame>,
    network: &Network,
    chunk: usize,
    each: &mut dyn FnMut(Vec<(usize, Ticket)>),
) -> Result<()> {
    let mut problems = Problems::default();
    let mut reader = FrameTickets::new(frame, true);
    let chunk = chunk.max(1);
    let mut from: usize = 0;
    loop {
        let to = frame.rows.min(from.saturating_add(chunk));
        let rows: Vec<usize> = (from..to).collect();
        // Header problems (repeated or missing columns) are reported with the first
        // chunk only.
        each(reader.read_into(&rows, network, &mut problems, from == 0));
        if to >= frame.rows {
            break;
        }
        from = to;
    }
    problems.finish()
}

/// The tickets of a data frame's rows `rows` (positions, in the order given), checked
/// as [`tickets_from_frame`] checks them; ids are checked for duplicates among `rows`
/// only. Used to build a checked frame's tickets again a chunk at a time.
pub fn tickets_from_frame_rows(
    frame: &Arc<Frame>,
    rows: &[usize],
    network: &Network,
) -> Result<Vec<(usize, Ticket)>> {
    FrameTickets::new(frame, true).read(rows, network)
}

/// The valid tickets of `t`'s rows; `ids`: the ids seen before (in earlier chunks) and
/// their lines, for the duplicate check (`None`: no check); `first`: whether these are the file's first
/// rows (later chunks do not report missing columns again).
fn parse(
    t: &Table,
    network: &Network,
    problems: &mut Problems,
    ids: Option<&mut SeenSet>,
    first: bool,
) -> Vec<Ticket> {
    parse_rows(t, network, problems, ids, first)
        .into_iter()
        .map(|(_, t)| t)
        .collect()
}

/// One row checked on its own (no duplicate-id check): its ticket if complete, and
/// where its problems end in its block's list, before and after the duplicate check's
/// place (listed issues, issues dropped over the cap).
struct Checked {
    ticket: Option<Ticket>,
    valid: bool,
    before_ids: (usize, usize),
    end: (usize, usize),
}

/// [`parse`], with each ticket's row index (its position in a frame). The rows are
/// checked a block per task on every core, then taken in row order for the
/// duplicate-id check (which needs every earlier id): the tickets and the problems are
/// those of [`parse_row`] row after row, in the same order.
fn parse_rows(
    t: &Table,
    network: &Network,
    problems: &mut Problems,
    mut ids: Option<&mut SeenSet>,
    first: bool,
) -> Vec<(usize, Ticket)> {
    let mut out = Vec::new();
    // A chunk after the first has the same header: its missing columns are known.
    let quiet = &mut Problems::default();
    if !t.require(&REQUIRED, if first { problems } else { quiet }) {
        return out;
    }
    let mark = |p: &Problems| (p.list.len(), p.dropped);
    let cols = TicketCols::of(t);
    let blocks = t.par_blocks(|row, local| {
        let mut c = t.cells(row, local);
        let ticket = row_ticket(&mut c, &cols, network);
        let before_ids = mark(c.problems());
        if let Some(t) = &ticket {
            check_ticket(&mut c, t, network);
        }
        let valid = !c.failed;
        Checked {
            ticket,
            valid,
            before_ids,
            end: mark(local),
        }
    });
    out.reserve(t.rows.len());
    let mut rows = t.rows.iter();
    for (checked, local) in blocks {
        let mut issues = local.list.into_iter();
        let mut at = (0, 0);
        let mut take = |problems: &mut Problems, to: (usize, usize)| {
            for issue in issues.by_ref().take(to.0 - at.0) {
                problems.add(issue.at, issue.message);
            }
            problems.dropped += to.1 - at.1;
            at = to;
        };
        // (the block's rows first: a zip stops there without taking a row too many)
        for (c, row) in checked.into_iter().zip(rows.by_ref()) {
            take(problems, c.before_ids);
            let Some(ticket) = c.ticket else {
                take(problems, c.end);
                continue;
            };
            // (the record is named only if the id is a duplicate)
            let mut cells = t.cells(row, problems);
            let seen = ids.as_deref_mut().map(|m| m as &mut dyn SeenIds);
            let unique = seen.is_none_or(|seen| first_seen(&mut cells, &ticket.id, seen));
            take(problems, c.end);
            if unique && c.valid {
                out.push((row.index, ticket));
            }
        }
    }
    out
}

/// The columns a tickets file must have.
pub(super) const REQUIRED: [&str; 7] = [
    "id",
    "lon",
    "lat",
    "region",
    "skill",
    "created_at",
    "due_by",
];

/// A file's ticket ids seen so far and their lines: membership only (nothing iterates
/// it), so hashed: a string-ordered tree's compares were 2-3% of `servnet assign` 10k.
pub(super) type SeenSet = rustc_hash::FxHashMap<SmolStr, Option<u64>>;

/// The ids seen so far, for the duplicate check: by text (files) or by a frame's codes.
pub(super) trait SeenIds {
    /// The line of the first ticket with `id` (row `row`), if one was seen.
    fn first(&self, id: &str, row: usize) -> Option<Option<u64>>;
    /// Records `id` (row `row`) as first seen on `line`.
    fn insert(&mut self, id: &str, row: usize, line: Option<u64>);
}

impl SeenIds for SeenSet {
    fn first(&self, id: &str, _row: usize) -> Option<Option<u64>> {
        self.get(id).copied()
    }
    fn insert(&mut self, id: &str, _row: usize, line: Option<u64>) {
        std::collections::HashMap::insert(self, SmolStr::new(id), line);
    }
}

/// One row's ticket, if valid; every problem of the row is reported (cell by cell, then
/// the ticket as a whole). `ids`: the ids seen before, for the duplicate check (`None`:
/// no check); a complete ticket's id is added to them.
pub(super) fn parse_row(
    t: &Table,
    row: &Row,
    network: &Network,
    problems: &mut Problems,
    ids: Option<&mut dyn SeenIds>,
) -> Option<Ticket> {
    let mut c = t.cells(row, problems);
    let t = row_ticket(&mut c, &TicketCols::of(t), network)?;
    if let Some(ids) = ids {
        first_seen(&mut c, &t.id, ids);
    }
    check_ticket(&mut c, &t, network);
    (!c.failed).then_some(t)
}

/// A tickets table's columns, found once per table (not per cell).
struct TicketCols {
    id: Col<'static>,
    lon: Col<'static>,
    lat: Col<'static>,
    region: Col<'static>,
    skill: Col<'static>,
    units: Col<'static>,
    priority: Col<'static>,
    created_at: Col<'static>,
    due_by: Col<'static>,
    customer_tier: Col<'static>,
    avoid: Col<'static>,
    preferred: Col<'static>,
}

impl TicketCols {
    fn of(t: &Table) -> Self {
        TicketCols {
            id: t.col("id"),
            lon: t.col("lon"),
            lat: t.col("lat"),
            region: t.col("region"),
            skill: t.col("skill"),
            units: t.col("units"),
            priority: t.col("priority"),
            created_at: t.col("created_at"),
            due_by: t.col("due_by"),
            customer_tier: t.col("customer_tier"),
            avoid: t.col("avoid"),
            preferred: t.col("preferred"),
        }
    }
}

/// A skill cell's text, checked as a [`crate::model::Skill`] (same messages) but kept as text: the
/// ticket holds the text.
struct SkillText(String);

impl std::str::FromStr for SkillText {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        crate::model::skill_parts(s).map(|_| SkillText(s.to_string()))
    }
}

/// The row's ticket if every cell parsed (`None`: incomplete, every problem of the
/// row reported); a complete ticket is judged by [`check_ticket`].
fn row_ticket(c: &mut Cells<'_>, cols: &TicketCols, network: &Network) -> Option<Ticket> {
    // Every cell is read (so every bad one is reported), then the ticket as a whole
    // is judged by `Ticket::problems`, as the dispatcher and Python judge it.
    let id = c.id(cols.id);
    let skill = c.parse::<SkillText>(cols.skill).map(|s| s.0);
    // Cells are parsed here; ranges are `Ticket::problems`' to judge.
    let lon = c.number(cols.lon, "a longitude in [-180, 180]", |_| true);
    let lat = c.number(cols.lat, "a latitude in [-90, 90]", |_| true);
    let region = c.text(cols.region);
    let units = c.whole_or(cols.units, 0, i64::from(u32::MAX), 1);
    let priority = c.parse_or(cols.priority, Default::default());
    let created_at = c.time(cols.created_at, network.time_zone());
    let due_by = c.time(cols.due_by, network.time_zone());
    let customer_tier = c.parse_or(cols.customer_tier, Default::default());
    // Cells that failed to parse get a placeholder, so that the ticket is still
    // judged on its other fields; problems of the placeholders are not reported.
    let mut failed: Vec<&str> = Vec::new();
    let mut or = |field: &'static str, ok: bool| {
        if !ok {
            failed.push(field);
        }
    };
    or("lon", lon.is_some());
    or("lat", lat.is_some());
    or("skill", skill.is_some());
    or("units", units.is_some());
    or("created_at", created_at.is_some());
    or("due_by", due_by.is_some() && created_at.is_some());
    let complete = id.is_some()
        && region.is_some()
        && priority.is_some()
        && customer_tier.is_some()
        && failed.is_empty();
    let t = Ticket {
        id: id.unwrap_or_default(),
        lon: lon.unwrap_or(0.0),
        lat: lat.unwrap_or(0.0),
        region: region.unwrap_or_default(),
        skill: skill.unwrap_or_default(),
        units: units.map_or(1, |u| u as u32),
        priority: priority.unwrap_or_default(),
        created_at: created_at.or(due_by).unwrap_or_default(),
        due_by: due_by.or(created_at).unwrap_or_default(),
        customer_tier: customer_tier.unwrap_or_default(),
        avoid: c.list(cols.avoid),
        preferred: c.opt_text(cols.preferred),
    };
    if !complete {
        for (field, message) in t.problems(network) {
            let placeholder = failed.contains(&field)
                || (field == "id" && t.id.is_empty())
                || (field == "region" && t.region.is_empty());
            if !placeholder {
                c.fail(field, message);
            }
        }
        return None;
    }
    Some(t)
}

/// Whether `id` (a complete ticket's, on `c`'s row) is seen first here: then it is
/// added to `ids`, else the duplicate is reported (on record `id`).
fn first_seen(c: &mut Cells<'_>, id: &str, ids: &mut dyn SeenIds) -> bool {
    match ids.first(id, c.row_index()) {
        Some(first) => {
            let first = match first {
                Some(l) => format!(" (first on line {l})"),
                None => String::new(),
            };
            c.set_record(id);
            c.fail("id", format!("duplicate ticket id '{id}'{first}"));
            false
        }
        None => {
            ids.insert(id, c.row_index(), c.line());
            true
        }
    }
}

/// A complete ticket's checks as a whole ([`Ticket::problems`], a skill some outlet
/// offers), reported on `c`'s row.
fn check_ticket(c: &mut Cells<'_>, t: &Ticket, network: &Network) {
    // (`Ticket::problems`, with the skill looked up once for both checks)
    let skill = network.skill_id(&t.skill);
    if let Err(problems) = t.refs(network, skill, network.region_index(&t.region)) {
        for (field, message) in problems {
            c.fail(field, message);
        }
    }
    // A data folder's ticket for a skill nobody offers is almost always a typo.
    if skill.is_none() {
        c.fail(
            "skill",
            format!(
                "unknown skill '{}': no outlet in the network offers it",
                t.skill
            ),
        );
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::io::table::BLOCK_ROWS;

    /// Rows checked a block per task on every core give the tickets and the problems
    /// (same order) of checking them one row after another: duplicates across blocks,
    /// bad cells, a duplicate of a bad row, over several blocks.
    #[test]
    fn rows_checked_on_every_core_are_the_serial_check_row_for_row() {
        let net = super::super::read_network(&crate::testing::fixture_dir("valid")).unwrap();
        let mut text = String::from(
            "id,lon,lat,region,skill,units,priority,created_at,due_by,customer_tier,avoid,preferred\n",
        );
        for i in 0..3 * BLOCK_ROWS + 5 {
            let id = match i {
                1500 | 2600 => "T5".to_string(),
                2700 => "T1499".to_string(),
                _ => format!("T{i}"),
            };
            let lon = if i == 1499 || i % 700 == 3 {
                "east"
            } else {
                "121.42"
            };
            text.push_str(&format!(
                "{id},{lon},31.22,R-A1,repair:air_conditioner,1,normal,2026-11-23T08:00:00,2026-11-24T08:00:00,standard,,\n"
            ));
        }
        let mut problems = Problems::default();
        let table = Table::parse_csv("tickets.csv", text.as_bytes(), &mut problems);
        let mut ids = SeenSet::default();
        let blocks = parse_rows(&table, &net, &mut problems, Some(&mut ids), true);
        let mut serial = Problems::default();
        let mut serial_ids = SeenSet::default();
        let rows: Vec<(usize, Ticket)> = table
            .rows
            .iter()
            .filter_map(|row| {
                let seen = &mut serial_ids as &mut dyn SeenIds;
                parse_row(&table, row, &net, &mut serial, Some(seen)).map(|t| (row.index, t))
            })
            .collect();
        assert_eq!(blocks, rows);
        let text = |p: &Problems| p.list.iter().map(|i| i.to_string()).collect::<Vec<_>>();
        assert_eq!(text(&problems), text(&serial));
        assert!(text(&problems)
            .iter()
            .any(|m| m.contains("duplicate ticket id 'T5'")));
        assert_eq!(ids.len(), serial_ids.len());
    }
}
