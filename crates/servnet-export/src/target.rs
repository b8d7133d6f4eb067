//! Where an `--out` argument sends a table: a format by the file's extension.

use servnet_core::io::{check_target, Output};
use servnet_core::{Error, Result};
use std::path::{Path, PathBuf};

/// The formats this crate writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    /// `.parquet`: Parquet; GeoParquet when the table has locations.
    Parquet,
    /// `.geoparquet`: GeoParquet (the table must have locations).
    GeoParquet,
    /// `.geojson`: an RFC 7946 FeatureCollection (the table must have locations).
    GeoJson,
}

/// Where a table goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// CSV, JSON or standard output: written by `servnet_core::io`.
    Core(Output),
    /// A Parquet, GeoParquet or GeoJSON file, written atomically.
    File {
        /// The target path.
        path: PathBuf,
        /// From the extension.
        format: TableFormat,
    },
}

/// The extensions `--out` accepts, for messages.
pub const SUPPORTED: &str =
    ".csv, .json, .parquet, .geoparquet or .geojson, or - for standard output";

impl Target {
    /// Parses an `--out` argument: `-` is standard output; `.csv` / `.json` as in
    /// [`Output::parse`]; `.parquet`, `.geoparquet`, `.geojson` here; anything else is
    /// an error naming `option` and the supported list. The path must not be a folder
    /// nor one of `inputs`. `excel` gives a `.csv` a byte-order mark.
    pub fn parse(option: &str, arg: &Path, inputs: &[PathBuf], excel: bool) -> Result<Target> {
        if arg.as_os_str() == "-" {
            return Ok(Target::Core(Output::Stdout));
        }
        let ext = arg
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        let format = match ext.as_deref() {
            Some("csv" | "json") => {
                return Ok(Target::Core(
                    Output::parse(option, arg, inputs)?.for_excel(excel),
                ))
            }
            Some("parquet") => TableFormat::Parquet,
            Some("geoparquet") => TableFormat::GeoParquet,
            Some("geojson") => TableFormat::GeoJson,
            other => {
                return Err(Error::argument(
                    option,
                    format!(
                        "{}: unknown output format {}; use a {SUPPORTED}",
                        arg.display(),
                        other.map_or("(no extension)".to_string(), |e| format!("'.{e}'"))
                    ),
                ))
            }
        };
        check_target(option, arg, inputs)?;
        Ok(Target::File {
            path: arg.to_path_buf(),
            format,
        })
    }

    /// This target for a table without locations: GeoParquet and GeoJSON are refused
    /// (naming `option`), before any work.
    pub fn without_locations(self, option: &str) -> Result<Target> {
        match &self {
            Target::File {
                path,
                format: TableFormat::GeoParquet | TableFormat::GeoJson,
            } => Err(Error::argument(
                option,
                format!(
                    "{}: this table has no locations; write it as .csv, .json or .parquet",
                    path.display()
                ),
            )),
            _ => Ok(self),
        }
    }

    /// The name used in messages (`standard output` or the path).
    pub fn name(&self) -> String {
        match self {
            Target::Core(out) => out.name(),
            Target::File { path, .. } => path.display().to_string(),
        }
    }

    /// The CSV / JSON output, if this is one (the streamed dispatch writes CSV itself).
    pub fn core(&self) -> Option<&Output> {
        match self {
            Target::Core(out) => Some(out),
            Target::File { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_pick_the_format_and_an_unknown_one_names_the_flag_and_the_list() {
        let t = |s: &str| Target::parse("out", Path::new(s), &[], false);
        assert!(matches!(t("a.csv"), Ok(Target::Core(Output::File { .. }))));
        assert!(matches!(t("-"), Ok(Target::Core(Output::Stdout))));
        for (f, want) in [
            ("a.parquet", TableFormat::Parquet),
            ("a.GeoParquet", TableFormat::GeoParquet),
            ("a.geojson", TableFormat::GeoJson),
        ] {
            assert!(matches!(t(f), Ok(Target::File { format, .. }) if format == want));
        }
        let e = t("a.xlsx").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("'out'") && e.contains("'.xlsx'"), "{e}");
        assert!(
            e.contains(".parquet") && e.contains(".geojson") && e.contains(".geoparquet"),
            "{e}"
        );
    }
}
