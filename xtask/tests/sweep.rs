//! `cargo xtask sweep` and `cargo xtask merge`, run as a user runs them: the built binary on a
//! twelve-point sweep of a 20-unit echo-state network, which takes milliseconds per point.

use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const POINTS: usize = 12;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sweep")
}

fn sweep_file() -> PathBuf {
    fixtures().join("tiny-sweep.toml")
}

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .output()
        .expect("the xtask binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: Output) -> Output {
    assert!(o.status.success(), "xtask failed:\n{}", stderr(&o));
    o
}

fn fails(o: Output) -> String {
    assert!(
        !o.status.success(),
        "xtask should have failed:\n{}",
        stderr(&o)
    );
    stderr(&o)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}

/// Runs the whole sweep in one go into `dir` and returns its table.
fn uninterrupted(dir: &Path, jobs: &str) -> Vec<u8> {
    ok(xtask(&[
        "sweep",
        s(&sweep_file()),
        "--out",
        s(dir),
        "--jobs",
        jobs,
    ]));
    std::fs::read(dir.join("table.csv")).expect("an unsharded sweep writes its table")
}

/// The point indices of a results file's records, in file order.
fn points_in(results: &Path) -> Vec<usize> {
    let text = std::fs::read_to_string(results).expect("results file");
    text.lines()
        .skip(1)
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            v["point"].as_u64().expect("a point index") as usize
        })
        .collect()
}

#[test]
fn killed_sweep_restarts_without_recomputing_finished_points() {
    let tmp = tempfile::tempdir().unwrap();
    let reference = uninterrupted(&tmp.path().join("reference"), "2");

    // Kill the sweep once five points are saved, while the other worker is mid-point.
    let dir = tmp.path().join("killed");
    let mut child = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args([
            "sweep",
            s(&sweep_file()),
            "--out",
            s(&dir),
            "--jobs",
            "2",
            "--hang-after",
            "5",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        let n = err.read_line(&mut line).unwrap();
        assert!(n > 0, "the sweep ended before saving 5 points:\n{seen}");
        seen.push_str(&line);
        if line.contains("--hang-after stops here") {
            break;
        }
    }
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success());

    let results = dir.join("points.jsonl");
    let before = std::fs::read(&results).unwrap();
    let done = points_in(&results);
    assert_eq!(done.len(), 5, "five points saved before the kill");
    assert!(!dir.join("table.csv").exists());

    // A point whose write the kill cut short: the restart must cut it off and run it again.
    let torn_point = (0..POINTS).find(|p| !done.contains(p)).unwrap();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&results)
        .unwrap();
    write!(f, "{{\"point\":{torn_point},\"seed\":0,\"par").unwrap();
    drop(f);

    let restart = ok(xtask(&["sweep", s(&sweep_file()), "--out", s(&dir)]));
    let log = stderr(&restart);
    assert!(log.contains("5 points already done"), "{log}");
    assert!(log.contains("computing 7 points"), "{log}");
    assert!(log.contains("computed 7 points"), "{log}");
    assert!(log.contains("cutting off a torn last line"), "{log}");

    // The lines written before the kill are untouched, and every point is in the file once:
    // nothing finished was computed again.
    let after = std::fs::read(&results).unwrap();
    assert_eq!(&after[..before.len()], &before[..]);
    let mut all = points_in(&results);
    assert_eq!(&all[..5], &done[..]);
    all.sort_unstable();
    assert_eq!(all, (0..POINTS).collect::<Vec<_>>());

    assert_eq!(
        std::fs::read(dir.join("table.csv")).unwrap(),
        reference,
        "the restarted sweep's table is the uninterrupted one's"
    );

    // Restarting a finished sweep computes nothing and writes the same table.
    let again = ok(xtask(&["sweep", s(&sweep_file()), "--out", s(&dir)]));
    assert!(
        stderr(&again).contains("12 points already done ("),
        "{}",
        stderr(&again)
    );
    assert!(stderr(&again).contains("computed 0 points"));
    assert_eq!(std::fs::read(dir.join("table.csv")).unwrap(), reference);
}

#[test]
fn two_shards_merged_equal_the_unsharded_sweep() {
    let tmp = tempfile::tempdir().unwrap();
    let unsharded = uninterrupted(&tmp.path().join("all"), "2");
    let table = String::from_utf8(unsharded.clone()).unwrap();
    assert_eq!(table.lines().count(), POINTS + 1);
    assert!(
        table.starts_with(
            "point,seed,substrate.leak_rate,substrate.spectral_radius,mse,nmse,nrmse,"
        )
    );
    assert!(table.contains("\n4,0,0.75,0.5,"), "{table}");

    // Both shards into one folder, one worker each: neither sharding nor thread count may
    // change a bit of the table.
    let dir = tmp.path().join("shards");
    for shard in ["0/2", "1/2"] {
        ok(xtask(&[
            "sweep",
            s(&sweep_file()),
            "--out",
            s(&dir),
            "--shard",
            shard,
            "--jobs",
            "1",
        ]));
    }
    assert!(!dir.join("table.csv").exists(), "a shard writes no table");
    let shard0 = dir.join("points-shard-0-of-2.jsonl");
    let shard1 = dir.join("points-shard-1-of-2.jsonl");
    assert!(points_in(&shard0).iter().all(|p| p % 2 == 0));
    assert!(points_in(&shard1).iter().all(|p| p % 2 == 1));

    // Given in either order.
    let merged = tmp.path().join("merged/table.csv");
    ok(xtask(&[
        "merge",
        s(&shard1),
        s(&shard0),
        "--out",
        s(&merged),
    ]));
    assert_eq!(std::fs::read(&merged).unwrap(), unsharded);

    let missing = fails(xtask(&["merge", s(&shard0), "--out", s(&merged)]));
    assert!(
        missing.contains("missing 6 of 12 points: 1, 3, 5, 7, 9, 11"),
        "{missing}"
    );
    let twice = fails(xtask(&[
        "merge",
        s(&shard0),
        s(&shard1),
        s(&shard0),
        "--out",
        s(&merged),
    ]));
    assert!(twice.contains("6 points are recorded twice"), "{twice}");
    assert!(twice.contains("point 0 is in"), "{twice}");

    // A shard of another sweep (another grid over the same base config) is refused.
    let other = tmp.path().join("other.toml");
    std::fs::write(
        &other,
        format!(
            "base = {:?}\n[grid]\nsubstrate.spectral_radius = [0.5, 0.9]\n",
            s(&fixtures().join("tiny-esn.toml"))
        ),
    )
    .unwrap();
    let other_dir = tmp.path().join("other");
    ok(xtask(&[
        "sweep",
        s(&other),
        "--out",
        s(&other_dir),
        "--shard",
        "1/2",
    ]));
    let other_shard = other_dir.join("points-shard-1-of-2.jsonl");
    let mixed = fails(xtask(&[
        "merge",
        s(&shard0),
        s(&other_shard),
        "--out",
        s(&merged),
    ]));
    assert!(mixed.contains("are results of different sweeps"), "{mixed}");

    // So is continuing another sweep's results file.
    std::fs::copy(&other_shard, &shard1).unwrap();
    let refused = fails(xtask(&[
        "sweep",
        s(&sweep_file()),
        "--out",
        s(&dir),
        "--shard",
        "1/2",
    ]));
    assert!(
        refused.contains("holds results of another sweep"),
        "{refused}"
    );
}

#[test]
fn sweeps_are_checked_before_any_point_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let base = fixtures().join("tiny-esn.toml");
    let write = |name: &str, body: &str| {
        let p = tmp.path().join(name);
        std::fs::write(&p, format!("base = {:?}\n{body}", s(&base))).unwrap();
        p
    };
    let out = tmp.path().join("out");

    // A misspelt substrate key fails before anything is written.
    let typo = write(
        "typo.toml",
        "[grid]\nsubstrate.spectral_radius = [0.5]\nsubstrate.leak_rat = [0.5, 1.0]\n",
    );
    let e = fails(xtask(&["sweep", s(&typo), "--out", s(&out)]));
    assert!(e.contains("unknown field `leak_rat`"), "{e}");
    assert!(
        !out.exists(),
        "nothing is written before every point is checked"
    );

    let section = write("section.toml", "[grid]\nsubstrat.units = [10]\n");
    let e = fails(xtask(&["sweep", s(&section), "--out", s(&out)]));
    assert!(e.contains("no [substrat] section"), "{e}");

    let unknown = write("unknown.toml", "seed = 3\n");
    let e = fails(xtask(&["sweep", s(&unknown), "--out", s(&out)]));
    assert!(e.contains("unknown field `seed`"), "{e}");

    // `seeds` sets the substrate's seed; a grid over the same key is a conflict.
    let twice = write(
        "twice.toml",
        "seeds = [0, 1]\n[grid]\nsubstrate.seed = [3, 4]\n",
    );
    let e = fails(xtask(&["sweep", s(&twice), "--out", s(&out)]));
    assert!(e.contains("substrate.seed conflicts with `seeds`"), "{e}");

    let single = write("single.toml", "[grid]\nsubstrate.units = 10\n");
    let e = fails(xtask(&["sweep", s(&single), "--out", s(&out)]));
    assert!(e.contains("give a list of values"), "{e}");

    let e = fails(xtask(&["sweep", s(&sweep_file()), "--shard", "5/4"]));
    assert!(e.contains("shards are numbered from 0 to 3"), "{e}");
    assert!(!out.exists());
}

#[test]
fn a_point_the_substrate_refuses_is_recorded_and_the_sweep_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let sweep = tmp.path().join("leak.toml");
    std::fs::write(
        &sweep,
        format!(
            "base = {:?}\n[grid]\nsubstrate.leak_rate = [0.0, 0.5]\n",
            s(&fixtures().join("tiny-esn.toml"))
        ),
    )
    .unwrap();
    let out = tmp.path().join("out");
    ok(xtask(&["sweep", s(&sweep), "--out", s(&out)]));
    let table = std::fs::read_to_string(out.join("table.csv")).unwrap();
    let rows: Vec<&str> = table.lines().collect();
    // The ESN has an energy model, so its points carry their energy.
    assert_eq!(
        rows[0],
        "point,substrate.leak_rate,mse,nmse,nrmse,energy_joules,error"
    );
    assert_eq!(rows[1], "0,0.0,,,,,invalid parameter");
    assert!(
        rows[2].starts_with("1,0.5,") && rows[2].ends_with(','),
        "{table}"
    );
    let results = std::fs::read_to_string(out.join("points.jsonl")).unwrap();
    assert!(
        results.contains("leak_rate"),
        "the message is kept: {results}"
    );
}
