//! Capacity planning: demand forecast, staffing, outlet location, scenarios, simulation.
//!
//! The chain: [`forecast::forecast`] (installed base x repair curves + sales plan ->
//! tickets per region x skill x year, peak month and day) -> [`network_plan::plan_network`]
//! (keep / close / open outlets with a [`location`] model, sized with [`staffing`]) ->
//! [`simulate::simulate`] (dispatch a drawn peak month against the plan) ->
//! [`scenario::compare`] (the chain under changed inputs, side by side).

pub mod curves;
pub mod forecast;
pub mod location;
pub mod network_plan;
pub mod scenario;
pub mod simulate;
mod sites_table;
pub mod staffing;
