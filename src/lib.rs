//! physrc facade.
#![deny(missing_docs)]
