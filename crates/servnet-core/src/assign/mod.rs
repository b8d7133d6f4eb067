//! Batch assignment of a backlog of tickets to outlets: exact min-cost flow for unit
//! tickets, MIP (HiGHS) for the general case, heuristics with bounds, and [`assign`],
//! which builds the problem from the dispatcher's rules and picks among them.

pub mod flow;
pub mod gap;
pub mod mcf;
pub mod plan;
mod table;

pub use plan::{
    assign, compare_with_sequential, AssignOptions, AssignmentPlan, Method, PlanStatus,
    PlannedAssignment, RegionQuota, SequentialBaseline, UnassignedReason,
};
