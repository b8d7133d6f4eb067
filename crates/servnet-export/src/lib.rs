//! servnet's result tables as Parquet, GeoParquet and GeoJSON files: the CLI's `--out`
//! picks the format by the file's extension.
//!
//! A result describes itself as a [`Tabular`] (text cells typed by [`CellKind`]); this
//! crate types its columns (text: UTF-8, numbers: float64, booleans; an empty cell is
//! null) and, when the caller says where its rows are ([`Locations`]), adds a geometry:
//! a point per row from two columns (plan sites, demand cells) or a line from a ticket to
//! the outlet that takes it (dispatch, assign), in EPSG:4326 (lon, lat degrees).
//!
//! - `.parquet`: Apache Parquet (snappy); with locations it is GeoParquet (below).
//! - `.geoparquet`: GeoParquet 1.1.0: a WKB `geometry` column and the `geo` key in the
//!   file metadata (`primary_column`, `encoding` WKB, `geometry_types`, `crs` as the
//!   PROJJSON of EPSG:4326, `bbox`); refused for a table without locations.
//! - `.geojson`: an RFC 7946 FeatureCollection, one feature per row, cells as typed
//!   properties, the first column as the feature id; refused without locations.
//!
//! CSV and JSON stay with [`servnet_core::io::Output`]; [`Target::parse`] routes an
//! `--out` argument to one or the other, and names the supported list on an unknown
//! extension. Files are written atomically like every servnet output.

mod columns;
mod geojson_out;
mod geometry;
mod parquet_out;
mod target;

pub use geometry::{Locations, Places};
pub use target::{TableFormat, Target};

use servnet_core::io::Tabular;
use servnet_core::Result;

#[cfg(doc)]
use servnet_core::io::CellKind;

/// Writes `table` to `target` (CSV / JSON through `servnet_core::io`, the rest here);
/// `locations` says where its rows are (ignored by CSV and JSON, which keep their
/// columns as they are).
pub fn write(
    target: &Target,
    table: &dyn Tabular,
    locations: Option<&Locations<'_>>,
) -> Result<()> {
    match target {
        Target::Core(out) => out.write_table(table),
        Target::File { path, format } => {
            let bytes = match format {
                TableFormat::Parquet => parquet_out::to_bytes(table, locations, false)?,
                TableFormat::GeoParquet => parquet_out::to_bytes(table, locations, true)?,
                TableFormat::GeoJson => geojson_out::to_bytes(table, locations)?,
            };
            servnet_core::io::write_atomic(path, |w| w.write_all(&bytes))
        }
    }
}

#[cfg(test)]
mod tests;
