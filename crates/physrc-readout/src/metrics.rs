//! Metrics (under construction).
