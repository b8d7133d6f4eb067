//! A CSV or JSON file read as rows of text cells, and typed cell access that records a
//! located [`Issue`] for every bad value instead of stopping at the first.

use super::frame::{Cell, Frame};
use super::write::UTF8_BOM;
use crate::error::{Issue, Location};
use crate::model::MAX_ISSUES;
use crate::{Error, Result};
use chrono::NaiveDateTime;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

/// Problems found so far while reading one data set, capped at [`MAX_ISSUES`].
#[derive(Debug, Default)]
pub(crate) struct Problems {
    pub(crate) list: Vec<Issue>,
    pub(crate) dropped: usize,
}

impl Problems {
    pub(crate) fn add(&mut self, at: Location, message: impl Into<String>) {
        if self.list.len() < MAX_ISSUES {
            self.list.push(Issue {
                at,
                message: message.into(),
            });
        } else {
            self.dropped += 1;
        }
    }

    /// Adds `later`'s problems after these, as if each had been added here (the cap
    /// keeps the first ones of both in order; the rest are counted).
    pub(crate) fn append(&mut self, later: Problems) {
        for issue in later.list {
            self.add(issue.at, issue.message);
        }
        self.dropped += later.dropped;
    }

    /// `Err` with every problem (and a count of those over the cap), or `Ok(())`.
    pub(crate) fn finish(mut self) -> Result<()> {
        if self.list.is_empty() {
            return Ok(());
        }
        if self.dropped > 0 {
            let n = self.dropped;
            self.list.push(Issue {
                at: Location::default(),
                message: format!("... and {n} more problem(s) not listed"),
            });
        }
        Err(Error::Invalid(self.list))
    }
}

/// The most bytes one row's cells may take in a file. A row keeps its cells' ends as 4-byte
/// offsets, and bad UTF-8 bytes read back as 3-byte U+FFFD: a row of at most 1 GiB stays
/// below 4 GiB of text. A longer row is reported (in a CSV file, mostly a quote left
/// open), not read.
#[cfg(not(test))]
pub(crate) const MAX_ROW_BYTES: usize = 1 << 30;
/// [`MAX_ROW_BYTES`] in unit tests, small enough to test without a 1 GiB row.
#[cfg(test)]
pub(crate) const MAX_ROW_BYTES: usize = 1 << 16;

/// The problem of a row of `bytes` bytes, longer than [`MAX_ROW_BYTES`].
fn row_too_long(bytes: usize) -> String {
    format!("row of {bytes} bytes is longer than a row may be ({MAX_ROW_BYTES} bytes)")
}

/// One data row: its 1-based line in the file (CSV) and its cells by column position.
#[derive(Debug)]
pub(crate) struct Row {
    pub(crate) line: Option<u64>,
    pub(crate) index: usize,
    /// The cells' text one after another (two allocations a row, not one per cell).
    text: String,
    /// Where each cell ends in `text`.
    ends: Vec<u32>,
}

impl Row {
    /// A row of `cells`.
    pub(crate) fn new<S: AsRef<str>>(
        line: Option<u64>,
        index: usize,
        cells: impl IntoIterator<Item = S>,
    ) -> Row {
        let mut row = Row {
            line,
            index,
            text: String::new(),
            ends: Vec::new(),
        };
        for c in cells {
            row.push(c.as_ref());
        }
        row
    }

    /// Appends a cell. Files' rows are bounded by [`MAX_ROW_BYTES`], so their ends fit;
    /// a cell that would end past 4 GiB is kept empty, never read as part of another.
    fn push(&mut self, cell: &str) {
        let start = self.text.len();
        match u32::try_from(start + cell.len()) {
            Ok(end) => {
                self.text.push_str(cell);
                self.ends.push(end);
            }
            Err(_) => self.ends.push(u32::try_from(start).unwrap_or(u32::MAX)),
        }
    }

    /// The row of `record` in one copy, if every cell is UTF-8 text without white space
    /// at either end (almost every row of a file); `None` otherwise: its cells are then
    /// checked and trimmed one by one. `record` must be at most [`MAX_ROW_BYTES`] long.
    fn plain(line: Option<u64>, record: &csv::ByteRecord) -> Option<Row> {
        let text = std::str::from_utf8(record.as_slice()).ok()?;
        let mut ends = Vec::with_capacity(record.len());
        for i in 0..record.len() {
            let range = record.range(i)?;
            let end = u32::try_from(range.end).ok()?;
            // (`get` is `None` off a character's boundary: a cell is text on its own)
            if !bare(text.get(range)?) {
                return None;
            }
            ends.push(end);
        }
        Some(Row {
            line,
            index: 0,
            text: text.to_string(),
            ends,
        })
    }

    /// Cell `i`'s text.
    pub(crate) fn cell(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)? as usize;
        let start = match i {
            0 => 0,
            _ => self.ends.get(i - 1).map_or(0, |&e| e as usize),
        };
        self.text.get(start..end)
    }

    /// The number of cells.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// The cells in column order.
    pub(crate) fn cells(&self) -> impl Iterator<Item = &str> {
        (0..self.len()).filter_map(|i| self.cell(i))
    }
}

/// Whether `cell` is its own trimmed text: it starts and ends with a printable ASCII
/// character (or is empty). Other cells are trimmed with `str::trim`.
fn bare(cell: &str) -> bool {
    let printable = |b: &u8| (b'!'..0x80).contains(b);
    let b = cell.as_bytes();
    b.first().is_none_or(printable) && b.last().is_none_or(printable)
}

/// Column positions by name.
type ColumnIndex = rustc_hash::FxHashMap<String, usize>;

/// Rows a task of [`Table::par_blocks`] reads.
pub(crate) const BLOCK_ROWS: usize = 1024;

/// A file read as text cells.
#[derive(Debug)]
pub(crate) struct Table {
    pub(crate) source: String,
    /// Column positions by name: looked up for every cell read (hashed; a string-ordered
    /// tree's compares were 9% of `servnet assign` 10k's instructions).
    columns: ColumnIndex,
    pub(crate) rows: Vec<Row>,
    /// The file had no usable header (already reported): column checks stay quiet.
    empty: bool,
    /// Typed columns the rows index into (a frame handed over in memory), instead of
    /// the rows' text cells.
    frame: Option<Arc<Frame>>,
}

impl Table {
    /// Reads `<dir>/<stem>.csv`, else `<dir>/<stem>.json`; `Ok(None)` when neither exists.
    pub(crate) fn find(dir: &Path, stem: &str, problems: &mut Problems) -> Result<Option<Table>> {
        let csv = dir.join(format!("{stem}.csv"));
        let json = dir.join(format!("{stem}.json"));
        if csv.exists() {
            Ok(Some(Table::read_csv(&csv, problems)?))
        } else if json.exists() {
            Ok(Some(Table::read_json(&json, problems)?))
        } else {
            Ok(None)
        }
    }

    fn read_bytes(path: &Path) -> Result<Vec<u8>> {
        std::fs::read(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })
    }

    /// Reads a CSV file; bad rows (wrong field count, non-UTF-8) become problems.
    pub(crate) fn read_csv(path: &Path, problems: &mut Problems) -> Result<Table> {
        let bytes = Table::read_bytes(path)?;
        Ok(Table::parse_csv(&file_name(path), &bytes, problems))
    }

    /// [`Table::read_csv`] in chunks ([`Table::parse_csv_chunks`]), through a buffer:
    /// the file is never all in memory.
    pub(crate) fn read_csv_chunks(
        path: &Path,
        problems: &mut Problems,
        chunk: usize,
        each: &mut dyn FnMut(&Table, &mut Problems),
    ) -> Result<Table> {
        use std::io::BufRead;
        let io = |source| Error::Io {
            path: path.display().to_string(),
            source,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        let mut reader = std::io::BufReader::with_capacity(1 << 16, file);
        // A UTF-8 byte-order mark (Excel's "CSV UTF-8", servnet's `--excel`) is not data.
        if reader.fill_buf().map_err(io)?.starts_with(UTF8_BOM) {
            reader.consume(UTF8_BOM.len());
        }
        Ok(Table::parse_csv_from(
            &file_name(path),
            reader,
            problems,
            chunk,
            each,
        ))
    }

    /// Parses CSV bytes; `source` names the file in messages.
    pub(crate) fn parse_csv(source: &str, bytes: &[u8], problems: &mut Problems) -> Table {
        Table::parse_csv_chunks(source, bytes, problems, usize::MAX, &mut |_, _| {})
    }

    /// [`Table::parse_csv`] handing the rows to `each` every `chunk` rows, then dropping
    /// them (a big file's cells are never all in memory); returns the table holding the
    /// rows after the last full chunk. Row indices count from the start of the file.
    pub(crate) fn parse_csv_chunks(
        source: &str,
        bytes: &[u8],
        problems: &mut Problems,
        chunk: usize,
        each: &mut dyn FnMut(&Table, &mut Problems),
    ) -> Table {
        // A UTF-8 byte-order mark (Excel's "CSV UTF-8", servnet's `--excel`) is not data.
        let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
        Table::parse_csv_from(source, bytes, problems, chunk, each)
    }

    /// [`Table::parse_csv_chunks`] of the bytes `input` gives (after any byte-order mark).
    fn parse_csv_from(
        source: &str,
        input: impl std::io::Read,
        problems: &mut Problems,
        chunk: usize,
        each: &mut dyn FnMut(&Table, &mut Problems),
    ) -> Table {
        let mut handed = 0usize;
        let at = |line: Option<u64>| Location {
            source: source.to_string(),
            line,
            ..Location::default()
        };
        let mut table = Table {
            source: source.to_string(),
            columns: ColumnIndex::default(),
            rows: Vec::new(),
            empty: false,
            frame: None,
        };
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(false)
            .from_reader(LineCounter::new(input));
        let mut header_len = None;
        let mut header_names: Vec<String> = Vec::new();
        let mut record = csv::ByteRecord::new();
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    let line = e.position().map(|p| reader.get_mut().line_at(p.byte()));
                    problems.add(at(line), format!("unreadable CSV: {e}"));
                    break;
                }
            }
            let line = record
                .position()
                .map(|p| reader.get_mut().line_at(p.byte()));
            if record.as_slice().len() > MAX_ROW_BYTES {
                let long = row_too_long(record.as_slice().len());
                problems.add(at(line), format!("{long}: is a quote left open?"));
                if header_len.is_none() {
                    // No header to read the other rows by.
                    table.empty = true;
                    break;
                }
                continue;
            }
            // (most rows are plain text; the others are checked and trimmed cell by cell)
            let mut cells = match Row::plain(line, &record) {
                Some(row) => row,
                None => {
                    let mut cells = Row {
                        line,
                        index: 0,
                        text: String::with_capacity(record.as_slice().len()),
                        ends: Vec::with_capacity(record.len()),
                    };
                    for (i, c) in record.iter().enumerate() {
                        match std::str::from_utf8(c) {
                            Ok(text) => cells.push(text.trim()),
                            Err(e) => {
                                // Name the column when the header is known (it is not on
                                // line 1).
                                let field = header_names.get(i).cloned();
                                problems.add(
                                    Location { field, ..at(line) },
                                    format!("not valid UTF-8 text ({e}); save the file as UTF-8"),
                                );
                                // Keep the row (with U+FFFD for the bad bytes): the read
                                // fails anyway, and dropping it would add misleading
                                // "unknown outlet" follow-up errors.
                                cells.push(String::from_utf8_lossy(c).trim());
                            }
                        }
                    }
                    cells
                }
            };
            match header_len {
                None => {
                    let mut cols = ColumnIndex::default();
                    for (i, name) in cells.cells().enumerate() {
                        let name = name.trim_start_matches('\u{feff}').to_string();
                        if cols.insert(name.clone(), i).is_some() {
                            problems.add(
                                at(line),
                                format!("column '{name}' appears twice in the header"),
                            );
                        }
                    }
                    table.columns = cols;
                    header_names = cells.cells().map(str::to_string).collect();
                    header_len = Some(cells.len());
                }
                Some(n) => {
                    if cells.len() == 1 && cells.cell(0) == Some("") {
                        continue; // blank line
                    }
                    if cells.len() != n {
                        // A short row names its first missing column.
                        let field = header_names.get(cells.len()).cloned();
                        problems.add(
                            Location { field, ..at(line) },
                            format!(
                                "row has {} field(s) but the header has {n} (truncated or misquoted line?)",
                                cells.len()
                            ),
                        );
                        continue;
                    }
                    cells.index = handed + table.rows.len();
                    table.rows.push(cells);
                    if table.rows.len() >= chunk {
                        each(&table, problems);
                        handed += table.rows.len();
                        table.rows.clear();
                    }
                }
            }
        }
        if header_len.is_none() && !table.empty {
            problems.add(at(Some(1)), "file is empty: expected a header row");
            table.empty = true;
        }
        table
    }

    /// Reads `path` as JSON when its extension is `.json` (any case), else as CSV.
    pub(crate) fn read_by_extension(path: &Path, problems: &mut Problems) -> Result<Table> {
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        {
            Table::read_json(path, problems)
        } else {
            Table::read_csv(path, problems)
        }
    }

    /// Reads a JSON file holding an array of flat objects.
    pub(crate) fn read_json(path: &Path, problems: &mut Problems) -> Result<Table> {
        let bytes = Table::read_bytes(path)?;
        Ok(Table::parse_json(&file_name(path), &bytes, problems))
    }

    /// Parses a JSON array of flat objects; arrays in cells become `;`-lists.
    pub(crate) fn parse_json(source: &str, bytes: &[u8], problems: &mut Problems) -> Table {
        let mut table = Table {
            source: source.to_string(),
            columns: ColumnIndex::default(),
            rows: Vec::new(),
            empty: false,
            frame: None,
        };
        let at = |line: Option<u64>| Location {
            source: source.to_string(),
            line,
            ..Location::default()
        };
        let value: serde_json::Value = match serde_json::from_slice(bytes) {
            Ok(v) => v,
            Err(e) => {
                problems.add(at(Some(e.line() as u64)), format!("invalid JSON: {e}"));
                table.empty = true;
                return table;
            }
        };
        let Some(items) = value.as_array() else {
            problems.add(at(None), "expected a JSON array of objects");
            table.empty = true;
            return table;
        };
        let mut objects = Vec::new();
        for (k, item) in items.iter().enumerate() {
            match item.as_object() {
                Some(o) => {
                    for key in o.keys() {
                        let n = table.columns.len();
                        table.columns.entry(key.clone()).or_insert(n);
                    }
                    objects.push((k, o));
                }
                None => problems.add(
                    Location {
                        record: Some(format!("#{k}")),
                        ..at(None)
                    },
                    "expected an object",
                ),
            }
        }
        for (k, o) in objects {
            let mut cells = vec![String::new(); table.columns.len()];
            for (key, v) in o {
                if let Some(&i) = table.columns.get(key) {
                    cells[i] = json_cell(v);
                }
            }
            let bytes = cells.iter().map(String::len).sum::<usize>();
            if bytes > MAX_ROW_BYTES {
                problems.add(
                    Location {
                        record: Some(format!("#{k}")),
                        ..at(None)
                    },
                    row_too_long(bytes),
                );
                continue;
            }
            table.rows.push(Row::new(None, k, cells));
        }
        table
    }

    /// A table whose rows read `frame`'s typed cells (see [`super::frame::frame_table`]).
    pub(crate) fn from_frame(
        frame: Arc<Frame>,
        columns: BTreeMap<String, usize>,
        rows: Vec<Row>,
    ) -> Table {
        Table {
            source: frame.source.clone(),
            columns: columns.into_iter().collect(),
            rows,
            empty: false,
            frame: Some(frame),
        }
    }

    /// The position of column `col` (in the frame or the rows' cells), if any.
    pub(crate) fn column_index(&self, col: &str) -> Option<usize> {
        self.columns.get(col).copied()
    }

    /// Whether the file has column `col`.
    pub(crate) fn has(&self, col: &str) -> bool {
        self.columns.contains_key(col)
    }

    /// Reports each missing required column; returns false if any is missing.
    pub(crate) fn require(&self, columns: &[&str], problems: &mut Problems) -> bool {
        if self.empty {
            return false;
        }
        let mut ok = true;
        for c in columns {
            if !self.columns.contains_key(*c) {
                ok = false;
                problems.add(
                    Location {
                        source: self.source.clone(),
                        line: Some(1),
                        record: None,
                        field: Some(c.to_string()),
                    },
                    format!("missing required column '{c}'"),
                );
            }
        }
        ok
    }

    /// Each row read by `read` on every core, a block of [`BLOCK_ROWS`] rows per task,
    /// with each block's own problems: taken block after block, the results and problems
    /// are those of reading the rows one by one, in row order.
    pub(crate) fn par_blocks<T: Send>(
        &self,
        read: impl Fn(&Row, &mut Problems) -> T + Sync,
    ) -> Vec<(Vec<T>, Problems)> {
        use rayon::prelude::*;
        self.rows
            .par_chunks(BLOCK_ROWS)
            .map(|rows| {
                let mut local = Problems::default();
                let read = rows.iter().map(|row| read(row, &mut local)).collect();
                (read, local)
            })
            .collect()
    }

    /// Typed access to one row.
    pub(crate) fn cells<'a>(&'a self, row: &'a Row, problems: &'a mut Problems) -> Cells<'a> {
        Cells {
            table: self,
            row,
            problems,
            record: None,
            failed: false,
        }
    }
}

/// 1-based line numbers of byte offsets, counted from the bytes themselves: the csv
/// crate's own count is one too low in files with CRLF line ends. `\n`, `\r\n` and a
/// lone `\r` each end a line. Offsets must be asked in increasing order (linear total).
/// It reads through to `input`, keeping the bytes passed on until they are counted, so a
/// file streamed through it is never all in memory.
struct LineCounter<R> {
    input: R,
    /// Bytes read but not yet counted, from `pending[start]` (at file offset `at`) on.
    pending: Vec<u8>,
    start: usize,
    at: u64,
    breaks: u64,
    /// Whether the last byte counted is a CR.
    after_cr: bool,
}

impl<R> LineCounter<R> {
    fn new(input: R) -> Self {
        LineCounter {
            input,
            pending: Vec::new(),
            start: 0,
            at: 0,
            breaks: 0,
            after_cr: false,
        }
    }

    /// The line at byte `offset` (offsets asked for never go back).
    fn line_at(&mut self, offset: u64) -> u64 {
        let ahead = usize::try_from(offset.saturating_sub(self.at)).unwrap_or(usize::MAX);
        let end = self.start.saturating_add(ahead).min(self.pending.len());
        let bytes = self.pending.get(self.start..end).unwrap_or_default();
        if !bytes.contains(&b'\r') {
            // LF line ends only (most files): each LF is a line break, but an LF right
            // after a CR counted before.
            let lf = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
            let after_cr = self.after_cr && bytes.first() == Some(&b'\n');
            self.breaks += lf - u64::from(after_cr);
            if !bytes.is_empty() {
                self.after_cr = false;
            }
        } else {
            // A CRLF counts at its CR: the csv crate may start a record at its LF.
            for &b in bytes {
                if b == b'\r' || (b == b'\n' && !self.after_cr) {
                    self.breaks += 1;
                }
                self.after_cr = b == b'\r';
            }
        }
        self.at += (end - self.start) as u64;
        self.start = end;
        self.breaks + 1
    }
}

impl<R: std::io::Read> std::io::Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.input.read(buf)?;
        if self.start > 0 && self.start >= self.pending.len() / 2 {
            self.pending.drain(..self.start);
            self.start = 0;
        }
        self.pending
            .extend_from_slice(buf.get(..n).unwrap_or_default());
        Ok(n)
    }
}

fn json_cell(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.trim().to_string(),
        serde_json::Value::Array(a) => a.iter().map(json_cell).collect::<Vec<_>>().join(";"),
        other => other.to_string(),
    }
}

pub(crate) fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// A column a row's cells are read from: its name (messages name it) and, when found
/// once per table with [`Table::col`], its position; a bare name (`"lon"`) is looked up
/// for each cell read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Col<'n> {
    name: &'n str,
    /// `Some`: the position found once (`None` inside: the table has no such column).
    at: Option<Option<usize>>,
}

impl<'n> From<&'n str> for Col<'n> {
    fn from(name: &'n str) -> Self {
        Col { name, at: None }
    }
}

impl<'n> From<&'n String> for Col<'n> {
    fn from(name: &'n String) -> Self {
        Col::from(name.as_str())
    }
}

impl Table {
    /// Column `name` found once, for reading it from every row (a row's cell is then
    /// one index away, not a hashed look-up of its name).
    pub(crate) fn col<'n>(&self, name: &'n str) -> Col<'n> {
        Col {
            name,
            at: Some(self.column_index(name)),
        }
    }
}

/// Typed cell access for one row; every failure is recorded with file, line, record and
/// field, and marks the row as failed.
pub(crate) struct Cells<'a> {
    table: &'a Table,
    row: &'a Row,
    problems: &'a mut Problems,
    /// The record named in messages (borrowed from the row when it can be).
    record: Option<Cow<'a, str>>,
    /// Whether any access on this row failed.
    pub(crate) failed: bool,
}

impl<'a> Cells<'a> {
    /// The row's 1-based line in the file (CSV only).
    pub(crate) fn line(&self) -> Option<u64> {
        self.row.line
    }

    /// The row's position in its table (a frame's row number).
    pub(crate) fn row_index(&self) -> usize {
        self.row.index
    }

    /// The problems reported so far.
    pub(crate) fn problems(&self) -> &Problems {
        self.problems
    }

    /// Sets the record id used in later messages.
    pub(crate) fn set_record(&mut self, id: &str) {
        self.record = Some(Cow::Owned(id.to_string()));
    }

    pub(crate) fn location(&self, field: &str) -> Location {
        Location {
            source: self.table.source.clone(),
            line: self.row.line,
            record: match &self.record {
                Some(r) => Some(r.to_string()),
                None => self
                    .row
                    .line
                    .is_none()
                    .then(|| format!("#{}", self.row.index)),
            },
            field: Some(field.to_string()),
        }
    }

    /// Records a problem with `field` and marks the row failed.
    pub(crate) fn fail(&mut self, field: &str, message: impl Into<String>) {
        let at = self.location(field);
        self.problems.add(at, message);
        self.failed = true;
    }

    /// The typed cell (missing when the column is absent or the text cell empty).
    pub(crate) fn cell<'n>(&self, col: impl Into<Col<'n>>) -> Cell<'a> {
        let (table, row): (&'a Table, &'a Row) = (self.table, self.row);
        let col = col.into();
        let at = match col.at {
            Some(at) => at,
            None => table.column_index(col.name),
        };
        let Some(i) = at else {
            return Cell::Missing;
        };
        if let Some(f) = &table.frame {
            return f
                .columns
                .get(i)
                .map_or(Cell::Missing, |(_, c)| c.cell(row.index));
        }
        match row.cell(i) {
            Some(s) if !s.is_empty() => Cell::Text(s),
            _ => Cell::Missing,
        }
    }

    /// Whether the cell is empty (or its column absent): its raw text is empty.
    fn blank(&self, col: Col<'_>) -> bool {
        matches!(self.cell(col), Cell::Missing)
    }

    /// The raw cell as text (empty when the column is absent).
    pub(crate) fn raw<'n>(&self, col: impl Into<Col<'n>>) -> Cow<'a, str> {
        match self.cell(col) {
            Cell::Text(s) => Cow::Borrowed(s),
            other => other.text(),
        }
    }

    /// A required id cell (as [`crate::model::id_problem`] allows); it names the record
    /// in the row's later messages.
    pub(crate) fn id<'n>(&mut self, col: impl Into<Col<'n>>) -> Option<String> {
        let col = col.into();
        let v = self.required(col)?;
        if let Some(m) = crate::model::id_problem(&v) {
            self.fail(col.name, m);
            return None;
        }
        let id = v.to_string();
        self.record = Some(v);
        Some(id)
    }

    /// A required non-empty text cell.
    pub(crate) fn text<'n>(&mut self, col: impl Into<Col<'n>>) -> Option<String> {
        self.required(col).map(Cow::into_owned)
    }

    /// A required non-empty cell's text, borrowed from the row where it can be (the
    /// typed readers parse it without a copy).
    pub(crate) fn required<'n>(&mut self, col: impl Into<Col<'n>>) -> Option<Cow<'a, str>> {
        let col = col.into();
        let v = self.raw(col);
        if v.is_empty() {
            self.fail(col.name, "missing value");
            None
        } else {
            Some(v)
        }
    }

    /// An optional text cell.
    pub(crate) fn opt_text<'n>(&self, col: impl Into<Col<'n>>) -> Option<String> {
        let v = self.raw(col);
        (!v.is_empty()).then(|| v.into_owned())
    }

    /// A `;`-separated list (empty cell: empty list).
    pub(crate) fn list<'n>(&self, col: impl Into<Col<'n>>) -> Vec<String> {
        self.raw(col)
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// A required value parsed with `FromStr` whose error says what was expected.
    pub(crate) fn parse<'n, T: FromStr<Err = String>>(
        &mut self,
        col: impl Into<Col<'n>>,
    ) -> Option<T> {
        let col = col.into();
        let v = self.required(col)?;
        match v.parse() {
            Ok(x) => Some(x),
            Err(m) => {
                self.fail(col.name, m);
                None
            }
        }
    }

    /// An optional value parsed with `FromStr`; `default` when empty.
    pub(crate) fn parse_or<'n, T: FromStr<Err = String>>(
        &mut self,
        col: impl Into<Col<'n>>,
        default: T,
    ) -> Option<T> {
        let col = col.into();
        if self.blank(col) {
            Some(default)
        } else {
            self.parse(col)
        }
    }

    /// A required finite number satisfying `ok`, described by `expected` in messages.
    pub(crate) fn number<'n>(
        &mut self,
        col: impl Into<Col<'n>>,
        expected: &str,
        ok: fn(f64) -> bool,
    ) -> Option<f64> {
        let col = col.into();
        let cell = self.cell(col);
        let typed = match cell {
            Cell::Float(x) => Some(x),
            Cell::Int(i) => Some(i as f64),
            _ => None,
        };
        let v = match (typed, cell) {
            (Some(_), _) => Cow::Borrowed(""),
            // (a text cell is read once: it is the required cell's text)
            (None, Cell::Text(s)) => Cow::Borrowed(s),
            (None, _) => self.required(col)?,
        };
        let parsed = match typed {
            Some(x) => Ok(x),
            None => v.parse::<f64>(),
        };
        match parsed {
            Ok(x) if x.is_finite() && ok(x) => Some(x),
            Ok(x) => {
                // Huge values in scientific notation: 1e308 is not 309 digits long.
                let got = if x.abs() >= 1e15 {
                    format!("{x:e}")
                } else {
                    format!("{x}")
                };
                self.fail(col.name, format!("expected {expected}, got {got}"));
                None
            }
            Err(_) => {
                self.fail(
                    col.name,
                    format!("expected {expected}, got '{v}' (not a number)"),
                );
                None
            }
        }
    }

    /// The `lon` column: a longitude in [-180, 180].
    pub(crate) fn lon(&mut self) -> Option<f64> {
        self.number("lon", "a longitude in [-180, 180]", |x| {
            (-180.0..=180.0).contains(&x)
        })
    }

    /// The `lat` column: a latitude in [-90, 90].
    pub(crate) fn lat(&mut self) -> Option<f64> {
        self.number("lat", "a latitude in [-90, 90]", |x| {
            (-90.0..=90.0).contains(&x)
        })
    }

    /// An optional number; `None` inside when the cell is empty.
    pub(crate) fn opt_number<'n>(
        &mut self,
        col: impl Into<Col<'n>>,
        expected: &str,
        ok: fn(f64) -> bool,
    ) -> Option<Option<f64>> {
        let col = col.into();
        if self.blank(col) {
            Some(None)
        } else {
            self.number(col, expected, ok).map(Some)
        }
    }

    /// A required whole number in `[min, max]` (`12` or `12.0`).
    pub(crate) fn whole<'n>(&mut self, col: impl Into<Col<'n>>, min: i64, max: i64) -> Option<i64> {
        let col = col.into();
        let cell = self.cell(col);
        let typed = match cell {
            Cell::Int(i) => Some(i),
            _ => None,
        };
        let v = match (typed, cell) {
            (Some(_), _) => Cow::Borrowed(""),
            (None, Cell::Text(s)) => Cow::Borrowed(s),
            (None, _) => self.required(col)?,
        };
        let parsed = typed.or_else(|| v.parse::<i64>().ok()).or_else(|| {
            v.parse::<f64>()
                .ok()
                .filter(|x| x.fract() == 0.0 && x.abs() < 9e15)
                .map(|x| x as i64)
        });
        match parsed {
            Some(x) if (min..=max).contains(&x) => Some(x),
            Some(x) => {
                self.fail(
                    col.name,
                    format!("expected a whole number in {min}..={max}, got {x}"),
                );
                None
            }
            None => {
                self.fail(
                    col.name,
                    format!("expected a whole number in {min}..={max}, got '{v}'"),
                );
                None
            }
        }
    }

    /// An optional whole number with a default.
    pub(crate) fn whole_or<'n>(
        &mut self,
        col: impl Into<Col<'n>>,
        min: i64,
        max: i64,
        default: i64,
    ) -> Option<i64> {
        let col = col.into();
        if self.blank(col) {
            Some(default)
        } else {
            self.whole(col, min, max)
        }
    }

    /// A required ISO 8601 time stamp, as wall-clock time in `tz` (see [`parse_time_in`]).
    pub(crate) fn time<'n>(
        &mut self,
        col: impl Into<Col<'n>>,
        tz: chrono_tz::Tz,
    ) -> Option<NaiveDateTime> {
        let col = col.into();
        if let Cell::Time(t, utc) = self.cell(col) {
            return Some(if utc {
                chrono::TimeZone::from_utc_datetime(&tz, &t).naive_local()
            } else {
                t
            });
        }
        let v = self.required(col)?;
        match parse_time_in(&v, tz) {
            Some(t) => Some(t),
            None => {
                self.fail(
                    col.name,
                    format!(
                        "expected a time stamp like 2026-11-23T08:15:00 or 2026-11-23T08:15:00+08:00, got '{v}'"
                    ),
                );
                None
            }
        }
    }
}

/// The calendar date of ledger day `day` counted from `start` (`None` without a start
/// date or past the calendar's end).
pub fn day_date(start: Option<chrono::NaiveDate>, day: u32) -> Option<chrono::NaiveDate> {
    start?.checked_add_days(chrono::Days::new(u64::from(day)))
}

/// The common form `YYYY-MM-DDTHH:MM:SS` (or a space for `T`) without chrono's format
/// interpreter: a ticket file spent most of its read time there (issue 21). `None` for
/// anything else, which the general formats then try.
fn parse_plain_time(s: &str) -> Option<NaiveDateTime> {
    let b = s.as_bytes();
    if b.len() != 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b'T' || b[10] == b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let date = chrono::NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
    date.and_hms_opt(num(11..13)?, num(14..16)?, num(17..19)?)
}

/// [`parse_time_in`] the default network zone, `Asia/Shanghai`.
pub fn parse_time(s: &str) -> Option<NaiveDateTime> {
    parse_time_in(s, crate::model::DEFAULT_TIME_ZONE)
}

/// Parses an ISO 8601 time stamp as wall-clock time in the network's zone `tz`:
/// naive times (`2026-11-23T08:15:00`, `2026-11-23 08:15`, a date: midnight) are taken
/// as `tz`'s time; times with an offset or `Z` (`2026-11-23T09:45:00+08:00`,
/// `2026-11-23T01:45Z`) are converted to `tz`. Seconds and fractions are optional.
/// Excel's re-saves of such cells (`2026/11/23 6:00`, `2026/11/23 06:00:00`,
/// `2026/11/23`) are read as the same naive times.
pub fn parse_time_in(s: &str, tz: chrono_tz::Tz) -> Option<NaiveDateTime> {
    let s = s.trim();
    if let Some(t) = parse_plain_time(s) {
        return Some(t);
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        // Excel's re-saves of a time stamp (slashes, unpadded hour).
        "%Y/%m/%d %H:%M:%S%.f",
        "%Y/%m/%d %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t);
        }
    }
    if let Some(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| chrono::NaiveDate::parse_from_str(s, "%Y/%m/%d"))
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
    {
        return Some(d);
    }
    // With an offset: `Z` is +00:00; minutes-only forms get `:00` seconds.
    let zoned = s.strip_suffix('Z').or_else(|| s.strip_suffix('z'));
    let owned;
    let s = match zoned {
        Some(rest) => {
            owned = format!("{rest}+00:00");
            owned.as_str()
        }
        None => s,
    };
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M%:z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M%z",
    ] {
        if let Ok(t) = chrono::DateTime::parse_from_str(s, fmt) {
            return Some(t.with_timezone(&tz).naive_local());
        }
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::io::{Column, Format, Output, Tabular};

    #[test]
    fn excel_re_saved_times_are_the_same_instant_as_iso() {
        let tz = crate::model::DEFAULT_TIME_ZONE;
        for (excel, iso) in [
            ("2026/11/23 6:00", "2026-11-23T06:00:00"),
            ("2026/11/23 06:00:00", "2026-11-23T06:00:00"),
            ("2026/11/23 18:05:30", "2026-11-23T18:05:30"),
            ("2026/1/3 6:00", "2026-01-03T06:00:00"),
            ("2026/11/23", "2026-11-23"),
            (" 2026/11/23 6:00 ", "2026-11-23 06:00"),
        ] {
            let want = parse_time_in(iso, tz).unwrap();
            assert_eq!(parse_time_in(excel, tz), Some(want), "{excel} vs {iso}");
        }
        for bad in [
            "2026/13/23 6:00",
            "2026/11/31",
            "2026/11/23 25:00",
            "23/11/2026 6:00",
        ] {
            assert_eq!(parse_time_in(bad, tz), None, "{bad}");
        }
    }

    #[test]
    fn a_csv_written_for_excel_starts_with_a_bom_and_reads_back_unchanged() {
        struct T;
        const COLS: &[Column] = &[Column::text("id"), Column::text("name")];
        impl Tabular for T {
            fn columns(&self) -> &'static [Column] {
                COLS
            }
            fn len(&self) -> usize {
                2
            }
            fn row(&self, i: usize, out: &mut Vec<String>) {
                out.extend([
                    format!("O{i}"),
                    ["上海浦东服务站", "Zürich, \"Süd\""][i].into(),
                ]);
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain.csv");
        let excel = dir.path().join("excel.csv");
        let out = |p: &Path| Output::parse("out", p, &[]).unwrap();
        out(&plain).write_table(&T).unwrap();
        let for_excel = out(&excel).for_excel(true);
        assert!(matches!(
            for_excel,
            Output::File {
                format: Format::ExcelCsv,
                ..
            }
        ));
        for_excel.write_table(&T).unwrap();
        let (plain, excel) = (std::fs::read(plain).unwrap(), std::fs::read(excel).unwrap());
        assert_eq!(&excel[..3], [0xEF, 0xBB, 0xBF]);
        assert_eq!(&excel[3..], &plain[..]);
        let read = |b: &[u8]| {
            let mut problems = Problems::default();
            let t = Table::parse_csv("t.csv", b, &mut problems);
            assert!(problems.finish().is_ok());
            let cells: Vec<Vec<String>> = t
                .rows
                .iter()
                .map(|r| r.cells().map(str::to_string).collect())
                .collect();
            (t.columns, cells)
        };
        let (cols, rows) = read(&excel);
        assert_eq!((cols.clone(), rows.clone()), read(&plain));
        assert!(
            cols.contains_key("id"),
            "the BOM is not part of the first header"
        );
        assert_eq!(rows[0], ["O0", "上海浦东服务站"]);
        assert_eq!(rows[1], ["O1", "Zürich, \"Süd\""]);
    }

    #[test]
    fn a_file_read_in_chunks_through_a_buffer_has_the_rows_and_lines_of_the_whole_text() {
        // Far more than the readers' buffers, every kind of line end, a byte-order mark,
        // a quoted cell across lines and a bad row near the end: each row's line is the
        // one a text editor shows.
        let mut text = Vec::from(UTF8_BOM);
        text.extend_from_slice(b"a,b\r\n");
        let ends: [&[u8]; 3] = [b"\n", b"\r\n", b"\r"];
        let mut want = Vec::new();
        let mut line = 2u64;
        for i in 0..20_000u64 {
            let end = ends[(i % 3) as usize];
            if i == 7_000 {
                text.extend_from_slice(b"\"two\nlines\",x");
                text.extend_from_slice(end);
                want.push((line, "two\nlines".to_string()));
                line += 2;
            } else if i == 19_000 {
                text.extend_from_slice(b"bad,row,here");
                text.extend_from_slice(end);
                line += 1;
            } else {
                text.extend_from_slice(format!("x{i},{i}").as_bytes());
                text.extend_from_slice(end);
                want.push((line, format!("x{i}")));
                line += 1;
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, &text).unwrap();
        let mut problems = Problems::default();
        let mut got = Vec::new();
        let mut take = |t: &Table| {
            for r in &t.rows {
                got.push((r.line.unwrap(), r.cell(0).unwrap().to_string()));
            }
        };
        let rest = Table::read_csv_chunks(&path, &mut problems, 777, &mut |t, _| take(t)).unwrap();
        take(&rest);
        assert!(rest.columns.contains_key("a"), "the BOM is not data");
        assert_eq!(got, want);
        let Err(crate::Error::Invalid(issues)) = problems.finish() else {
            panic!("the bad row is reported");
        };
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].at.line, Some(2 + 19_000 + 1), "{}", issues[0]);
        // The whole text parsed at once agrees.
        let mut whole = Problems::default();
        let t = Table::parse_csv("t.csv", &text, &mut whole);
        let lines: Vec<_> = t
            .rows
            .iter()
            .map(|r| (r.line.unwrap(), r.cell(0).unwrap().to_string()))
            .collect();
        assert_eq!(lines, want);
    }

    #[test]
    fn lines_count_alike_in_lf_only_stretches_and_next_to_crlf_and_cr_ends() {
        // Long LF-only stretches (counted a stretch at a time) between CRLF and lone-CR
        // lines (counted byte by byte), read whole and through a buffer in chunks: each
        // row's line is the one a text editor shows.
        let mut text = b"a,b\n".to_vec();
        let mut want = Vec::new();
        for i in 0..30_000u64 {
            let end: &[u8] = match i {
                10_000..=10_002 => b"\r\n",
                20_000..=20_002 => b"\r",
                _ => b"\n",
            };
            text.extend_from_slice(format!("x{i},{i}").as_bytes());
            text.extend_from_slice(end);
            want.push((i + 2, format!("x{i}")));
        }
        let lines = |t: &Table| -> Vec<(u64, String)> {
            t.rows
                .iter()
                .map(|r| (r.line.unwrap(), r.cell(0).unwrap().to_string()))
                .collect()
        };
        let mut problems = Problems::default();
        assert_eq!(
            lines(&Table::parse_csv("t.csv", &text, &mut problems)),
            want
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, &text).unwrap();
        let mut got = Vec::new();
        let rest =
            Table::read_csv_chunks(&path, &mut problems, 333, &mut |t, _| got.extend(lines(t)))
                .unwrap();
        got.extend(lines(&rest));
        assert_eq!(got, want);
        assert!(problems.list.is_empty());
    }

    #[test]
    fn rows_read_in_one_copy_equal_rows_read_cell_by_cell() {
        // Plain rows, and rows that need trimming, have non-ASCII text at a cell's end,
        // quoted cells, or a character split by a separator (not text on its own):
        // each row's cells are its trimmed UTF-8 cells, and only bad text is reported.
        let text = "a,b,c\n\
                    x,1,2\n\
                    \" y \",\t3,4 \n\
                    z\u{3000},\u{a0}5,\"say \"\"hi\"\"\"\n\
                    \u{4e2d},\u{6587}w,\n\
                    ,,\n";
        let mut problems = Problems::default();
        let t = Table::parse_csv("t.csv", text.as_bytes(), &mut problems);
        let cells: Vec<Vec<&str>> = t.rows.iter().map(|r| r.cells().collect()).collect();
        assert_eq!(
            cells,
            [
                vec!["x", "1", "2"],
                vec!["y", "3", "4"],
                vec!["z", "5", "say \"hi\""],
                vec!["\u{4e2d}", "\u{6587}w", ""],
                vec!["", "", ""],
            ]
        );
        assert!(problems.list.is_empty());
        // `中` (E4 B8 AD) cut by a comma: both halves are bad text, though the cells
        // side by side would read as `x中y`.
        let mut bytes = b"a,b\nx\xe4,\xb8\xady\n".to_vec();
        bytes.extend_from_slice(b"p,q\n");
        let mut problems = Problems::default();
        let t = Table::parse_csv("t.csv", &bytes, &mut problems);
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[1].cells().collect::<Vec<_>>(), ["p", "q"]);
        let fields: Vec<_> = problems
            .list
            .iter()
            .map(|i| (i.at.line, i.at.field.clone()))
            .collect();
        assert_eq!(
            fields,
            [
                (Some(2), Some("a".to_string())),
                (Some(2), Some("b".to_string()))
            ]
        );
        assert!(problems.list[0].message.contains("not valid UTF-8"));
    }

    #[test]
    fn a_row_longer_than_a_row_may_be_is_reported_and_its_neighbours_read_whole() {
        // A cell just below the bound reads back byte for byte; one above is named by
        // line (CSV) or record (JSON), and the rows around it are read.
        let near = "n".repeat(MAX_ROW_BYTES - 10);
        let over = "o".repeat(MAX_ROW_BYTES + 1);
        let csv = format!("id,note\nA,{near}\nB,\"{over}\"\nC,short\n");
        let mut problems = Problems::default();
        let t = Table::parse_csv("t.csv", csv.as_bytes(), &mut problems);
        let ids: Vec<_> = t.rows.iter().map(|r| r.cell(0).unwrap_or("?")).collect();
        assert_eq!(ids, ["A", "C"]);
        assert_eq!(t.rows[0].cell(1), Some(near.as_str()));
        let Err(crate::Error::Invalid(issues)) = problems.finish() else {
            panic!("the long row is reported");
        };
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].at.line, Some(3), "{}", issues[0]);
        assert!(
            issues[0].message.contains("longer than a row may be"),
            "{}",
            issues[0]
        );

        let json = format!(r#"[{{"id":"A","note":"{near}"}},{{"id":"B","note":"{over}"}}]"#);
        let mut problems = Problems::default();
        let t = Table::parse_json("t.json", json.as_bytes(), &mut problems);
        assert_eq!(t.rows.len(), 1);
        assert_eq!(t.rows[0].cell(0), Some("A"));
        let Err(crate::Error::Invalid(issues)) = problems.finish() else {
            panic!("the long record is reported");
        };
        assert_eq!(issues[0].at.record.as_deref(), Some("#1"), "{}", issues[0]);

        // A header that long leaves nothing to read the rows by: reported once.
        let csv = format!("{over}\nA\n");
        let mut problems = Problems::default();
        let t = Table::parse_csv("t.csv", csv.as_bytes(), &mut problems);
        assert!(t.rows.is_empty());
        assert_eq!(problems.list.len(), 1);
    }

    #[test]
    fn json_and_stdout_are_not_changed_for_excel() {
        let json = Output::parse("out", Path::new("x.json"), &[]).unwrap();
        assert_eq!(json.clone().for_excel(true), json);
        assert_eq!(Output::Stdout.for_excel(true), Output::Stdout);
    }

    #[test]
    fn day_date_counts_from_the_start() {
        let d = chrono::NaiveDate::from_ymd_opt(2026, 12, 30).unwrap();
        assert_eq!(day_date(Some(d), 0), Some(d));
        assert_eq!(day_date(Some(d), 3).unwrap().to_string(), "2027-01-02");
        assert_eq!(day_date(None, 3), None);
    }

    proptest::proptest! {
        /// The fast path reads `YYYY-MM-DDTHH:MM:SS` exactly as chrono's format does,
        /// including impossible dates and times (then both refuse it).
        #[test]
        fn plain_time_stamps_read_as_chrono_reads_them(
            y in 1800u32..10_000, mo in 0u32..14, d in 0u32..33,
            h in 0u32..26, mi in 0u32..62, sec in 0u32..62, space in proptest::bool::ANY,
        ) {
            let s = format!(
                "{y:04}-{mo:02}-{d:02}{}{h:02}:{mi:02}:{sec:02}",
                if space { ' ' } else { 'T' }
            );
            let fmt = if space { "%Y-%m-%d %H:%M:%S" } else { "%Y-%m-%dT%H:%M:%S" };
            let chrono = NaiveDateTime::parse_from_str(&s, fmt).ok();
            // chrono takes second 60 as a leap second; the fast path leaves it to chrono.
            if sec < 60 {
                proptest::prop_assert_eq!(parse_plain_time(&s), chrono);
            }
            proptest::prop_assert_eq!(parse_time(&s), chrono);
        }
    }
}
