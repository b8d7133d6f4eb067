//! CI's smoke-sized fuzz: every fuzz target's body (the same functions cargo-fuzz runs)
//! on every committed seed, on mutations of the seeds and on pseudo-random bytes, a
//! bounded count per target from a fixed seed (the same inputs in every run). A failing
//! input is shrunk and printed; save it under `fuzz/corpus/<target>/` as a regression
//! seed once fixed.
//!
//! `SERVNET_FUZZ_CASES` (default 2000) sets the count of mutated and of random inputs per
//! target; `SERVNET_FUZZ_SEED` (default 17) picks other inputs.

// Test helpers fail by panicking.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestError, TestRng, TestRunner};
use servnet_fuzz::{corpus_dir, join_files, Target, TARGETS};

/// Replacement values for one field of a seed: empty, signs, extremes, non-numbers,
/// overflowing integers, odd times and ids, JSON of the wrong type.
const INTERESTING: &[&str] = &[
    "",
    "0",
    "-0",
    "-1",
    "1",
    "0.5",
    "1e308",
    "-1e308",
    "1e-320",
    "NaN",
    "inf",
    "-inf",
    "255",
    "65536",
    "2147483647",
    "-2147483648",
    "4294967295",
    "4294967296",
    "18446744073709551616",
    "1e10",
    "99999999999999999999999",
    "9999",
    "2200",
    "1899",
    "2026",
    "null",
    "true",
    "[]",
    "{}",
    "\"\"",
    "\"x\"",
    "[1,2]",
    "\"2026-11-23\"",
    "2026-11-23T09:45:00+08:00",
    "2026-11-23T09:45:00Z",
    "2026-02-30T00:00:00",
    "9999-12-31T23:59:59-12:00",
    "0000-01-01T00:00:00",
    "=1+1",
    "@x",
    "a;b",
    "\"a,b\"",
    "\u{0}",
    "\u{feff}",
    "\u{1F600}",
    "R-A1",
    "O1",
    "AC-1",
    "air_conditioner",
    "repair",
    "install",
    "escalate",
    "weibull",
    "bathtub",
    "table",
    "Asia/Shanghai",
    "Mars/Olympus",
    "[[0,0],[1,1],[1,0],[0,1],[0,0]]",
    "[[170,0],[-170,0],[-170,1],[170,0]]",
];

/// Bytes that end a field: CSV and JSON punctuation, line ends and the file separator.
fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b',' | b':' | b'[' | b']' | b'{' | b'}' | b'\n' | b'\r' | 0xFF
    )
}

/// One edit of a seed. Positions are taken modulo the input's length.
#[derive(Debug, Clone)]
enum Edit {
    /// Replace the n-th field (bytes between delimiters) by an interesting value.
    Field(usize, usize),
    /// Flip one bit.
    Flip(usize, u8),
    /// Insert a byte.
    Insert(usize, u8),
    /// Delete up to len bytes.
    Delete(usize, usize),
    /// Repeat a stretch of up to len bytes, times times (long rows, many rows).
    Repeat(usize, usize, usize),
    /// Cut the input there (truncated files).
    Truncate(usize),
    /// Splice the start of another seed in.
    Splice(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => (any::<usize>(), 0..INTERESTING.len()).prop_map(|(n, v)| Edit::Field(n, v)),
        1 => (any::<usize>(), 0u8..8).prop_map(|(p, b)| Edit::Flip(p, b)),
        1 => (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Edit::Insert(p, b)),
        1 => (any::<usize>(), 1usize..64).prop_map(|(p, l)| Edit::Delete(p, l)),
        1 => (any::<usize>(), 1usize..200, 1usize..50)
            .prop_map(|(p, l, t)| Edit::Repeat(p, l, t)),
        1 => any::<usize>().prop_map(Edit::Truncate),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(s, p)| Edit::Splice(s, p)),
    ]
}

fn apply(seeds: &[Vec<u8>], mut x: Vec<u8>, e: &Edit) -> Vec<u8> {
    let at = |p: usize, len: usize| if len == 0 { 0 } else { p % (len + 1) };
    match *e {
        Edit::Field(n, v) => {
            let bounds: Vec<usize> = std::iter::once(0)
                .chain(
                    x.iter()
                        .enumerate()
                        .filter(|(_, b)| is_delimiter(**b))
                        .map(|(i, _)| i + 1),
                )
                .collect();
            let start = bounds[n % bounds.len()];
            let end = x[start..]
                .iter()
                .position(|b| is_delimiter(*b))
                .map_or(x.len(), |p| start + p);
            x.splice(start..end, INTERESTING[v].bytes());
        }
        Edit::Flip(p, b) => {
            if !x.is_empty() {
                let i = p % x.len();
                x[i] ^= 1 << b;
            }
        }
        Edit::Insert(p, b) => x.insert(at(p, x.len()), b),
        Edit::Delete(p, l) => {
            let s = at(p, x.len());
            let e = (s + l).min(x.len());
            x.drain(s..e);
        }
        Edit::Repeat(p, l, t) => {
            let s = at(p, x.len());
            let e = (s + l).min(x.len());
            let piece = x[s..e].to_vec();
            for _ in 0..t {
                x.splice(e..e, piece.iter().copied());
            }
        }
        Edit::Truncate(p) => x.truncate(at(p, x.len())),
        Edit::Splice(s, p) => {
            let other = &seeds[s % seeds.len()];
            let cut = at(p, other.len());
            let i = at(p, x.len());
            x.splice(i..i, other[..cut].iter().copied());
        }
    }
    x
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn runner(salt: u64) -> TestRunner {
    let cases = env_number("SERVNET_FUZZ_CASES", 2000) as u32;
    let seed = env_number("SERVNET_FUZZ_SEED", 17) ^ salt;
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 2000,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &key))
}

fn show(input: &[u8]) -> String {
    format!(
        "{} bytes, as text:\n{}\n",
        input.len(),
        String::from_utf8_lossy(input)
    )
}

fn expect_pass<T: std::fmt::Debug>(
    what: &str,
    target: &Target,
    r: Result<(), TestError<T>>,
    bytes: impl Fn(&T) -> Vec<u8>,
) {
    match r {
        Ok(()) => {}
        Err(TestError::Fail(reason, value)) => panic!(
            "{} on {what}: {reason}\nshrunk input {}",
            target.name,
            show(&bytes(&value))
        ),
        Err(TestError::Abort(reason)) => panic!("{} on {what}: aborted: {reason}", target.name),
    }
}

/// The committed seeds of a target, by file name (at least one).
fn seeds(target: &Target) -> Vec<(String, Vec<u8>)> {
    let dir = corpus_dir(target.name);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no seed in {}", dir.display());
    out
}

/// Every data/fixtures/<defect> folder laid over the valid fixture, as read_dir inputs.
fn fixture_inputs() -> Vec<(String, Vec<u8>)> {
    let root = servnet_core::testing::data_dir().join("fixtures");
    let mut names: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let dir = tempfile::tempdir().unwrap();
            servnet_core::testing::stage(&[&name], dir.path()).unwrap();
            (format!("fixture {name}"), join_files(dir.path()).unwrap())
        })
        .collect()
}

fn target(name: &str) -> &'static Target {
    TARGETS.iter().find(|t| t.name == name).unwrap()
}

/// Seeds, then mutated seeds, then random bytes through one target.
fn smoke(name: &str, extra: Vec<(String, Vec<u8>)>) {
    let t = target(name);
    let mut all = seeds(t);
    all.extend(extra);
    for (file, bytes) in &all {
        let r = std::panic::catch_unwind(|| (t.run)(bytes));
        assert!(r.is_ok(), "{name} fails on seed {file}: {}", show(bytes));
    }
    let inputs: Vec<Vec<u8>> = all.into_iter().map(|(_, b)| b).collect();
    let salt = name
        .bytes()
        .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(b.into()));
    let mutated = (0..inputs.len(), prop::collection::vec(edit(), 1..8));
    let build = |(i, edits): &(usize, Vec<Edit>)| {
        edits
            .iter()
            .fold(inputs[*i].clone(), |x, e| apply(&inputs, x, e))
    };
    let r = runner(salt).run(&mutated, |v| {
        (t.run)(&build(&v));
        Ok(())
    });
    expect_pass("a mutated seed", t, r, build);
    let random = prop::collection::vec(any::<u8>(), 0..4096);
    let r = runner(salt ^ 1).run(&random, |bytes| {
        (t.run)(&bytes);
        Ok(())
    });
    expect_pass("random bytes", t, r, |b: &Vec<u8>| b.clone());
}

#[test]
fn the_valid_fixture_reads_so_that_the_targets_test_something() {
    let d = servnet_core::io::read_dir(&servnet_core::testing::fixture_dir("valid")).unwrap();
    assert!(!d.tickets.is_empty() && !d.planning.products.is_empty());
    // The read_dir seed of the corpus is the valid fixture, so joined.
    let joined = join_files(&servnet_core::testing::fixture_dir("valid")).unwrap();
    let seed = std::fs::read(corpus_dir("read_dir").join("valid")).unwrap();
    assert_eq!(
        seed, joined,
        "fuzz/corpus/read_dir/valid is not the valid fixture"
    );
}

#[test]
fn read_dir_never_panics_on_seeds_fixtures_mutations_or_random_bytes() {
    smoke("read_dir", fixture_inputs());
}

#[test]
fn policy_json_gives_an_error_or_finite_scores() {
    smoke("policy_json", Vec::new());
}

#[test]
fn quota_json_gives_an_error_or_a_plan_within_every_quota() {
    smoke("quota_json", Vec::new());
}

#[test]
fn dispatcher_ops_keep_the_ledger_equal_to_the_bookings() {
    smoke("dispatcher_ops", Vec::new());
}

#[test]
fn a_seed_folder_round_trips_through_join_files() {
    // The input format the read_dir target documents: the parts, in FILES order.
    let dir = tempfile::tempdir().unwrap();
    servnet_core::testing::stage(&[], dir.path()).unwrap();
    let joined = join_files(dir.path()).unwrap();
    let parts: Vec<&[u8]> = joined.split(|&b| b == 0xFF).collect();
    for (name, part) in servnet_fuzz::FILES.iter().zip(&parts) {
        let on_disk = std::fs::read(dir.path().join(name)).unwrap_or_default();
        assert_eq!(&on_disk[..], *part, "{name}");
    }
}

#[test]
fn the_read_dir_seeds_are_folders_that_read_and_forecast() {
    // Seeds that fail to read would leave the reader's deeper paths to chance.
    for (name, bytes) in seeds(target("read_dir")) {
        let dir = tempfile::tempdir().unwrap();
        for (file, part) in servnet_fuzz::FILES.iter().zip(bytes.split(|&b| b == 0xFF)) {
            if !part.is_empty() {
                std::fs::write(dir.path().join(file), part).unwrap();
            }
        }
        let d = servnet_core::io::read_dir(dir.path())
            .unwrap_or_else(|e| panic!("seed {name} does not read: {e}"));
        let opts = servnet_core::plan::forecast::ForecastOptions::new(2026, 1);
        servnet_core::plan::forecast::forecast(&d.planning, &d.network, &opts)
            .unwrap_or_else(|e| panic!("seed {name} does not forecast 2026: {e}"));
    }
}
