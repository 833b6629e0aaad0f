//! `cargo xtask peers` refuses unknown comparison names before it builds, installs or runs
//! anything.

use std::process::Command;

#[test]
fn an_unknown_name_fails_at_once_and_lists_the_known_ones() {
    // A results folder that must still be absent afterwards shows that nothing was prepared.
    let results = std::env::temp_dir().join(format!("xtask-peers-test-{}", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["peers", "narma10", "nosuch", "--results"])
        .arg(&results)
        .output()
        .expect("the xtask binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "exit status {}", out.status);
    assert!(stderr.contains("unknown comparison \"nosuch\""), "{stderr}");
    for name in ["narma10", "ridge", "flatspin", "floor"] {
        assert!(stderr.contains(name), "{name} missing from: {stderr}");
    }
    assert!(!results.exists(), "{} was created", results.display());
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
