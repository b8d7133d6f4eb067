//! Facility location instances for measurements: the OR-Library `cap*` and `pmed*`
//! readers ([`orlib`]) and a seeded generator of spatially realistic instances
//! ([`synth`]). Both build [`crate::plan::location::LocationInstance`]s for the models
//! in [`crate::plan::location`].

pub mod orlib;
pub mod synth;
