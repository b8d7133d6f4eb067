//! Batch assignment of a backlog of tickets to outlets: exact min-cost flow for unit
//! tickets, MIP (good_lp + HiGHS) for the general case, heuristics with bounds.

pub mod flow;
pub mod gap;
pub(crate) mod rng;
