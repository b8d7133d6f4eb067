//! servnet
