//! The output folder of a run, checked before the first step.
//!
//! A run that can only find out at the end that its `--out` is a file, or not writable, has
//! wasted the run; a run that writes into a folder holding another run's outputs leaves a mix
//! of two runs (a `states.npy` of the old run next to the new `report.json`). So the folder is
//! created and probed first, and another run's outputs are refused unless the user says
//! `--force`, which removes them before anything is written.

use std::path::Path;

use crate::error::RunError;

/// The files `physrc run` writes.
pub const RUN_OUTPUTS: [&str; 4] = [
    "report.json",
    "predictions.npy",
    "targets.npy",
    "states.npy",
];

/// The files `physrc predict` writes.
pub const PREDICT_OUTPUTS: [&str; 2] = ["predict.json", "predictions.npy"];

/// Makes `dir` ready for outputs named in `outputs` (and, for a run, its saved setup):
/// creates it, checks it is a writable folder, and refuses one that already holds any of
/// those files unless `force`, in which case they are removed.
///
/// # Errors
///
/// [`RunError::Output`] when `dir` is a file, cannot be created or written, or holds outputs
/// of another run without `force`; [`RunError::Io`] when an old output cannot be removed.
pub fn prepare(dir: &Path, outputs: &[&str], force: bool) -> Result<(), RunError> {
    let err = |message: String| RunError::Output {
        path: dir.to_path_buf(),
        message,
    };
    if dir.exists() && !dir.is_dir() {
        return Err(err(
            "is a file, not a folder; give a folder for the outputs".into(),
        ));
    }
    std::fs::create_dir_all(dir).map_err(|e| err(format!("cannot create the folder: {e}")))?;
    let present: Vec<&str> = outputs
        .iter()
        .chain(crate::model::FILES.iter())
        .copied()
        .filter(|f| dir.join(f).exists())
        .collect();
    if !present.is_empty() && !force {
        return Err(err(format!(
            "holds the outputs of another run ({}); choose another folder or pass --force to \
             replace them",
            present.join(", ")
        )));
    }
    for f in present {
        let p = dir.join(f);
        std::fs::remove_file(&p).map_err(|source| RunError::Io { path: p, source })?;
    }
    // Probe that the folder takes files now, not after an hour of running.
    let probe = dir.join(".physrc-write-probe");
    std::fs::write(&probe, b"").map_err(|e| err(format!("is not writable: {e}")))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}
