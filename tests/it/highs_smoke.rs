//! The HiGHS build works: good_lp with the `highs` feature solves an LP with a known optimum.

use good_lp::{constraint, default_solver, variable, variables, Solution, SolverModel};

/// The textbook LP  max 3x + 5y  s.t.  x <= 4,  2y <= 12,  3x + 2y <= 18,  x, y >= 0
/// has its optimum 36 at (2, 6).
#[test]
fn highs_solves_a_textbook_lp_to_its_known_optimum() {
    let mut vars = variables!();
    let x = vars.add(variable().min(0));
    let y = vars.add(variable().min(0));
    let solution = vars
        .maximise(3 * x + 5 * y)
        .using(default_solver)
        .with(constraint!(x <= 4))
        .with(constraint!(2 * y <= 12))
        .with(constraint!(3 * x + 2 * y <= 18))
        .solve()
        .unwrap_or_else(|e| panic!("HiGHS failed: {e}"));
    let (xv, yv) = (solution.value(x), solution.value(y));
    assert!(
        (xv - 2.0).abs() < 1e-6 && (yv - 6.0).abs() < 1e-6,
        "({xv}, {yv})"
    );
    assert!((3.0 * xv + 5.0 * yv - 36.0).abs() < 1e-6);
}
