//! Readers for OR-Library facility location benchmarks (Beasley 1985, 1988).
//!
//! - `cap41`..`cap134`, `capa`..`capc`: capacitated warehouse location. Costs in these
//!   files are for serving **all** of a customer's demand, so the instance uses
//!   [`CostBasis::Total`]. In `capa/b/c` every capacity is the literal word
//!   `capacity`, replaced by the caller's value.
//! - `pmed1`..`pmed40`: p-median on a graph. Edges are read in turn (a repeated pair
//!   keeps its **last** cost), then Floyd-Warshall gives shortest paths. Every vertex is
//!   both a candidate site and a demand point of weight 1.
//!
//! Both readers parse a stream of whitespace-separated tokens and never panic: bad
//! input is an [`Error::Invalid`] naming the line.

use crate::bench::orlib_tokens::Tokens;
use crate::plan::location::{CostBasis, CostMatrix, LocationInstance, Site};
use crate::{Error, Result};

/// Largest matrix the readers accept (guards against absurd headers).
const MAX_ENTRIES: usize = 200_000_000;

/// Parses an OR-Library capacitated warehouse location file (`cap41`..`cap134`,
/// `capa`..`capc`) into a [`CostBasis::Total`] instance.
///
/// `capacity_override` replaces the literal word `capacity` (capa/b/c); it is
/// required for those files and also replaces numeric capacities when given.
/// Errors if the file is truncated, has a non-numeric field, or says `capacity`
/// without an override.
pub fn parse_orlib_cap(text: &str, capacity_override: Option<f64>) -> Result<LocationInstance> {
    let mut tk = Tokens::new("orlib cap", text);
    let m = tk.count("number of warehouses")?;
    let n = tk.count("number of customers")?;
    if m == 0 || n == 0 || m.saturating_mul(n) > MAX_ENTRIES {
        return Err(tk.error(Some(1), "header", format!("bad size {m} x {n}")));
    }
    if let Some(c) = capacity_override {
        if !(c.is_finite() && c >= 0.0) {
            return Err(Error::argument(
                "capacity_override",
                format!("expected a finite number >= 0, got {c}"),
            ));
        }
    }
    let mut sites = Vec::with_capacity(m);
    for _ in 0..m {
        let (line, t) = tk.next("capacity")?;
        let capacity = match (t.parse::<f64>(), capacity_override) {
            (_, Some(c)) => c,
            (Ok(v), None) if v.is_finite() => v,
            _ => {
                return Err(tk.error(
                    Some(line),
                    "capacity",
                    format!("expected a number, got '{t}' (pass capacity_override for capa/b/c)"),
                ))
            }
        };
        let fixed_cost = tk.number("fixed cost")?;
        sites.push(Site {
            fixed_cost,
            capacity,
            modules: Vec::new(),
        });
    }
    let mut demand = Vec::with_capacity(n);
    let mut data = vec![0.0; m * n];
    for j in 0..n {
        demand.push(tk.number("demand")?);
        for i in 0..m {
            data[i * n + j] = tk.number("allocation cost")?;
        }
    }
    let matrix = CostMatrix::new(m, n, data)?;
    LocationInstance::new(sites, demand, matrix, CostBasis::Total)
}

/// An OR-Library p-median instance: the graph's shortest-path instance and its `p`.
#[derive(Debug, Clone, PartialEq)]
pub struct OrlibPMedian {
    /// Every vertex is a site (fixed cost 0, uncapacitated) and a demand point of
    /// weight 1; the matrix holds shortest-path distances ([`CostBasis::PerUnit`]).
    pub instance: LocationInstance,
    /// Number of medians to open.
    pub p: usize,
}

/// Parses an OR-Library `pmed*` file: header `n_vertices n_edges p`, then edges
/// `i j cost` (1-based). A repeated pair keeps its last cost; Floyd-Warshall fills in
/// shortest paths.
///
/// Errors on a truncated file, a vertex out of range, a negative cost, or `p` outside
/// `1..=n`. Unreachable pairs stay `+inf` (forbidden).
pub fn parse_orlib_pmed(text: &str) -> Result<OrlibPMedian> {
    let mut tk = Tokens::new("orlib pmed", text);
    let n = tk.count("number of vertices")?;
    let edges = tk.count("number of edges")?;
    let p = tk.count("p")?;
    if n == 0 || n.saturating_mul(n) > MAX_ENTRIES {
        return Err(tk.error(Some(1), "number of vertices", format!("bad size {n}")));
    }
    if p == 0 || p > n {
        return Err(tk.error(Some(1), "p", format!("p = {p} must be in 1..={n}")));
    }
    let mut d = vec![f64::INFINITY; n * n];
    for v in 0..n {
        d[v * n + v] = 0.0;
    }
    for _ in 0..edges {
        let line = tk.peek_line();
        let a = tk.count("edge vertex")?;
        let b = tk.count("edge vertex")?;
        let w = tk.number("edge cost")?;
        if a == 0 || b == 0 || a > n || b > n {
            return Err(tk.error(
                Some(line),
                "edge vertex",
                format!("vertex out of range 1..={n}: {a} {b}"),
            ));
        }
        if w < 0.0 {
            return Err(tk.error(Some(line), "edge cost", format!("negative cost {w}")));
        }
        if a != b {
            d[(a - 1) * n + (b - 1)] = w;
            d[(b - 1) * n + (a - 1)] = w;
        }
    }
    floyd_warshall(&mut d, n);
    let matrix = CostMatrix::new(n, n, d)?;
    let sites = (0..n).map(|_| Site::uncapacitated(0.0)).collect();
    let instance = LocationInstance::new(sites, vec![1.0; n], matrix, CostBasis::PerUnit)?;
    Ok(OrlibPMedian { instance, p })
}

/// All-pairs shortest paths in place on a dense `n x n` matrix.
fn floyd_warshall(d: &mut [f64], n: usize) {
    for k in 0..n {
        let row_k: Vec<f64> = d[k * n..(k + 1) * n].to_vec();
        for i in 0..n {
            let dik = d[i * n + k];
            if !dik.is_finite() {
                continue;
            }
            let row_i = &mut d[i * n..(i + 1) * n];
            for (dij, dkj) in row_i.iter_mut().zip(&row_k) {
                let via = dik + dkj;
                if via < *dij {
                    *dij = via;
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn cap_file_reads_total_costs_and_substitutes_capacity() {
        let text = " 2 3\n capacity 7500.\n capacity 100.\n 10\n 1 2\n 20\n 3 4\n 5 6 7\n";
        assert!(parse_orlib_cap(text, None).is_err());
        let inst = parse_orlib_cap(text, Some(50.0)).unwrap();
        assert_eq!(inst.sites()[0].capacity, 50.0);
        assert_eq!(inst.sites()[0].fixed_cost, 7500.0);
        assert_eq!(inst.demand(), &[10.0, 20.0, 5.0]);
        // cost of serving all of customer 1 from warehouse 1 is 4, not 4 * 20
        assert_eq!(inst.assign_cost(1, 1), 4.0);
        assert_eq!(inst.assign_cost(0, 2), 6.0);
    }

    #[test]
    fn truncated_or_garbled_cap_files_are_errors_not_panics() {
        assert!(parse_orlib_cap("", None).is_err());
        assert!(parse_orlib_cap("2 3\n10 5\n", None).is_err());
        assert!(parse_orlib_cap("1 1\n10 x\n1 2", None).is_err());
        assert!(parse_orlib_cap("99999999 99999999", None).is_err());
        let e = parse_orlib_cap("1 1\n10 5\n1 -2", None);
        assert!(e.is_err());
    }

    #[test]
    fn pmed_repeated_edge_keeps_the_last_cost_then_shortest_paths() {
        // 1-2 given as 5 then 9: last wins (9), but 1-3-2 = 2 + 3 = 5 is shorter anyway;
        // 3-4 given as 1 then 7: last wins, so d(3,4) = 7.
        let text = "4 5 1\n1 2 5\n1 3 2\n3 2 3\n3 4 1\n3 4 7\n";
        let f = parse_orlib_pmed(text).unwrap();
        let m = f.instance.matrix();
        assert_eq!(f.p, 1);
        assert_eq!(m.get(2, 3), 7.0);
        assert_eq!(m.get(0, 3), 9.0);
        assert_eq!(m.get(1, 0), 5.0);
        assert_eq!(m.get(3, 3), 0.0);
    }

    #[test]
    fn bad_pmed_files_are_errors() {
        assert!(parse_orlib_pmed("3 1 4\n1 2 3\n").is_err()); // p > n
        assert!(parse_orlib_pmed("3 1 1\n1 5 3\n").is_err()); // vertex out of range
        assert!(parse_orlib_pmed("3 2 1\n1 2 3\n").is_err()); // truncated
        assert!(parse_orlib_pmed("3 1 1\n0 2 3\n").is_err()); // 0-based vertex
    }
}
