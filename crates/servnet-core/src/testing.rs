//! Helpers shared by servnet's tests (integration tests, the CLI tests, benchmarks): where
//! the repository's data folders are, and staging a bad-input fixture. Not part of the API.
//!
//! A fixture `data/fixtures/<defect>/` holds only the files that differ from
//! `data/fixtures/valid/`; [`stage`] copies `valid/` and lays the defects over it.

use crate::{Error, Issue};
use std::io;
use std::path::{Path, PathBuf};

/// The repository's `data/` folder.
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

/// The sample network, `data/sample/`.
pub fn sample_dir() -> PathBuf {
    data_dir().join("sample")
}

/// `data/fixtures/<name>/`.
pub fn fixture_dir(name: &str) -> PathBuf {
    data_dir().join("fixtures").join(name)
}

/// Copies every file (not folders) of `from` into `to`, replacing files of the same name.
pub fn copy_files(from: &Path, to: &Path) -> io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name()))?;
        }
    }
    Ok(())
}

/// Fills `into` with the valid fixture, then the files of each named defect fixture.
pub fn stage(defects: &[&str], into: &Path) -> io::Result<()> {
    copy_files(&fixture_dir("valid"), into)?;
    for d in defects {
        copy_files(&fixture_dir(d), into)?;
    }
    Ok(())
}

/// The issues of an `Invalid` error, empty for `Ok` or any other error.
pub fn issues<T>(result: &Result<T, Error>) -> Vec<Issue> {
    match result {
        Err(e) => e.issues().to_vec(),
        Ok(_) => Vec::new(),
    }
}
