//! Progress bars for the long solves (`assign`, `plan`): an indicatif bar on stderr that
//! appears once a solve has run for a second, shows the elapsed time against the time
//! limit while it runs, and ends where the solve ended with its incumbent, bound and
//! gap. Nothing is drawn when stderr is not a terminal or with `--quiet`.
//!
//! While the solve runs, the bar shows the incumbent, bound and gap the solvers have
//! found so far (`servnet_core::Progress`: HiGHS' MIP callbacks, the heuristics' loops,
//! the frontier's current count).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use servnet_core::assign::SolveStatus;
use servnet_core::significant;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

static QUIET: AtomicBool = AtomicBool::new(false);

/// `--quiet`: no bars and no progress lines.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// Whether `--quiet` was given.
pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// Whether bars are drawn: stderr is a terminal and not `--quiet`.
pub fn bars() -> bool {
    !quiet() && std::io::stderr().is_terminal()
}

/// How a solve ended, for its bar's last line.
pub struct Figures {
    /// Objective of the answer.
    pub incumbent: f64,
    /// Best proven bound.
    pub bound: f64,
    /// Relative gap between them.
    pub gap: f64,
    /// Optimal, feasible (a limit stopped it), ...
    pub status: SolveStatus,
}

impl Figures {
    /// `incumbent 1.23e+06, bound 1.22e+06, gap 0.81%, optimal`.
    pub fn line(&self) -> String {
        let mut parts = Vec::new();
        if self.incumbent.is_finite() {
            parts.push(format!("incumbent {}", significant(self.incumbent)));
        }
        if self.bound.is_finite() {
            parts.push(format!("bound {}", significant(self.bound)));
        }
        if self.gap.is_finite() {
            parts.push(format!("gap {:.2}%", 100.0 * self.gap));
        }
        parts.push(self.status.as_str().to_string());
        parts.join(", ")
    }
}

/// Runs `f` (a solve of `what` with time limit `limit` seconds) under a bar when
/// [`bars`]; `figures` reads its answer for the last line.
pub fn solve<T>(
    what: &str,
    limit: Option<f64>,
    f: impl FnOnce() -> T,
    figures: impl Fn(&T) -> Option<Figures>,
) -> T {
    if !bars() {
        return f();
    }
    let tenths = limit.map(|l| (l.max(0.0) * 10.0).round() as u64);
    let bar = ProgressBar::with_draw_target(tenths, ProgressDrawTarget::hidden());
    let template = match limit {
        Some(l) => format!("{{prefix}}: {{elapsed_precise}} of {l} s limit [{{bar:30}}] {{msg}}"),
        None => "{spinner} {prefix}: {elapsed_precise} {msg}".to_string(),
    };
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(what.to_string());
    let progress = servnet_core::Progress::new();
    let started = Instant::now();
    let done = AtomicBool::new(false);
    let out = std::thread::scope(|s| {
        s.spawn(|| {
            let mut shown = false;
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(100));
                let secs = started.elapsed().as_secs_f64();
                if !shown && secs >= 1.0 {
                    bar.set_draw_target(ProgressDrawTarget::stderr());
                    shown = true;
                }
                bar.set_position((secs * 10.0) as u64);
                bar.set_message(progress.line().unwrap_or_else(|| "solving".into()));
            }
        });
        let out = servnet_core::observed(&progress, f);
        done.store(true, Ordering::Relaxed);
        out
    });
    if !bar.is_hidden() {
        // End where the solve ended, not at the limit.
        bar.set_position((started.elapsed().as_secs_f64() * 10.0) as u64);
        let msg = figures(&out)
            .map(|f| f.line())
            .unwrap_or_else(|| "failed".into());
        bar.abandon_with_message(msg);
        // The bar's line stays; what the command prints next starts on a new line.
        eprintln!();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_line_names_incumbent_bound_gap_and_status() {
        let f = Figures {
            incumbent: 1234567.891,
            bound: 1200000.0,
            gap: 0.0277,
            status: SolveStatus::Optimal,
        };
        let line = f.line();
        assert!(line.contains("incumbent 1234568"), "{line}");
        assert!(line.contains("bound 1200000"), "{line}");
        assert!(line.contains("gap 2.77%"), "{line}");
        let none = Figures {
            incumbent: f64::INFINITY,
            bound: f64::NEG_INFINITY,
            gap: f64::NAN,
            status: SolveStatus::TimeLimit,
        };
        assert!(!none.line().contains("incumbent"));
        assert_eq!(significant(0.012345678), "0.0123457");
    }

    #[test]
    fn no_bar_when_quiet_and_the_answer_passes_through() {
        set_quiet(true);
        assert!(!bars());
        assert_eq!(solve("x", Some(1.0), || 41 + 1, |_| None), 42);
        set_quiet(false);
    }
}
