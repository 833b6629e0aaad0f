//! physrc-readout (under construction).
#![deny(missing_docs)]
