//! physrc-oscillator (under construction).
#![deny(missing_docs)]
