//! servnet engine.
