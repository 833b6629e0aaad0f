//! physrc-tasks (under construction).
#![deny(missing_docs)]
