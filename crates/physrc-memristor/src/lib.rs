//! physrc-memristor (under construction).
#![deny(missing_docs)]
