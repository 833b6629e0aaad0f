//! Where the checkout is, so every task runs from any directory of it.

use std::path::{Path, PathBuf};

/// The workspace root: the parent of this crate's manifest folder, fixed at build time (as
/// rust-analyzer's xtask finds its project root). Defaults such as `compare.toml` and
/// `target/` resolve against it; paths a user types resolve against the current directory.
pub(crate) fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one folder below the workspace root")
        .to_path_buf()
}
