//! Capacity planning: demand forecast, demand cells, outlet location, frontier, replay,
//! staffing, scenarios, simulation.
//!
//! The chain: [`forecast::forecast`] (installed base x repair curves + sales plan ->
//! tickets per region x skill x year, peak month and day) -> [`demand::demand_cells`]
//! (each region's demand on H3 cells, from ticket history and population points) ->
//! [`network_plan::plan_network`] (sparse candidate x cell pairs, a
//! [`frontier`] of outlet counts solved with [`location::sparse`], the recommended
//! count, keep / grow / shrink / close / open decisions sized with [`staffing`]) ->
//! [`replay`] (the real tickets dispatched against the plan and today's network) ->
//! [`simulate::simulate`] (a drawn peak month) -> [`scenario::compare`] (the chain
//! under changed inputs, side by side).

mod candidates;
pub mod cells_table;
pub mod curves;
pub mod demand;
mod evaluate;
pub mod forecast;
pub mod frontier;
pub mod location;
pub mod network_plan;
pub mod packages;
mod plan_build;
pub mod replay;
pub mod scenario;
pub mod service_cost;
pub mod simulate;
mod sites_table;
pub mod staffing;
