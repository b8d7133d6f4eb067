//! Capacity planning: demand forecast, staffing, outlet location, scenarios, simulation.

pub mod forecast;
pub mod location;
pub mod staffing;
