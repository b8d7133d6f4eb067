//! The generalised assignment problem (GAP): jobs with agent-dependent weights and
//! costs, agents with capacities; minimise total cost with every job on exactly one
//! agent (or, if allowed, unassigned at a penalty).
//!
//! Two solvers share one result type, [`GapSolution`]:
//! * [`solve_mip`]: the exact binary program through HiGHS, with a time limit; it
//!   reports the best solution, HiGHS' dual (best) bound and the gap;
//! * [`solve_lagrangian`]: for sizes a MIP cannot take. Relaxing the assignment
//!   constraints with multipliers `lambda_j` leaves one 0/1 knapsack per agent (solved
//!   exactly by dynamic programming), a bound at least as strong as the LP relaxation.
//!   Subgradient steps improve the bound; each knapsack solution is repaired into a
//!   feasible assignment and improved by shift / swap / ejection moves.
//!
//! Maximisation problems (OR-Library gap1-12) are solved as [`GapInstance::negated`].

use std::time::Instant;

use crate::{Error, Location, Result};

/// One GAP instance, minimisation. Matrices are agent-major: entry `(i, j)` is at
/// `i * jobs + j`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GapInstance {
    /// Number of agents (m).
    pub agents: usize,
    /// Number of jobs (n).
    pub jobs: usize,
    /// Cost of job j on agent i (m x n).
    pub cost: Vec<i64>,
    /// Capacity used by job j on agent i (m x n), >= 0.
    pub weight: Vec<i64>,
    /// Capacity of each agent (m), >= 0.
    pub capacity: Vec<i64>,
    /// If set, job j may stay unassigned at cost `penalty[j]`; if `None`, every job
    /// must be assigned.
    pub unassigned_penalty: Option<Vec<i64>>,
}

/// How a [`GapSolution`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GapStatus {
    /// Proven optimal (objective equals the bound).
    Optimal,
    /// A feasible solution; the method cannot prove more (heuristic finished).
    Feasible,
    /// The time limit stopped the search; `objective` is the best found, if any.
    TimeLimit,
    /// Proven infeasible: no assignment respects the capacities.
    Infeasible,
}

/// Which solver produced a [`GapSolution`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GapMethod {
    /// Binary program through HiGHS.
    Mip,
    /// Lagrangian relaxation (per-agent knapsacks) + repair + local search.
    Lagrangian,
}

/// Result of a GAP solve.
#[derive(Debug, Clone, PartialEq)]
pub struct GapSolution {
    /// Agent of each job (`None`: unassigned, only when penalties allow it, or when
    /// no feasible solution was found).
    pub assignment: Vec<Option<usize>>,
    /// Cost of `assignment`, `None` if no feasible solution was found.
    pub objective: Option<i64>,
    /// A proven lower bound on the optimum (rounded up: costs are integers).
    pub lower_bound: i64,
    /// `(objective - lower_bound) / max(1, |objective|)`, `None` without a solution.
    pub gap: Option<f64>,
    /// How the solve ended.
    pub status: GapStatus,
    /// Which solver.
    pub method: GapMethod,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// Reads whitespace-separated integers, naming the position of any bad token.
struct Tokens<'a> {
    it: std::str::SplitWhitespace<'a>,
    count: usize,
}

impl<'a> Tokens<'a> {
    fn new(text: &'a str) -> Self {
        Tokens {
            it: text.split_whitespace(),
            count: 0,
        }
    }

    fn next(&mut self, what: &str) -> Result<i64> {
        self.count += 1;
        let at = Location {
            source: "GAP instance text".into(),
            field: Some(what.into()),
            record: Some(format!("token {}", self.count)),
            ..Location::default()
        };
        match self.it.next() {
            None => Err(Error::invalid(
                at,
                format!("expected {what}, found end of input"),
            )),
            Some(tok) => tok.parse::<i64>().map_err(|_| {
                Error::invalid(at, format!("expected an integer {what}, found '{tok}'"))
            }),
        }
    }

    fn size(&mut self, what: &str, max: i64) -> Result<usize> {
        let v = self.next(what)?;
        if !(1..=max).contains(&v) {
            return Err(Error::invalid(
                Location {
                    source: "GAP instance text".into(),
                    field: Some(what.into()),
                    record: Some(format!("token {}", self.count)),
                    ..Location::default()
                },
                format!("{what} must be in 1..={max}, got {v}"),
            ));
        }
        Ok(v as usize)
    }

    fn end(&mut self) -> Result<()> {
        match self.it.next() {
            None => Ok(()),
            Some(tok) => Err(Error::invalid(
                Location {
                    source: "GAP instance text".into(),
                    record: Some(format!("token {}", self.count + 1)),
                    ..Location::default()
                },
                format!("unexpected trailing token '{tok}'"),
            )),
        }
    }
}

impl GapInstance {
    /// Parses an OR-Library multi-instance file (gap1..gap12, gapa..gapd): P, then
    /// per problem `m n`, costs (m x n), weights (m x n), capacities (m).
    pub fn parse_orlib(text: &str) -> Result<Vec<GapInstance>> {
        let mut tok = Tokens::new(text);
        let p = tok.size("number of problems P", 1_000_000)?;
        let mut out = Vec::with_capacity(p.min(64));
        for _ in 0..p {
            out.push(Self::parse_one(&mut tok)?);
        }
        tok.end()?;
        Ok(out)
    }

    /// Parses a single-instance file in Yagiura's format (as OR-Library, without P).
    pub fn parse_yagiura(text: &str) -> Result<GapInstance> {
        let mut tok = Tokens::new(text);
        let g = Self::parse_one(&mut tok)?;
        tok.end()?;
        Ok(g)
    }

    fn parse_one(tok: &mut Tokens<'_>) -> Result<GapInstance> {
        let m = tok.size("number of agents m", 1_000_000)?;
        let n = tok.size("number of jobs n", 100_000_000)?;
        if m.saturating_mul(n) > 100_000_000 {
            return Err(Error::argument("m x n", format!("{m} x {n} is too large")));
        }
        let mut cost = Vec::with_capacity(m * n);
        for _ in 0..m * n {
            cost.push(tok.next("cost")?);
        }
        let mut weight = Vec::with_capacity(m * n);
        for _ in 0..m * n {
            weight.push(tok.next("weight")?);
        }
        let mut capacity = Vec::with_capacity(m);
        for _ in 0..m {
            capacity.push(tok.next("capacity")?);
        }
        let g = GapInstance {
            agents: m,
            jobs: n,
            cost,
            weight,
            capacity,
            unassigned_penalty: None,
        };
        g.validate()?;
        Ok(g)
    }

    /// Checks sizes, signs (weights and capacities >= 0) and magnitudes (|x| <= 2^40).
    pub fn validate(&self) -> Result<()> {
        let mn = self.agents.saturating_mul(self.jobs);
        if self.cost.len() != mn || self.weight.len() != mn || self.capacity.len() != self.agents {
            return Err(Error::argument(
                "GapInstance",
                format!(
                    "cost and weight need m x n = {mn} entries, capacity m = {}",
                    self.agents
                ),
            ));
        }
        let big = 1i64 << 40;
        if self.cost.iter().any(|c| c.abs() > big) {
            return Err(Error::argument("cost", "|cost| must be <= 2^40"));
        }
        if self
            .weight
            .iter()
            .chain(&self.capacity)
            .any(|&w| !(0..=big).contains(&w))
        {
            return Err(Error::argument(
                "weight",
                "weights and capacities must be in 0..=2^40",
            ));
        }
        if let Some(p) = &self.unassigned_penalty {
            if p.len() != self.jobs || p.iter().any(|c| c.abs() > big) {
                return Err(Error::argument(
                    "unassigned_penalty",
                    "one |penalty| <= 2^40 per job",
                ));
            }
        }
        Ok(())
    }

    /// The same instance with costs (and penalties) negated: maximising `cost` is
    /// minimising the negated instance.
    pub fn negated(&self) -> GapInstance {
        GapInstance {
            cost: self.cost.iter().map(|c| -c).collect(),
            unassigned_penalty: self
                .unassigned_penalty
                .as_ref()
                .map(|p| p.iter().map(|c| -c).collect()),
            ..self.clone()
        }
    }

    fn at(&self, i: usize, j: usize) -> usize {
        i * self.jobs + j
    }

    /// Cost of an assignment, or an error naming the violated constraint.
    pub fn evaluate(&self, assignment: &[Option<usize>]) -> Result<i64> {
        if assignment.len() != self.jobs {
            return Err(Error::argument("assignment", "one entry per job expected"));
        }
        let mut load = vec![0i64; self.agents];
        let mut total = 0i64;
        for (j, a) in assignment.iter().enumerate() {
            match (a, &self.unassigned_penalty) {
                (Some(i), _) if *i < self.agents => {
                    total += self.cost[self.at(*i, j)];
                    load[*i] += self.weight[self.at(*i, j)];
                }
                (None, Some(p)) => total += p[j],
                _ => {
                    return Err(Error::argument(
                        "assignment",
                        format!("job {j} is not on a valid agent"),
                    ))
                }
            }
        }
        if let Some(i) = (0..self.agents).find(|&i| load[i] > self.capacity[i]) {
            return Err(Error::argument(
                "assignment",
                format!("agent {i} load {} > capacity {}", load[i], self.capacity[i]),
            ));
        }
        Ok(total)
    }
}

fn finish(
    g: &GapInstance,
    assignment: Vec<Option<usize>>,
    objective: Option<i64>,
    lower_bound: i64,
    status: GapStatus,
    method: GapMethod,
    clock: Instant,
) -> GapSolution {
    let gap = objective.map(|o| (o - lower_bound) as f64 / (o.abs().max(1)) as f64);
    let assignment = if objective.is_some() {
        assignment
    } else {
        vec![None; g.jobs]
    };
    GapSolution {
        assignment,
        objective,
        lower_bound,
        gap,
        status,
        method,
        seconds: clock.elapsed().as_secs_f64(),
    }
}

/// Options of [`solve_mip`].
#[derive(Debug, Clone, PartialEq)]
pub struct MipOptions {
    /// Wall-clock limit in seconds for HiGHS.
    pub time_limit: f64,
    /// HiGHS threads (0 = HiGHS' default).
    pub threads: u32,
}

impl Default for MipOptions {
    fn default() -> Self {
        MipOptions {
            time_limit: 60.0,
            threads: 0,
        }
    }
}

/// Solves the GAP exactly as a binary program with HiGHS (directly through the `highs`
/// crate, which exposes the MIP dual bound that good_lp does not).
pub fn solve_mip(g: &GapInstance, options: &MipOptions) -> Result<GapSolution> {
    use highs::{HighsModelStatus as S, RowProblem, Sense};
    let clock = Instant::now();
    g.validate()?;
    if !(options.time_limit > 0.0) {
        return Err(Error::argument("time_limit", "must be > 0 seconds"));
    }
    let (m, n) = (g.agents, g.jobs);
    if n == 0 {
        return Ok(finish(
            g,
            vec![],
            Some(0),
            0,
            GapStatus::Optimal,
            GapMethod::Mip,
            clock,
        ));
    }
    let mut pb = RowProblem::default();
    let x: Vec<_> = (0..m * n)
        .map(|k| pb.add_integer_column(g.cost[k] as f64, 0..=1))
        .collect();
    let u: Vec<_> = match &g.unassigned_penalty {
        Some(p) => p
            .iter()
            .map(|&c| Some(pb.add_integer_column(c as f64, 0..=1)))
            .collect(),
        None => vec![None; n],
    };
    for j in 0..n {
        let mut row: Vec<_> = (0..m).map(|i| (x[g.at(i, j)], 1.0)).collect();
        if let Some(c) = u[j] {
            row.push((c, 1.0));
        }
        pb.add_row(1.0..=1.0, row);
    }
    for i in 0..m {
        let row: Vec<_> = (0..n)
            .filter(|&j| g.weight[g.at(i, j)] != 0)
            .map(|j| (x[g.at(i, j)], g.weight[g.at(i, j)] as f64))
            .collect();
        pb.add_row(..=g.capacity[i] as f64, row);
    }
    let mut model = pb.optimise(Sense::Minimise);
    model.make_quiet();
    let opt = |e: highs::TrySetOptionError| Error::Solver(format!("HiGHS option: {e:?}"));
    model
        .try_set_option("time_limit", options.time_limit)
        .map_err(opt)?;
    model.try_set_option("mip_rel_gap", 0.0).map_err(opt)?;
    if options.threads > 0 {
        model
            .try_set_option("threads", options.threads as i32)
            .map_err(opt)?;
    }
    let solved = model
        .try_solve()
        .map_err(|s| Error::Solver(format!("HiGHS run failed: {s:?}")))?;
    let status = solved.status();
    if status == S::Infeasible {
        return Ok(finish(
            g,
            vec![],
            None,
            i64::MAX,
            GapStatus::Infeasible,
            GapMethod::Mip,
            clock,
        ));
    }
    let has_solution = solved.primal_solution_status() == highs::HighsSolutionStatus::Feasible;
    let bound = solved
        .double_info_value(c"mip_dual_bound")
        .map_err(|s| Error::Solver(format!("HiGHS mip_dual_bound: {s:?}")))?;
    let mut lower_bound = if bound.is_finite() {
        (bound - 1e-6).ceil() as i64
    } else {
        i64::MIN
    };
    let (assignment, objective) = if has_solution {
        let cols = solved.get_solution().columns().to_vec();
        let a: Vec<Option<usize>> = (0..n)
            .map(|j| (0..m).find(|&i| cols[g.at(i, j)] > 0.5))
            .collect();
        let obj = g
            .evaluate(&a)
            .map_err(|e| Error::Solver(format!("HiGHS solution: {e}")))?;
        (a, Some(obj))
    } else {
        (vec![None; n], None)
    };
    let status = match (status, objective) {
        (S::Optimal, Some(o)) => {
            lower_bound = o;
            GapStatus::Optimal
        }
        (_, Some(o)) if lower_bound >= o => {
            lower_bound = o;
            GapStatus::Optimal
        }
        (S::ReachedTimeLimit | S::ReachedInterrupt | S::ReachedIterationLimit, _) => {
            GapStatus::TimeLimit
        }
        (_, Some(_)) => GapStatus::Feasible,
        (other, None) => {
            return Err(Error::Solver(format!(
                "HiGHS ended with {other:?} and no solution"
            )))
        }
    };
    Ok(finish(
        g,
        assignment,
        objective,
        lower_bound,
        status,
        GapMethod::Mip,
        clock,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// `SERVNET_BENCHMARKS`, or `../shared/benchmarks` next to the workspace.
    pub(crate) fn benchmarks_dir() -> Option<PathBuf> {
        let dir = std::env::var_os("SERVNET_BENCHMARKS")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../../../shared/benchmarks"
                ))
            });
        if dir.join("gap/optimal_values.csv").is_file() {
            Some(dir)
        } else {
            println!("skipping: OR-Library benchmarks not found; set SERVNET_BENCHMARKS");
            None
        }
    }

    /// `(set, instance, sense) -> value` from `gap/optimal_values.csv`.
    pub(crate) fn known_values(dir: &std::path::Path) -> Vec<(String, String, String, i64)> {
        let text = std::fs::read_to_string(dir.join("gap/optimal_values.csv")).unwrap();
        text.lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let f: Vec<&str> = l.splitn(6, ',').collect();
                (f[0].into(), f[1].into(), f[2].into(), f[3].parse().unwrap())
            })
            .collect()
    }

    fn tiny() -> GapInstance {
        // 2 agents, 3 jobs: the cheap agent 0 can take only one heavy job.
        GapInstance {
            agents: 2,
            jobs: 3,
            cost: vec![1, 1, 1, 5, 6, 7],
            weight: vec![2, 2, 2, 1, 1, 1],
            capacity: vec![2, 3],
            unassigned_penalty: None,
        }
    }

    /// The MIP is exact on a hand-checked instance: agent 0 takes one job, best the
    /// one agent 1 would charge most for (job 2): 5 + 6 + 1 = 12.
    #[test]
    fn mip_solves_tiny_instance() {
        let s = solve_mip(&tiny(), &MipOptions::default()).unwrap();
        assert_eq!(s.status, GapStatus::Optimal);
        assert_eq!(s.objective, Some(5 + 6 + 1));
        assert_eq!(s.lower_bound, 12);
        assert_eq!(s.assignment, vec![Some(1), Some(1), Some(0)]);
    }

    /// Over-full instances are reported infeasible (a status, not an error); with a
    /// penalty the job is left out instead.
    #[test]
    fn infeasible_is_a_status_and_penalty_relaxes_it() {
        let mut g = tiny();
        g.capacity = vec![2, 1];
        let s = solve_mip(&g, &MipOptions::default()).unwrap();
        assert_eq!(s.status, GapStatus::Infeasible);
        assert_eq!(s.objective, None);
        g.unassigned_penalty = Some(vec![100; 3]);
        let s = solve_mip(&g, &MipOptions::default()).unwrap();
        assert_eq!(s.status, GapStatus::Optimal);
        // one job per agent: job 1 on agent 0, job 0 on agent 1, job 2 left out.
        assert_eq!(s.objective, Some(1 + 5 + 100));
    }

    /// Parsing reads token streams with any wrapping and rejects bad input with an
    /// error naming the token, never a panic.
    #[test]
    fn parsers_accept_wrapping_and_reject_garbage() {
        let one = "2 3\n 1 1 1\n5 6 7 2 2 2 1 1 1\r\n 2 3 ";
        assert_eq!(GapInstance::parse_yagiura(one).unwrap(), tiny());
        let many = format!("2 {one} {one}");
        assert_eq!(
            GapInstance::parse_orlib(&many).unwrap(),
            vec![tiny(), tiny()]
        );
        for bad in [
            "",
            "2",
            "2 3 1 1 x",
            "0 3",
            "2 3 1 1 1 5 6 7 2 2 2 1 1 1 2",
            "-1 2",
        ] {
            assert!(GapInstance::parse_yagiura(bad).is_err(), "{bad:?}");
        }
        let e = GapInstance::parse_yagiura("2 3 1 1 x")
            .unwrap_err()
            .to_string();
        assert!(e.contains("token 5") && e.contains("'x'"), "{e}");
        assert!(GapInstance::parse_yagiura(&format!("{one} 9")).is_err());
        assert!(GapInstance::parse_orlib(&format!("3 {one} {one}")).is_err());
        assert!(GapInstance::parse_yagiura("2 3 1 1 1 5 6 7 2 -2 2 1 1 1 2 3").is_err());
    }

    /// All 60 OR-Library gap1-gap12 instances reach the published maximisation optimum
    /// exactly (solved as the negated minimisation problem), proven by HiGHS.
    #[test]
    fn mip_reaches_published_optima_gap1_to_gap12() {
        let Some(dir) = benchmarks_dir() else { return };
        let known = known_values(&dir);
        let mut checked = 0;
        for set in 1..=12 {
            let path = dir.join(format!("gap/orlib/gap{set}.txt"));
            let text = std::fs::read_to_string(&path).unwrap();
            for (k, g) in GapInstance::parse_orlib(&text).unwrap().iter().enumerate() {
                let name = format!("c{}{}-{}", g.agents, g.jobs, k + 1);
                let want = known
                    .iter()
                    .find(|r| r.0 == format!("gap{set}") && r.1 == name && r.2 == "max")
                    .map(|r| r.3)
                    .unwrap();
                let s = solve_mip(&g.negated(), &MipOptions::default()).unwrap();
                assert_eq!(s.status, GapStatus::Optimal, "{name}");
                assert_eq!(s.objective.map(|o| -o), Some(want), "gap{set} {name}");
                assert_eq!(g.evaluate(&s.assignment).unwrap(), want);
                checked += 1;
            }
        }
        assert_eq!(checked, 60);
    }
}
