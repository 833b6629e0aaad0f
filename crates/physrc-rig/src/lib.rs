//! Placeholder while the crate is written.
#![deny(missing_docs)]
