//! physrc-nanomagnet (under construction).
#![deny(missing_docs)]
