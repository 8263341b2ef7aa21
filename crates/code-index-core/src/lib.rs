//! The code-index core.
pub mod extract;
pub mod language;
pub mod model;
