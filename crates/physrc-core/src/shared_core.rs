//! The second core a substrate shares with its caller's readout.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A signal from the caller that says when the processor's second core is busy with other
/// work of the same run, so that a substrate able to split its step over two threads uses the
/// core only while it is free.
///
/// The experiment runner trains the readout on one core while the substrate produces the next
/// states on another. A readout update takes milliseconds and leaves the core idle between
/// updates, in the test part and in the washout; a step that splits whenever the core is free
/// and stays on one thread while the readout works fills those gaps without competing with
/// it. Two threads fighting over a busy core would instead slow both: an ESN of 1,000 units
/// splitting every step took longer, not shorter, beside the training readout.
///
/// Clones share the signal. It is advisory: it changes which thread does the work, never the
/// result, so a substrate may read it at any step.
#[derive(Debug, Clone, Default)]
pub struct SharedCore(Arc<AtomicBool>);

impl SharedCore {
    /// A signal that starts free.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the core is busy now.
    #[inline]
    pub fn is_busy(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// Marks the core busy or free.
    #[inline]
    pub fn set_busy(&self, busy: bool) {
        self.0.store(busy, Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_the_signal() {
        let core = SharedCore::new();
        let seen = core.clone();
        assert!(!seen.is_busy());
        core.set_busy(true);
        assert!(seen.is_busy());
        core.set_busy(false);
        assert!(!seen.is_busy());
    }
}
