//! A [`Tabular`]'s text cells as typed columns: numbers parsed once, empty cells null.

use servnet_core::io::{CellKind, Tabular};
use servnet_core::{Error, Result};

/// One typed column.
pub enum Values {
    /// Text (an empty cell is null).
    Text(Vec<Option<String>>),
    /// Numbers (an empty cell is null).
    Number(Vec<Option<f64>>),
    /// Booleans (an empty cell is null).
    Bool(Vec<Option<bool>>),
}

/// A table's columns, typed, in order, with their names.
pub struct Typed {
    /// (name, values).
    pub columns: Vec<(&'static str, Values)>,
}

impl Typed {
    /// Reads every row of `table`; a number or boolean cell that does not parse is an
    /// error naming its row and column.
    pub fn of(table: &dyn Tabular) -> Result<Typed> {
        let cols = table.columns();
        let n = table.len();
        let mut columns: Vec<(&'static str, Values)> = cols
            .iter()
            .map(|c| {
                let v = match c.kind {
                    CellKind::Text => Values::Text(Vec::with_capacity(n)),
                    CellKind::Number => Values::Number(Vec::with_capacity(n)),
                    CellKind::Bool => Values::Bool(Vec::with_capacity(n)),
                };
                (c.name, v)
            })
            .collect();
        let mut row = Vec::with_capacity(cols.len());
        for i in 0..n {
            row.clear();
            table.row(i, &mut row);
            for (k, (name, values)) in columns.iter_mut().enumerate() {
                let cell = row.get_mut(k).map(std::mem::take).unwrap_or_default();
                let bad = |what: &str| {
                    Error::argument(
                        "out",
                        format!("row {} column '{name}': '{cell}' is not {what}", i + 1),
                    )
                };
                match values {
                    Values::Text(v) => v.push((!cell.is_empty()).then_some(cell)),
                    Values::Number(v) if cell.is_empty() => v.push(None),
                    Values::Number(v) => v.push(Some(cell.parse().map_err(|_| bad("a number"))?)),
                    Values::Bool(v) => v.push(match cell.as_str() {
                        "" => None,
                        "true" => Some(true),
                        "false" => Some(false),
                        _ => return Err(bad("true or false")),
                    }),
                }
            }
        }
        Ok(Typed { columns })
    }

    /// Row `i`'s cells as JSON values (GeoJSON properties).
    pub fn json_row(&self, i: usize) -> serde_json::Map<String, serde_json::Value> {
        use serde_json::Value;
        self.columns
            .iter()
            .map(|(name, values)| {
                let v = match values {
                    Values::Text(v) => v
                        .get(i)
                        .and_then(|c| c.clone())
                        .map_or(Value::Null, Value::String),
                    Values::Number(v) => v
                        .get(i)
                        .copied()
                        .flatten()
                        .and_then(serde_json::Number::from_f64)
                        .map_or(Value::Null, Value::Number),
                    Values::Bool(v) => v.get(i).copied().flatten().map_or(Value::Null, Value::Bool),
                };
                (name.to_string(), v)
            })
            .collect()
    }
}
