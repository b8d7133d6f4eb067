//! The GAP by Lagrangian relaxation: one 0/1 knapsack per agent, subgradient steps on
//! the job multipliers, each relaxed solution repaired and improved by local search.

use super::{finish, GapInstance, GapMethod, GapSolution};
use crate::solver::subgradient::StepSchedule;
use crate::solver::SolveStatus;
use crate::{Error, Result};
use std::time::Instant;

/// Options of [`solve_lagrangian`].
#[derive(Debug, Clone, PartialEq)]
pub struct LagrangianOptions {
    /// Wall-clock limit in seconds.
    pub time_limit: f64,
    /// Maximum subgradient iterations.
    pub max_iterations: usize,
}

impl Default for LagrangianOptions {
    fn default() -> Self {
        LagrangianOptions {
            time_limit: 2.0,
            max_iterations: 5_000,
        }
    }
}

/// Capacities above this are not handled by the knapsack DP; those agents use the
/// (weaker but valid) LP bound of their knapsack and a greedy selection.
const DP_CAPACITY_LIMIT: i64 = 200_000;

/// Per-agent knapsack of the Lagrangian subproblem, with reusable buffers.
#[derive(Default)]
struct Knapsack {
    items: Vec<usize>,
    dp: Vec<f64>,
    take: Vec<bool>,
}

impl Knapsack {
    /// Maximises `sum profit_j x_j` subject to `sum w_j x_j <= cap` over items with
    /// positive profit; writes the chosen jobs to `chosen` and returns an upper bound
    /// on the optimum (the optimum itself when solved by DP).
    fn solve(
        &mut self,
        profit: &dyn Fn(usize) -> f64,
        weight: &[i64],
        cap: i64,
        chosen: &mut Vec<usize>,
    ) -> f64 {
        chosen.clear();
        self.items.clear();
        let mut total_w = 0i64;
        let mut free = 0.0;
        for (j, &w) in weight.iter().enumerate() {
            let p = profit(j);
            if p <= 0.0 || w > cap {
                continue;
            }
            if w == 0 {
                chosen.push(j);
                free += p;
            } else {
                self.items.push(j);
                total_w += w;
            }
        }
        if total_w <= cap {
            let all: f64 = self.items.iter().map(|&j| profit(j)).sum();
            chosen.extend_from_slice(&self.items);
            chosen.sort_unstable();
            return free + all;
        }
        if cap > DP_CAPACITY_LIMIT {
            // Greedy by ratio for the primal side, Dantzig's LP bound for the dual side.
            let mut by_ratio = self.items.clone();
            by_ratio.sort_by(|&a, &b| {
                (profit(b) * weight[a] as f64)
                    .total_cmp(&(profit(a) * weight[b] as f64))
                    .then(a.cmp(&b))
            });
            let (mut left, mut bound, mut fractional_done) = (cap, free, false);
            for &j in &by_ratio {
                if weight[j] <= left {
                    left -= weight[j];
                    chosen.push(j);
                    if !fractional_done {
                        bound += profit(j);
                    }
                } else if !fractional_done {
                    bound += profit(j) * left as f64 / weight[j] as f64;
                    fractional_done = true;
                }
            }
            chosen.sort_unstable();
            return bound;
        }
        let c = cap as usize;
        self.dp.clear();
        self.dp.resize(c + 1, 0.0);
        self.take.clear();
        self.take.resize(self.items.len() * (c + 1), false);
        for (k, &j) in self.items.iter().enumerate() {
            let (w, p) = (weight[j] as usize, profit(j));
            let row = &mut self.take[k * (c + 1)..(k + 1) * (c + 1)];
            for r in (w..=c).rev() {
                let cand = self.dp[r - w] + p;
                if cand > self.dp[r] {
                    self.dp[r] = cand;
                    row[r] = true;
                }
            }
        }
        let best = self.dp[c];
        let mut r = c;
        for k in (0..self.items.len()).rev() {
            if self.take[k * (c + 1) + r] {
                let j = self.items[k];
                chosen.push(j);
                r -= weight[j] as usize;
            }
        }
        chosen.sort_unstable();
        free + best
    }
}

/// A repair move: (excess change, cost change, job, destination agent, swap partner).
type Move = (i64, i64, usize, usize, Option<usize>);

/// A feasible-solution builder: repair of a relaxed solution plus local search.
struct Repair<'a> {
    g: &'a GapInstance,
    agent: Vec<Option<usize>>,
    load: Vec<i64>,
}

impl<'a> Repair<'a> {
    fn c(&self, i: usize, j: usize) -> i64 {
        self.g.cost[i * self.g.jobs + j]
    }
    fn w(&self, i: usize, j: usize) -> i64 {
        self.g.weight[i * self.g.jobs + j]
    }
    fn fits(&self, i: usize, j: usize) -> bool {
        self.load[i] + self.w(i, j) <= self.g.capacity[i]
    }
    fn put(&mut self, j: usize, to: Option<usize>) {
        if let Some(i) = self.agent[j] {
            self.load[i] -= self.w(i, j);
        }
        if let Some(i) = to {
            self.load[i] += self.w(i, j);
        }
        self.agent[j] = to;
    }
    fn pen(&self, j: usize) -> Option<i64> {
        self.g.unassigned_penalty.as_ref().map(|p| p[j])
    }

    /// Builds a full assignment from the knapsack choices `cover[j]` (agents that
    /// took job j). Returns false if some job could not be placed.
    fn build(&mut self, cover: &[Vec<usize>], lagr_cost: &dyn Fn(usize, usize) -> f64) -> bool {
        let (m, n) = (self.g.agents, self.g.jobs);
        self.agent.iter_mut().for_each(|a| *a = None);
        self.load.iter_mut().for_each(|l| *l = 0);
        // Keep each covered job on its cheapest covering agent (loads only shrink).
        for (j, covering) in cover.iter().enumerate() {
            let best = covering.iter().copied().min_by_key(|&i| (self.c(i, j), i));
            if let Some(i) = best {
                self.put(j, Some(i));
            }
        }
        // Place the rest, most constrained (largest regret) first.
        let mut rest: Vec<(f64, usize)> = (0..n)
            .filter(|&j| self.agent[j].is_none())
            .map(|j| {
                let mut v: Vec<f64> = (0..m)
                    .filter(|&i| self.fits(i, j))
                    .map(|i| lagr_cost(i, j))
                    .collect();
                v.sort_by(f64::total_cmp);
                let regret = match v.len() {
                    0 => f64::INFINITY,
                    1 => 1e18,
                    _ => v[1] - v[0],
                };
                (regret, j)
            })
            .collect();
        rest.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut ok = true;
        for &(_, j) in &rest {
            let best = (0..m)
                .filter(|&i| self.fits(i, j))
                .min_by_key(|&i| (self.c(i, j), i));
            match (best, self.pen(j)) {
                (Some(i), Some(p)) if p < self.c(i, j) => self.put(j, None),
                (Some(i), _) => self.put(j, Some(i)),
                (None, Some(_)) => self.put(j, None),
                (None, None) => {
                    if !self.eject_for(j) {
                        ok = false;
                    }
                }
            }
        }
        ok
    }

    /// Places job j by moving one job k out of some agent i to another agent h that
    /// has room, choosing the cheapest such chain. True on success.
    fn eject_for(&mut self, j: usize) -> bool {
        let (m, n) = (self.g.agents, self.g.jobs);
        let mut best: Option<(i64, usize, usize, usize)> = None;
        for k in 0..n {
            let Some(i) = self.agent[k] else { continue };
            if self.load[i] - self.w(i, k) + self.w(i, j) > self.g.capacity[i] {
                continue;
            }
            for h in 0..m {
                if h != i && self.fits(h, k) {
                    let delta = self.c(i, j) + self.c(h, k) - self.c(i, k);
                    if best.is_none_or(|b| delta < b.0) {
                        best = Some((delta, k, i, h));
                    }
                }
            }
        }
        match best {
            Some((_, k, i, h)) => {
                self.put(k, Some(h));
                self.put(j, Some(i));
                true
            }
            None => false,
        }
    }

    /// Units over capacity of agent `i` at load `load`.
    fn excess(&self, i: usize, load: i64) -> i64 {
        (load - self.g.capacity[i]).max(0)
    }

    /// Feasibility repair after [`Repair::build`] left jobs unplaced: each such job
    /// goes where it overloads least (min-regret insertion allowing overload: least
    /// excess added, then cost, then agent index), then shift and swap moves out of
    /// overloaded agents lower the total excess (the least cost added per unit of
    /// excess removed first) until none is left. True when the assignment is feasible.
    fn make_feasible(&mut self, max_moves: usize) -> bool {
        let (m, n) = (self.g.agents, self.g.jobs);
        let mut unplaced: Vec<(i64, usize)> = (0..n)
            .filter(|&j| self.agent[j].is_none() && self.pen(j).is_none())
            .map(|j| (-(0..m).map(|i| self.w(i, j)).min().unwrap_or(0), j))
            .collect();
        unplaced.sort_unstable();
        for (_, j) in unplaced {
            let best = (0..m).min_by_key(|&i| {
                let add =
                    self.excess(i, self.load[i] + self.w(i, j)) - self.excess(i, self.load[i]);
                (add, self.c(i, j), i)
            });
            if let Some(i) = best {
                self.put(j, Some(i));
            }
        }
        for _ in 0..max_moves {
            let over: Vec<usize> = (0..m)
                .filter(|&i| self.load[i] > self.g.capacity[i])
                .collect();
            if over.is_empty() {
                return true;
            }
            // (excess change, cost change, job, to, swap partner)
            let mut best: Option<Move> = None;
            // Cheapest cost per unit of excess removed (ties: larger drop, then index).
            let ratio = |m: &Move| m.1 as f64 / (-m.0) as f64;
            let consider = |best: &mut Option<Move>, cand: Move| {
                if cand.0 < 0
                    && best.is_none_or(|b| {
                        ratio(&cand)
                            .total_cmp(&ratio(&b))
                            .then(cand.0.cmp(&b.0))
                            .is_lt()
                    })
                {
                    *best = Some(cand);
                }
            };
            for &a in &over {
                let ex_a = self.excess(a, self.load[a]);
                for k in (0..n).filter(|&k| self.agent[k] == Some(a)) {
                    let la = self.load[a] - self.w(a, k);
                    for h in (0..m).filter(|&h| h != a) {
                        let lh = self.load[h] + self.w(h, k);
                        let d = self.excess(a, la) - ex_a + self.excess(h, lh)
                            - self.excess(h, self.load[h]);
                        consider(&mut best, (d, self.c(h, k) - self.c(a, k), k, h, None));
                    }
                }
            }
            if best.is_none() {
                for &a in &over {
                    let ex_a = self.excess(a, self.load[a]);
                    for k in (0..n).filter(|&k| self.agent[k] == Some(a)) {
                        for l in 0..n {
                            let Some(b) = self.agent[l] else { continue };
                            if b == a {
                                continue;
                            }
                            let la = self.load[a] - self.w(a, k) + self.w(a, l);
                            let lb = self.load[b] - self.w(b, l) + self.w(b, k);
                            let d = self.excess(a, la) - ex_a + self.excess(b, lb)
                                - self.excess(b, self.load[b]);
                            let dc = self.c(b, k) + self.c(a, l) - self.c(a, k) - self.c(b, l);
                            consider(&mut best, (d, dc, k, b, Some(l)));
                        }
                    }
                }
            }
            let Some((_, _, k, to, partner)) = best else {
                return false;
            };
            let from = self.agent[k];
            self.put(k, Some(to));
            if let Some(l) = partner {
                self.put(l, from);
            }
        }
        (0..m).all(|i| self.load[i] <= self.g.capacity[i])
    }

    /// Shift and swap moves (first improvement) until a local optimum.
    fn local_search(&mut self) {
        let (m, n) = (self.g.agents, self.g.jobs);
        loop {
            let mut improved = false;
            for j in 0..n {
                let cur = match self.agent[j] {
                    Some(a) => self.c(a, j),
                    None => self.pen(j).unwrap_or(i64::MAX),
                };
                let mut best: Option<(i64, Option<usize>)> = None;
                for h in 0..m {
                    if Some(h) != self.agent[j] && self.fits(h, j) && self.c(h, j) < cur {
                        let c = self.c(h, j);
                        if best.is_none_or(|b| c < b.0) {
                            best = Some((c, Some(h)));
                        }
                    }
                }
                if let (Some(p), Some(_)) = (self.pen(j), self.agent[j]) {
                    if p < cur && best.is_none_or(|b| p < b.0) {
                        best = Some((p, None));
                    }
                }
                if let Some((_, to)) = best {
                    self.put(j, to);
                    improved = true;
                }
            }
            for j in 0..n {
                for k in j + 1..n {
                    let (Some(a), Some(b)) = (self.agent[j], self.agent[k]) else {
                        continue;
                    };
                    if a == b {
                        continue;
                    }
                    let delta = self.c(b, j) + self.c(a, k) - self.c(a, j) - self.c(b, k);
                    if delta < 0
                        && self.load[a] - self.w(a, j) + self.w(a, k) <= self.g.capacity[a]
                        && self.load[b] - self.w(b, k) + self.w(b, j) <= self.g.capacity[b]
                    {
                        self.put(j, None);
                        self.put(k, Some(a));
                        self.put(j, Some(b));
                        improved = true;
                    }
                }
            }
            if !improved {
                break;
            }
        }
    }

    fn cost(&self) -> i64 {
        (0..self.g.jobs)
            .map(|j| match self.agent[j] {
                Some(i) => self.c(i, j),
                None => self.pen(j).unwrap_or(0),
            })
            .sum()
    }
}

/// Lagrangian heuristic with a bound: relaxes "each job on exactly one agent" with
/// multipliers, solves one knapsack per agent (DP), improves the multipliers by
/// subgradient steps (Polyak step towards the best solution found), and repairs each
/// knapsack solution into a feasible assignment improved by shift/swap moves and
/// one-level ejection. Deterministic.
///
/// `status` is `Optimal` if the bound meets the solution, `TimeLimit` if the time
/// limit stopped it, `Infeasible` if some job fits no agent and may not stay
/// unassigned, otherwise `Feasible` (with `objective: None` if no feasible solution
/// was found; that does not prove infeasibility).
pub fn solve_lagrangian(g: &GapInstance, options: &LagrangianOptions) -> Result<GapSolution> {
    let clock = Instant::now();
    g.validate()?;
    if options.time_limit.is_nan() || options.time_limit <= 0.0 {
        return Err(Error::argument("time_limit", "must be > 0 seconds"));
    }
    let (m, n) = (g.agents, g.jobs);
    let lag = GapMethod::Lagrangian;
    let c = |i: usize, j: usize| g.cost[i * n + j];
    let fits_somewhere = |j: usize| (0..m).any(|i| g.weight[i * n + j] <= g.capacity[i]);
    if g.unassigned_penalty.is_none() && !(0..n).all(fits_somewhere) {
        return Ok(finish(
            g,
            vec![],
            None,
            i64::MAX,
            SolveStatus::Infeasible,
            lag,
            clock,
        ));
    }
    // Start: lambda_j = second-cheapest cost among agents the job fits (a classic
    // choice: the cheapest agent is then attractive, the others neutral).
    let mut lambda: Vec<f64> = (0..n)
        .map(|j| {
            let mut v: Vec<i64> = (0..m)
                .filter(|&i| g.weight[i * n + j] <= g.capacity[i])
                .map(|i| c(i, j))
                .collect();
            v.sort_unstable();
            let base = v.get(1).or(v.first()).copied().unwrap_or(0) as f64;
            match &g.unassigned_penalty {
                Some(p) => base.min(p[j] as f64),
                None => base,
            }
        })
        .collect();
    let mut knap = Knapsack::default();
    let mut chosen = Vec::new();
    let mut cover: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut rep = Repair {
        g,
        agent: vec![None; n],
        load: vec![0; m],
    };
    let mut best_cost: Option<i64> = None;
    let mut best_assign: Vec<Option<usize>> = vec![None; n];
    let mut best_l = f64::NEG_INFINITY;
    let mut schedule = StepSchedule::new(2.0, 20, 1e-4);
    let mut timed_out = false;
    let mut subgrad = vec![0.0; n];
    let mut repair_secs = 0.0;
    for iteration in 0..options.max_iterations {
        if clock.elapsed().as_secs_f64() > options.time_limit {
            timed_out = true;
            break;
        }
        cover.iter_mut().for_each(Vec::clear);
        let mut l: f64 = lambda.iter().sum();
        for i in 0..m {
            let profit = |j: usize| lambda[j] - c(i, j) as f64;
            l -= knap.solve(
                &profit,
                &g.weight[i * n..(i + 1) * n],
                g.capacity[i],
                &mut chosen,
            );
            for &j in &chosen {
                cover[j].push(i);
            }
        }
        for j in 0..n {
            subgrad[j] = 1.0 - cover[j].len() as f64;
            if let Some(p) = &g.unassigned_penalty {
                if (p[j] as f64) < lambda[j] {
                    l += p[j] as f64 - lambda[j];
                    subgrad[j] -= 1.0;
                }
            }
        }
        let improved = l > best_l + 1e-9;
        if improved {
            best_l = l;
        }
        schedule.record(improved);
        let lagr_cost = |i: usize, j: usize| c(i, j) as f64 - lambda[j];
        // Local search is O(n^2) per pass: spend it on promising repairs (and every
        // tenth one), so the subgradient keeps enough iterations on large instances.
        // Jobs left unplaced: repair by overload moves (at most n). The repair and its
        // local search are slow on large instances, and the bound needs iterations: they
        // may take 20% of the time so far while no solution is known, 5% after.
        let share = if best_cost.is_none() { 0.2 } else { 0.05 };
        let built = rep.build(&cover, &lagr_cost);
        let repair_now = !built && repair_secs <= share * clock.elapsed().as_secs_f64();
        let started = Instant::now();
        let built = built || (repair_now && rep.make_feasible(n));
        if built
            && (iteration % 10 == 0
                || repair_now
                || best_cost.is_none_or(|b| rep.cost() as f64 <= b as f64 * 1.01 + 1.0))
        {
            rep.local_search();
            let cost = rep.cost();
            if best_cost.is_none_or(|b| cost < b) {
                best_cost = Some(cost);
                best_assign.clone_from(&rep.agent);
            }
        }
        if repair_now {
            repair_secs += started.elapsed().as_secs_f64();
        }
        let lb = (best_l - 1e-7 * (1.0 + best_l.abs())).ceil();
        let norm: f64 = subgrad.iter().map(|x| x * x).sum();
        if best_cost.is_some_and(|b| lb >= b as f64) || norm == 0.0 || schedule.spent() {
            break;
        }
        let target = match best_cost {
            Some(b) => b as f64,
            None => l + 0.05 * l.abs() + 1.0,
        };
        let step = schedule.step((target - l).max(1e-3 * (1.0 + l.abs())), norm);
        for j in 0..n {
            lambda[j] += step * subgrad[j];
        }
    }
    let lower_bound = if best_l.is_finite() {
        (best_l - 1e-7 * (1.0 + best_l.abs())).ceil() as i64
    } else {
        i64::MIN
    };
    let status = match best_cost {
        Some(b) if lower_bound >= b => SolveStatus::Optimal,
        _ if timed_out => SolveStatus::TimeLimit,
        _ => SolveStatus::Feasible,
    };
    let lower_bound = match best_cost {
        Some(b) => lower_bound.min(b),
        None => lower_bound,
    };
    Ok(finish(
        g,
        best_assign,
        best_cost,
        lower_bound,
        status,
        lag,
        clock,
    ))
}
