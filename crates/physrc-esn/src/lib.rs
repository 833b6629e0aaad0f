//! physrc-esn (under construction).
#![deny(missing_docs)]
