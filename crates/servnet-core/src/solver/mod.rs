//! What the optimisation code of [`crate::assign`] and [`crate::plan::location`] shares:
//! how a solve ended ([`SolveStatus`]), the one HiGHS driver, and the step schedule of
//! their subgradient (Lagrangian) bounds, and the live figures a progress bar shows.

pub(crate) mod highs_driver;
pub(crate) mod progress;
mod status;
pub(crate) mod subgradient;

pub(crate) use status::snake_case as status_snake_case;
pub use status::SolveStatus;
