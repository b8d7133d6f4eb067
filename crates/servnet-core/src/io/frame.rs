//! Typed columns of a data frame handed over in memory (a pandas DataFrame from Python),
//! read by the same readers and checks as the CSV file of the same name, with no text
//! in between: numbers, flags and time stamps stay typed; text is dictionary-coded.
//!
//! Row `r` of a frame is reported as line `r + 2` of its `source` (the header being line
//! 1), so a caller maps problems back to rows exactly as for a file.

use super::table::{Problems, Row, Table};
use crate::error::Location;
use chrono::NaiveDateTime;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A code of [`FrameColumn::Text`] meaning "missing".
pub const MISSING_CODE: u32 = u32::MAX;

/// One column of a [`Frame`]; a cell past a column's end reads as missing.
#[derive(Debug, Clone, PartialEq)]
pub enum FrameColumn {
    /// Text, dictionary-coded: row `r` holds `values[codes[r]]`; [`MISSING_CODE`] (or any
    /// code past `values`) is missing. Cells are trimmed when read, as in files.
    Text {
        /// One code per row.
        codes: Vec<u32>,
        /// The distinct texts.
        values: Texts,
    },
    /// Floating-point numbers; NaN is missing (infinities are values, reported).
    Float(Vec<f64>),
    /// Whole numbers; `None` is missing.
    Int(Vec<Option<i64>>),
    /// Flags; `None` is missing.
    Bool(Vec<Option<bool>>),
    /// Time stamps; `None` is missing. `utc`: instants in UTC, put on the network's
    /// clock when read (as a file's `...Z` text); otherwise wall-clock times.
    Time {
        /// One time stamp per row.
        values: Vec<Option<NaiveDateTime>>,
        /// Whether the values are UTC instants.
        utc: bool,
    },
}

/// Texts stored end to end in one buffer (a column of 1M distinct ids takes their bytes
/// and 8 bytes each, where a `String` apiece took 24 bytes and a heap block).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Texts {
    data: String,
    /// Where each text ends in `data` (it starts where the previous one ends).
    ends: Vec<usize>,
}

impl Texts {
    /// Room for `n` texts of `bytes` bytes in all.
    pub fn with_capacity(n: usize, bytes: usize) -> Self {
        Texts {
            data: String::with_capacity(bytes),
            ends: Vec::with_capacity(n),
        }
    }

    /// Appends `text`; it is number `len()` before the call.
    pub fn push(&mut self, text: &str) {
        self.data.push_str(text);
        self.ends.push(self.data.len());
    }

    /// Text `k`, if there is one.
    pub fn get(&self, k: usize) -> Option<&str> {
        let end = *self.ends.get(k)?;
        let start = match k {
            0 => 0,
            _ => self.ends[k - 1],
        };
        self.data.get(start..end)
    }

    /// The number of texts.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The texts in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).filter_map(|k| self.get(k))
    }
}

impl<S: AsRef<str>> FromIterator<S> for Texts {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let mut t = Texts::default();
        for s in iter {
            t.push(s.as_ref());
        }
        t
    }
}

/// A data frame's columns by name, standing for the CSV file `source` (e.g.
/// `tickets.csv`).
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// The file name the readers report problems in, e.g. `outlets.csv`.
    pub source: String,
    /// The columns in the frame's order (names as in the file's header).
    pub columns: Vec<(String, FrameColumn)>,
    /// The number of rows.
    pub rows: usize,
}

/// One typed cell, borrowed from a frame or a file's text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Cell<'a> {
    /// No value (an empty CSV cell, NaN, None, NaT).
    Missing,
    /// Text as written (trimmed).
    Text(&'a str),
    /// A float.
    Float(f64),
    /// A whole number.
    Int(i64),
    /// A flag.
    Bool(bool),
    /// A time stamp; `true`: a UTC instant.
    Time(NaiveDateTime, bool),
}

impl Cell<'_> {
    /// The cell as a CSV file would hold it (`""` when missing).
    pub(crate) fn text(self) -> Cow<'static, str> {
        match self {
            Cell::Missing => Cow::Borrowed(""),
            Cell::Text(s) => Cow::Owned(s.to_string()),
            Cell::Float(x) => Cow::Owned(x.to_string()),
            Cell::Int(i) => Cow::Owned(i.to_string()),
            Cell::Bool(b) => Cow::Borrowed(if b { "true" } else { "false" }),
            Cell::Time(t, utc) => {
                let mut s = t.format("%Y-%m-%dT%H:%M:%S").to_string();
                if utc {
                    s.push('Z');
                }
                Cow::Owned(s)
            }
        }
    }
}

impl FrameColumn {
    /// Row `r`'s cell.
    pub(crate) fn cell(&self, r: usize) -> Cell<'_> {
        match self {
            FrameColumn::Text { codes, values } => {
                match codes
                    .get(r)
                    .and_then(|&c| values.get(c as usize))
                    .map(|s| s.trim())
                {
                    Some(s) if !s.is_empty() => Cell::Text(s),
                    _ => Cell::Missing,
                }
            }
            FrameColumn::Float(v) => match v.get(r) {
                Some(x) if !x.is_nan() => Cell::Float(*x),
                _ => Cell::Missing,
            },
            FrameColumn::Int(v) => v.get(r).copied().flatten().map_or(Cell::Missing, Cell::Int),
            FrameColumn::Bool(v) => v
                .get(r)
                .copied()
                .flatten()
                .map_or(Cell::Missing, Cell::Bool),
            FrameColumn::Time { values, utc } => values
                .get(r)
                .copied()
                .flatten()
                .map_or(Cell::Missing, |t| Cell::Time(t, *utc)),
        }
    }
}

impl FrameColumn {
    /// Row `r`'s cell as the readers see its text (trimmed; `""` when missing): a
    /// ticket's id is `frame.column("id")`'s text of its row.
    pub fn text(&self, r: usize) -> Cow<'_, str> {
        match self.cell(r) {
            Cell::Text(s) => Cow::Borrowed(s),
            other => other.text(),
        }
    }
}

impl Frame {
    /// The column named `name`, if any.
    pub fn column(&self, name: &str) -> Option<&FrameColumn> {
        self.columns.iter().find(|(n, _)| n == name).map(|(_, c)| c)
    }
}

/// The table of `frame`'s rows `rows` (positions in the frame, in the order given);
/// duplicate column names are reported.
pub(crate) fn frame_table(frame: &Arc<Frame>, rows: &[usize], problems: &mut Problems) -> Table {
    let mut columns = BTreeMap::new();
    for (i, (name, _)) in frame.columns.iter().enumerate() {
        let name = name.trim().to_string();
        if columns.insert(name.clone(), i).is_some() {
            problems.add(
                Location {
                    source: frame.source.clone(),
                    line: Some(1),
                    record: None,
                    field: Some(name.clone()),
                },
                format!("column '{name}' appears twice in the header"),
            );
        }
    }
    let rows = rows
        .iter()
        .filter(|&&r| r < frame.rows)
        .map(|&r| Row::new(Some(r as u64 + 2), r, [""; 0]))
        .collect();
    Table::from_frame(frame.clone(), columns, rows)
}

/// Where a reader finds its tables: the files of a folder, or frames handed over in
/// memory (each standing for the file its `source` names, e.g. `products.csv`).
#[derive(Clone, Copy)]
pub(crate) enum Tables<'a> {
    /// `<dir>/<stem>.csv` (or `.json`).
    Dir(&'a std::path::Path),
    /// The frame whose source is `<stem>.csv` (the last of several).
    Frames(&'a [Arc<Frame>]),
}

impl Tables<'_> {
    /// The table `stem` (e.g. `products`), if there is one.
    pub(crate) fn find(&self, stem: &str, problems: &mut Problems) -> crate::Result<Option<Table>> {
        match self {
            Tables::Dir(dir) => Table::find(dir, stem, problems),
            Tables::Frames(frames) => {
                let file = format!("{stem}.csv");
                Ok(frames.iter().rev().find(|f| f.source == file).map(|f| {
                    let rows: Vec<usize> = (0..f.rows).collect();
                    frame_table(f, &rows, problems)
                }))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::{read_network, read_tickets, tickets_from_frame};
    use crate::testing::fixture_dir;
    use crate::Error;

    /// The fixture's tickets.csv as a frame: every column as text, or (`typed`) lon/lat
    /// as floats, units as whole numbers and the times as time stamps.
    fn frame(typed: bool) -> Frame {
        let path = fixture_dir("valid").join("tickets.csv");
        let mut r = csv::Reader::from_path(path).unwrap();
        let names: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
        let rows: Vec<Vec<String>> = r
            .records()
            .map(|x| x.unwrap().iter().map(str::to_string).collect())
            .collect();
        let columns = names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let cells = rows.iter().map(|row| row[i].clone());
                let col = match name.as_str() {
                    "lon" | "lat" if typed => {
                        FrameColumn::Float(cells.map(|c| c.parse().unwrap()).collect())
                    }
                    "units" if typed => FrameColumn::Int(cells.map(|c| c.parse().ok()).collect()),
                    "created_at" | "due_by" if typed => FrameColumn::Time {
                        values: cells.map(|c| crate::io::parse_time(&c)).collect(),
                        utc: false,
                    },
                    _ => {
                        let values: Texts = cells.collect();
                        FrameColumn::Text {
                            codes: (0..values.len() as u32).collect(),
                            values,
                        }
                    }
                };
                (name.clone(), col)
            })
            .collect();
        Frame {
            source: "tickets.csv".into(),
            columns,
            rows: rows.len(),
        }
    }

    fn tickets(f: Frame, chunk: usize) -> crate::Result<Vec<crate::model::Ticket>> {
        let net = read_network(&fixture_dir("valid")).unwrap();
        let mut out = Vec::new();
        tickets_from_frame(&Arc::new(f), &net, chunk, &mut |c| {
            out.extend(c.into_iter().map(|(_, t)| t))
        })?;
        Ok(out)
    }

    #[test]
    fn a_frame_of_text_or_typed_columns_reads_as_the_file_in_any_chunk_size() {
        let net = read_network(&fixture_dir("valid")).unwrap();
        let file = read_tickets(&fixture_dir("valid").join("tickets.csv"), &net).unwrap();
        for typed in [false, true] {
            for chunk in [1, 3, 1000] {
                assert_eq!(
                    tickets(frame(typed), chunk).unwrap(),
                    file,
                    "{typed} {chunk}"
                );
            }
        }
    }

    #[test]
    fn problems_in_typed_cells_name_line_row_plus_two_and_the_column() {
        let mut f = frame(true);
        for (name, col) in &mut f.columns {
            match (name.as_str(), col) {
                ("units", FrameColumn::Int(v)) => v[0] = Some(0),
                ("lat", FrameColumn::Float(v)) => v[2] = f64::NAN,
                ("lon", FrameColumn::Float(v)) => v[3] = f64::INFINITY,
                ("due_by", FrameColumn::Time { values, .. }) => values[4] = None,
                _ => {}
            }
        }
        let Err(Error::Invalid(issues)) = tickets(f, 2) else {
            panic!("expected problems")
        };
        let got: Vec<(Option<u64>, Option<&str>)> = issues
            .iter()
            .map(|i| (i.at.line, i.at.field.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                (Some(2), Some("units")),
                (Some(4), Some("lat")),
                (Some(5), Some("lon")),
                (Some(6), Some("due_by"))
            ]
        );
        assert!(issues[2].message.contains("inf"), "{}", issues[2].message);
    }

    #[test]
    fn a_fractional_float_in_a_whole_number_column_is_reported_with_its_value() {
        let mut f = frame(true);
        for (name, col) in &mut f.columns {
            if name == "units" {
                *col = FrameColumn::Float(vec![2.0, 1.5]);
            }
        }
        let Err(Error::Invalid(issues)) = tickets(f, 1000) else {
            panic!("expected problems")
        };
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].at.line, Some(3));
        assert!(issues[0].message.contains("'1.5'"), "{}", issues[0].message);
    }
}
