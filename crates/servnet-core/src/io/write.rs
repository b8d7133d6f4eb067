//! Every writer of servnet: result tables as CSV (through the `csv` crate) or JSON, to a
//! file or standard output.
//!
//! A file is written atomically: into a temporary file in the same folder, flushed to
//! disk, then renamed over the target, so a crash or `kill -9` mid-write leaves the old
//! file whole (or no file), never a truncated one. An output that is one of the run's
//! input files is refused before any work. Results describe themselves as tables
//! ([`Tabular`]): `io` knows no result type, so it sits below dispatch, assign and plan.

use crate::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// What a column holds: JSON output types its cells by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellKind {
    /// Free text or an id (written as a JSON string).
    Text,
    /// A number (a JSON number; an empty cell is `null`).
    Number,
    /// `true` / `false` (a JSON boolean).
    Bool,
}

/// One column of a result table.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// Header name.
    pub name: &'static str,
    /// Cell type.
    pub kind: CellKind,
}

impl Column {
    /// A text column.
    pub const fn text(name: &'static str) -> Self {
        Column {
            name,
            kind: CellKind::Text,
        }
    }
    /// A number column.
    pub const fn number(name: &'static str) -> Self {
        Column {
            name,
            kind: CellKind::Number,
        }
    }
    /// A boolean column.
    pub const fn bool(name: &'static str) -> Self {
        Column {
            name,
            kind: CellKind::Bool,
        }
    }
}

/// A result written as a table: fixed columns, rows of text cells (numbers already
/// formatted as the result wants them shown). `Sync`: a big table's rows are formatted
/// on every core.
pub trait Tabular: Sync {
    /// The columns, in order.
    fn columns(&self) -> &'static [Column];
    /// Number of rows.
    fn len(&self) -> usize;
    /// Whether there are no rows.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Row `i`'s cells, one per column, pushed onto `out` (which arrives empty).
    fn row(&self, i: usize, out: &mut Vec<String>);
    /// Row `i`'s cells written into `out` (which arrives empty), as the CSV writers take
    /// them: by default [`Tabular::row`]'s; a table written in bulk formats into `out`
    /// directly (no `String` per cell) and derives `row` from it ([`RowText::into_cells`]).
    fn row_text(&self, i: usize, out: &mut RowText) {
        let mut cells = Vec::new();
        self.row(i, &mut cells);
        for c in &cells {
            out.push(c);
        }
    }
}

/// One row's cells one after another in one buffer, reused from row to row.
#[derive(Debug, Default, Clone)]
pub struct RowText {
    text: String,
    /// Where each cell ends in `text`.
    ends: Vec<usize>,
}

impl RowText {
    /// Appends cell `cell`.
    pub fn push(&mut self, cell: &str) {
        self.text.push_str(cell);
        self.ends.push(self.text.len());
    }

    /// Appends a cell formatted from `args` (`format_args!`), without a `String` of its own.
    pub fn push_fmt(&mut self, args: std::fmt::Arguments<'_>) {
        use std::fmt::Write as _;
        // (writing into a `String` cannot fail)
        let _ = self.text.write_fmt(args);
        self.ends.push(self.text.len());
    }

    /// Appends whole number `n` (its `Display` text, without `core::fmt`).
    pub fn push_int(&mut self, n: u64) {
        self.text.push_str(itoa::Buffer::new().format(n));
        self.ends.push(self.text.len());
    }

    /// Appends date `d` as its `Display` text (`2026-11-23`), years 0 to 9999 without
    /// `core::fmt`.
    pub fn push_date(&mut self, d: chrono::NaiveDate) {
        use chrono::Datelike;
        let year = match u32::try_from(d.year()) {
            Ok(y) if y <= 9999 => y,
            _ => return self.push_fmt(format_args!("{d}")),
        };
        for (k, (n, width)) in [(year, 4), (d.month(), 2), (d.day(), 2)]
            .into_iter()
            .enumerate()
        {
            if k > 0 {
                self.text.push('-');
            }
            for place in (0..width).rev() {
                let digit = n / 10u32.pow(place) % 10;
                self.text.push(char::from(b'0' + digit as u8));
            }
        }
        self.ends.push(self.text.len());
    }

    /// Appends `x` with `digits` decimals: the text of `{:.N}`, without `core::fmt`'s
    /// float formatting where integer arithmetic decides it (`io::fixed`).
    pub fn push_fixed(&mut self, x: f64, digits: usize) {
        super::fixed::push_fixed(&mut self.text, x, digits);
        self.ends.push(self.text.len());
    }

    /// Appends `n` empty cells.
    pub fn push_empty(&mut self, n: usize) {
        self.ends.extend(std::iter::repeat_n(self.text.len(), n));
    }

    /// The cells, in order.
    pub fn cells(&self) -> impl Iterator<Item = &str> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(&self.ends)
            .map(|(a, &b)| self.text.get(a..b).unwrap_or_default())
    }

    /// The cells as owned strings, pushed onto `out` ([`Tabular::row`] of a table that
    /// implements [`Tabular::row_text`]).
    pub fn into_cells(self, out: &mut Vec<String>) {
        out.extend(self.cells().map(str::to_string));
    }

    /// Empties the row, keeping its buffers.
    fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
    }
}

/// The file format of an output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// CSV that starts with a UTF-8 byte-order mark, so Excel (on any Windows locale)
    /// opens it as UTF-8; formula cells are escaped as in every CSV.
    ExcelCsv,
    /// A JSON array of objects keyed by column name.
    Json,
}

/// The UTF-8 byte-order mark `EF BB BF` that Excel looks for; readers skip it.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Where a result goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Standard output (`-`), as CSV.
    Stdout,
    /// A file, written atomically.
    File {
        /// The target path.
        path: PathBuf,
        /// From the extension.
        format: Format,
    },
}

impl Output {
    /// Parses an `--out` argument: `-` is standard output; otherwise the format
    /// follows the extension (`.csv`, `.json`; anything else is an error), and the path
    /// must not be one of `inputs` (compared after resolving links and `..`) nor a
    /// folder. `option` names the argument in errors.
    pub fn parse(option: &str, arg: &Path, inputs: &[PathBuf]) -> Result<Output> {
        if arg.as_os_str() == "-" {
            return Ok(Output::Stdout);
        }
        let ext = arg
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        let format = match ext.as_deref() {
            Some("csv") => Format::Csv,
            Some("json") => Format::Json,
            other => {
                return Err(Error::argument(
                    option,
                    format!(
                        "{}: unknown output format {}; use a .csv or .json file, or - for standard output",
                        arg.display(),
                        other.map_or("(no extension)".to_string(), |e| format!("'.{e}'"))
                    ),
                ))
            }
        };
        check_target(option, arg, inputs)?;
        Ok(Output::File {
            path: arg.to_path_buf(),
            format,
        })
    }

    /// The same output, for Excel when `excel` is set: a `.csv` file gets a UTF-8
    /// byte-order mark ([`Format::ExcelCsv`]). JSON and standard output (a pipe for
    /// other tools) are unchanged.
    pub fn for_excel(self, excel: bool) -> Output {
        match self {
            Output::File {
                path,
                format: Format::Csv,
            } if excel => Output::File {
                path,
                format: Format::ExcelCsv,
            },
            other => other,
        }
    }

    /// The name used in messages (`standard output` or the path).
    pub fn name(&self) -> String {
        match self {
            Output::Stdout => "standard output".into(),
            Output::File { path, .. } => path.display().to_string(),
        }
    }

    /// Writes `table` in this output's format.
    pub fn write_table(&self, table: &dyn Tabular) -> Result<()> {
        let format = match self {
            Output::Stdout => Format::Csv,
            Output::File { format, .. } => *format,
        };
        self.write_with(|w| match format {
            Format::Csv => table_csv(table, w),
            Format::ExcelCsv => {
                w.write_all(UTF8_BOM)?;
                table_csv(table, w)
            }
            Format::Json => table_json(table, w),
        })
    }

    /// Writes bytes produced by `f` (atomically for a file).
    pub fn write_with(&self, f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
        match self {
            Output::Stdout => {
                let out = std::io::stdout();
                let mut w = std::io::BufWriter::new(out.lock());
                f(&mut w)
                    .and_then(|()| w.flush())
                    .map_err(|source| write_error("standard output", source))
            }
            Output::File { path, .. } => write_atomic(path, f),
        }
    }
}

/// Checks an output file path before any work: not a folder, and not one of `inputs`
/// (compared after resolving links and `..`). `option` names the argument in errors.
pub fn check_target(option: &str, arg: &Path, inputs: &[PathBuf]) -> Result<()> {
    if arg.is_dir() {
        return Err(Error::argument(
            option,
            format!("{} is a folder, not a file", arg.display()),
        ));
    }
    if let Ok(target) = arg.canonicalize() {
        for input in inputs {
            if input.canonicalize().is_ok_and(|i| i == target) {
                return Err(Error::argument(
                    option,
                    format!(
                        "{} is one of the input files; writing it would destroy the input",
                        arg.display()
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn write_error(path: &str, source: std::io::Error) -> Error {
    Error::Write {
        path: path.to_string(),
        source,
    }
}

/// Writes `path` atomically: a temporary file in the same folder, flushed and synced,
/// then renamed over `path`. On any error the temporary file is removed and `path` is
/// left as it was.
pub fn write_atomic(
    path: &Path,
    f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let err = |source| write_error(&path.display().to_string(), source);
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let tmp = tempfile::Builder::new()
        .prefix(".servnet-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(err)?;
    let mut w = std::io::BufWriter::new(tmp);
    f(&mut w).map_err(err)?;
    let tmp = w.into_inner().map_err(|e| err(e.into_error()))?;
    tmp.as_file().sync_all().map_err(err)?;
    // A temporary file is private (0600): give the result the target's permissions, or
    // the usual ones of a new file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).map_or(0o644, |m| m.permissions().mode());
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(err)?;
    }
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}

/// A text cell made safe for spreadsheets: a leading `=`, `+`, `-` or `@` would start a
/// formula, so such text gets a leading `'` (ids cannot start so; names can).
fn text_cell(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

fn csv_io(e: csv::Error) -> std::io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => std::io::Error::other(format!("{other:?}")),
    }
}

/// Rows [`table_csv`] formats per task: a bigger table's rows are formatted on every
/// core, a block per task, and written in order.
const CSV_BLOCK: usize = 2048;

/// Blocks formatted before they are written: a big table's text is never all in memory.
const CSV_WINDOW: usize = 32;

/// Writes `table` as CSV (header row, then one row per record) through the csv crate.
pub fn table_csv(table: &dyn Tabular, w: &mut dyn Write) -> std::io::Result<()> {
    use rayon::prelude::*;
    let cols = table.columns();
    let mut out = CsvRows::new(cols, w)?;
    let n = table.len();
    if n <= CSV_BLOCK {
        out.write(table)?;
        return out.finish();
    }
    out.finish()?;
    let blocks: Vec<usize> = (0..n).step_by(CSV_BLOCK).collect();
    for window in blocks.chunks(CSV_WINDOW) {
        let text = window
            .par_iter()
            .map(|&start| {
                let mut block = csv::Writer::from_writer(Vec::new());
                let rows = start..n.min(start + CSV_BLOCK);
                write_rows(&mut block, cols, table, rows, &mut RowText::default())?;
                block.into_inner().map_err(|e| e.into_error())
            })
            .collect::<std::io::Result<Vec<_>>>()?;
        for block in text {
            w.write_all(&block)?;
        }
    }
    Ok(())
}

/// Writes rows `rows` of `table` (columns `cols`) to `out`, through `row`'s buffer.
fn write_rows<W: Write>(
    out: &mut csv::Writer<W>,
    cols: &[Column],
    table: &dyn Tabular,
    rows: std::ops::Range<usize>,
    row: &mut RowText,
) -> std::io::Result<()> {
    for i in rows {
        row.clear();
        table.row_text(i, row);
        // A field at a time (no owned copy of each cell), then the terminator.
        for (cell, col) in row.cells().zip(cols) {
            let cell = match col.kind {
                CellKind::Text => text_cell(cell),
                _ => cell.into(),
            };
            out.write_field(cell.as_bytes()).map_err(csv_io)?;
        }
        out.write_record(None::<&[u8]>).map_err(csv_io)?;
    }
    Ok(())
}

/// A CSV writer fed a table's rows as they come (the header first): `servnet dispatch`
/// writes each outcome when it is known instead of holding them all.
pub struct CsvRows<'w> {
    out: csv::Writer<&'w mut dyn Write>,
    cols: &'static [Column],
    row: RowText,
}

impl<'w> CsvRows<'w> {
    /// Writes the header of `cols` to `w`.
    pub fn new(cols: &'static [Column], w: &'w mut dyn Write) -> std::io::Result<Self> {
        let mut out = csv::Writer::from_writer(w);
        out.write_record(cols.iter().map(|c| c.name))
            .map_err(csv_io)?;
        Ok(CsvRows {
            out,
            cols,
            row: RowText::default(),
        })
    }

    /// Writes every row of `table` (whose columns must be this writer's).
    pub fn write(&mut self, table: &dyn Tabular) -> std::io::Result<()> {
        write_rows(
            &mut self.out,
            self.cols,
            table,
            0..table.len(),
            &mut self.row,
        )
    }

    /// Flushes what is buffered.
    pub fn finish(mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// Writes `table` as a JSON array of objects, cells typed by their column.
pub fn table_json(table: &dyn Tabular, w: &mut dyn Write) -> std::io::Result<()> {
    use serde_json::Value;
    let cols = table.columns();
    w.write_all(b"[")?;
    let mut row = Vec::with_capacity(cols.len());
    for i in 0..table.len() {
        row.clear();
        table.row(i, &mut row);
        let mut obj = serde_json::Map::new();
        for (cell, col) in row.iter().zip(cols) {
            let v = match col.kind {
                _ if cell.is_empty() && col.kind != CellKind::Text => Value::Null,
                CellKind::Text => Value::String(cell.clone()),
                CellKind::Number => cell
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(Value::Null, Value::Number),
                CellKind::Bool => Value::Bool(cell == "true"),
            };
            obj.insert(col.name.to_string(), v);
        }
        if i > 0 {
            w.write_all(b",")?;
        }
        w.write_all(b"\n")?;
        serde_json::to_writer(&mut *w, &obj).map_err(std::io::Error::other)?;
    }
    w.write_all(b"\n]\n")
}

/// `table` as CSV text (e.g. for Python's `sites_csv()`).
pub fn table_csv_string(table: &dyn Tabular) -> Result<String> {
    let mut buf = Vec::new();
    table_csv(table, &mut buf).map_err(|e| write_error("memory", e))?;
    String::from_utf8(buf).map_err(|e| write_error("memory", std::io::Error::other(e)))
}

/// Writes `text` to `out` (JSON documents, reports).
pub fn write_text(out: &Output, text: &str) -> Result<()> {
    out.write_with(|w| w.write_all(text.as_bytes()))
}

/// The files of a data folder that the readers read (those that exist): an output must
/// not replace one of them.
pub fn data_files(dir: &Path) -> Vec<PathBuf> {
    let stems = [
        "regions",
        "outlets",
        "outlet_skills",
        "tickets",
        "products",
        "repair_rates",
        "installed_base",
        "sales_plan",
        "seasonality",
        "retirement",
        "service_rates",
        "repair_history",
        "network",
        "fee_schedule",
    ];
    stems
        .iter()
        .flat_map(|s| ["csv", "json"].map(|e| dir.join(format!("{s}.{e}"))))
        .chain(["regions.geojson", "outlet_areas.geojson"].map(|f| dir.join(f)))
        .filter(|p| p.exists())
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_and_dates_are_their_display_text() {
        let mut row = RowText::default();
        let ints = [0u64, 7, 10, 99, 12_345, u64::MAX];
        for n in ints {
            row.push_int(n);
        }
        let dates: Vec<chrono::NaiveDate> = [(0, 1, 1), (7, 2, 3), (999, 12, 31), (2026, 11, 23)]
            .into_iter()
            .chain([(9999, 12, 31), (10_000, 1, 1), (-1, 6, 15), (-44, 3, 15)])
            .map(|(y, m, d)| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap())
            .collect();
        for &d in &dates {
            row.push_date(d);
        }
        let want: Vec<String> = ints
            .iter()
            .map(u64::to_string)
            .chain(dates.iter().map(chrono::NaiveDate::to_string))
            .collect();
        assert_eq!(row.cells().collect::<Vec<_>>(), want);
    }

    #[test]
    fn a_write_that_fails_midway_keeps_the_old_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        std::fs::write(&path, "old\n").unwrap();
        let r = write_atomic(&path, |w| {
            w.write_all(b"new, partial")?;
            Err(std::io::Error::other("disk full"))
        });
        assert!(matches!(r, Err(Error::Write { .. })), "{r:?}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old\n");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file left behind");
        write_atomic(&path, |w| w.write_all(b"new\n")).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new\n");
    }

    #[test]
    fn text_cells_that_look_like_formulas_are_defused_and_numbers_kept() {
        struct T;
        const COLS: &[Column] = &[Column::text("name"), Column::number("x")];
        impl Tabular for T {
            fn columns(&self) -> &'static [Column] {
                COLS
            }
            fn len(&self) -> usize {
                1
            }
            fn row(&self, _: usize, out: &mut Vec<String>) {
                out.extend(["=cmd|' /C calc'!A0".to_string(), "-1.5".to_string()]);
            }
        }
        let s = table_csv_string(&T).unwrap();
        assert_eq!(s, "name,x\n'=cmd|' /C calc'!A0,-1.5\n");
    }

    #[test]
    fn a_table_formatted_on_every_core_is_the_same_text_as_row_by_row() {
        // Blocks of CSV_BLOCK rows, a window at a time: more than one window, a last
        // block that is short, cells that need quoting or defusing.
        struct T(usize);
        const COLS: &[Column] = &[Column::text("name"), Column::number("x")];
        impl Tabular for T {
            fn columns(&self) -> &'static [Column] {
                COLS
            }
            fn len(&self) -> usize {
                self.0
            }
            fn row(&self, i: usize, out: &mut Vec<String>) {
                let name = match i % 4 {
                    0 => format!("a,{i}"),
                    1 => format!("-{i}"),
                    2 => format!("say \"{i}\""),
                    _ => String::new(),
                };
                out.extend([name, format!("{:.3}", i as f64 / 7.0)]);
            }
        }
        for n in [
            0,
            1,
            CSV_BLOCK,
            CSV_BLOCK + 1,
            CSV_BLOCK * (CSV_WINDOW + 1) + 17,
        ] {
            let t = T(n);
            let mut serial = Vec::new();
            let mut rows = CsvRows::new(COLS, &mut serial).unwrap();
            rows.write(&t).unwrap();
            rows.finish().unwrap();
            let mut blocks = Vec::new();
            table_csv(&t, &mut blocks).unwrap();
            assert_eq!(blocks, serial, "{n} rows");
        }
    }
}
