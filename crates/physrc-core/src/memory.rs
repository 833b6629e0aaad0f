//! Memory estimates checked against a budget before a substrate allocates.
//!
//! A configuration can ask for any size: ten billion cells, a dense matrix of a million
//! units. Allocating first and failing later aborts the whole process (Rust's allocator does
//! not return an error), so a sweep loses every other point and the user gets no message
//! naming the key. Each substrate therefore estimates, from its configuration alone, the bytes
//! its largest allocations will take and refuses with a [`MemoryError`] naming the key when the
//! estimate exceeds the [`MemoryBudget`] it was given.
//!
//! The core does no I/O, so it does not know what the machine has: the caller passes the
//! budget in (the `physrc` facade reads the memory the operating system reports as
//! available). [`MemoryBudget::UNLIMITED`] checks nothing and leaves only the fixed upper
//! bounds each substrate documents for its size keys.
//!
//! Estimates are upper bounds of the peak, rounded generously: they exist to refuse sizes that
//! cannot possibly fit, not to account for every byte.

use std::fmt;

use crate::{ErrorKind, HasErrorKind};

/// The memory a configuration may use, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MemoryBudget {
    bytes: u64,
}

impl MemoryBudget {
    /// No limit: [`check`](Self::check) always passes.
    pub const UNLIMITED: MemoryBudget = MemoryBudget { bytes: u64::MAX };

    /// A budget of `bytes` bytes.
    pub const fn bytes(bytes: u64) -> Self {
        MemoryBudget { bytes }
    }

    /// The budget in bytes (`u64::MAX` when unlimited).
    pub const fn get(self) -> u64 {
        self.bytes
    }

    /// Whether this is [`MemoryBudget::UNLIMITED`].
    pub const fn is_unlimited(self) -> bool {
        self.bytes == u64::MAX
    }

    /// Checks an estimate against the budget.
    ///
    /// `key` is the configuration key whose value drives the estimate and `value` that value
    /// as written, so the message tells the user what to change.
    ///
    /// # Errors
    ///
    /// [`MemoryError`] when `needed` exceeds the budget.
    pub fn check(
        self,
        key: &'static str,
        value: impl fmt::Display,
        needed: u64,
    ) -> Result<(), MemoryError> {
        if needed <= self.bytes {
            Ok(())
        } else {
            Err(MemoryError {
                key,
                value: value.to_string(),
                needed,
                available: self.bytes,
            })
        }
    }
}

impl Default for MemoryBudget {
    fn default() -> Self {
        MemoryBudget::UNLIMITED
    }
}

/// Bytes of `count` values of `bytes_each` bytes, saturating at `u64::MAX` instead of
/// overflowing, so an absurd size gives an absurd estimate rather than a wrapped small one.
pub fn bytes_for(count: u64, bytes_each: u64) -> u64 {
    count.saturating_mul(bytes_each)
}

/// A configuration needs more memory than its budget allows; nothing was allocated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{key}` = {value} needs an estimated {} of memory, more than the {} available",
    Bytes(*needed),
    Bytes(*available)
)]
pub struct MemoryError {
    /// The configuration key whose value drives the estimate.
    pub key: &'static str,
    /// Its value, as written.
    pub value: String,
    /// The estimate, bytes.
    pub needed: u64,
    /// The budget, bytes.
    pub available: u64,
}

impl HasErrorKind for MemoryError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::InsufficientMemory
    }
}

/// A byte count in binary units, e.g. `2.2 TiB`.
struct Bytes(u64);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [&str; 7] = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        if self.0 < 1024 {
            return write!(f, "{} bytes", self.0);
        }
        let mut v = self.0 as f64;
        let mut unit = 0;
        while v >= 1024.0 && unit < UNITS.len() - 1 {
            v /= 1024.0;
            unit += 1;
        }
        write!(f, "{v:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_key_value_and_both_sizes() {
        let e = MemoryBudget::bytes(24 << 30)
            .check("units", 300_000, 2_160_000_000_000)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "`units` = 300000 needs an estimated 2.0 TiB of memory, more than the 24.0 GiB available"
        );
        assert_eq!(e.kind(), ErrorKind::InsufficientMemory);
    }

    #[test]
    fn estimates_within_the_budget_pass_and_unlimited_passes_everything() {
        assert!(MemoryBudget::bytes(100).check("k", 1, 100).is_ok());
        assert!(MemoryBudget::bytes(100).check("k", 1, 101).is_err());
        assert!(MemoryBudget::UNLIMITED.check("k", 1, u64::MAX).is_ok());
        assert_eq!(bytes_for(u64::MAX, 8), u64::MAX);
        assert_eq!(Bytes(512).to_string(), "512 bytes");
        assert_eq!(Bytes(1536).to_string(), "1.5 KiB");
    }
}
