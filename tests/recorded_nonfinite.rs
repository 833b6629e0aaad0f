//! Recorded states as a lab brings them: dead channels and dropped sweeps leave NaN in
//! measured spectra. By default such a file is refused, naming the row and column;
//! `drop_nonfinite = true` leaves those channels out and reports them. The states are read
//! from the file as the run consumes them, so the file's layout and element type, a log and the
//! thread count must not change a bit of the result.

use std::path::Path;

use ndarray::{Array2, ShapeBuilder, s};
use ndarray_npy::write_npy;
use physrc::config::RunConfig;
use physrc::experiment::{self, LogOptions, Outcome, RunOptions, Series};
use physrc::npy::MatrixReader;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const ROWS: usize = 600;

/// `rows × n` states drawn uniformly from [−1, 1].
fn noise(rows: usize, n: usize, seed: u64) -> Array2<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Array2::from_shape_fn((rows, n), |_| rng.random_range(-1.0..1.0))
}

/// A target that is an affine function of the finite channels 0, 1 and 3 only.
fn target_of(x: &Array2<f64>) -> Array2<f64> {
    Array2::from_shape_fn((x.nrows(), 1), |(t, _)| {
        0.5 * x[[t, 0]] - 1.5 * x[[t, 1]] + 2.0 * x[[t, 3]] + 0.25
    })
}

fn config(extra: &str) -> String {
    format!(
        "[substrate]\nkind = \"recorded\"\nstates = \"states.npy\"\n{extra}\n\
         [data]\ntargets = \"targets.npy\"\n\
         [split]\nwashout = 50\ntrain = 350\ntest = 200\n\
         [readout]\nkind = \"ridge\"\nalpha = 1e-12\n"
    )
}

fn run(dir: &Path, text: &str) -> Result<Outcome, physrc::RunError> {
    let cfg = RunConfig::from_toml_str(text, dir, "recorded.toml")?;
    experiment::run(&cfg)
}

fn values(s: &Series) -> &Array2<f64> {
    match s {
        Series::Values(v) => v,
        Series::Labels(_) => panic!("a ridge readout predicts values"),
    }
}

fn same_bits(a: &Array2<f64>, b: &Array2<f64>) -> bool {
    a.dim() == b.dim() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// Six channels; channel 2 is dead (NaN from row 100 on) and channel 5 saturated once (+inf).
fn write_with_dead_channels(dir: &Path) -> Array2<f64> {
    let mut x = noise(ROWS, 6, 1);
    let y = target_of(&x);
    x.slice_mut(s![100.., 2]).fill(f64::NAN);
    x[[420, 5]] = f64::INFINITY;
    write_npy(dir.join("states.npy"), &x).unwrap();
    write_npy(dir.join("targets.npy"), &y).unwrap();
    x
}

#[test]
fn a_nonfinite_state_is_refused_by_default_naming_its_row_column_and_the_option() {
    let dir = tempfile::tempdir().unwrap();
    write_with_dead_channels(dir.path());
    let msg = run(dir.path(), &config("")).unwrap_err().to_string();
    assert!(
        msg.contains("states.npy")
            && msg.contains("row 100, column 2")
            && msg.contains("not finite (NaN)")
            && msg.contains("drop_nonfinite = true"),
        "{msg}"
    );
}

#[test]
fn drop_nonfinite_leaves_out_the_channels_with_nan_or_inf_and_reports_them() {
    let dir = tempfile::tempdir().unwrap();
    write_with_dead_channels(dir.path());
    let out = run(dir.path(), &config("drop_nonfinite = true")).unwrap();
    let rec = out
        .report
        .recorded
        .as_ref()
        .expect("a recorded run reports what it read");
    assert_eq!(rec.channels, 6);
    assert_eq!(rec.dropped_channels, [2, 5]);
    assert_eq!(rec.dropped_values, (ROWS - 100) + 1);
    assert_eq!(out.report.state_dim, 4);
    assert_eq!(out.report.readout.features, 4);
    // The target lives on the channels that were kept, so it is read out to rounding.
    assert!(
        out.report.metrics["nrmse"] < 1e-9,
        "{:?}",
        out.report.metrics
    );

    // The same run on a file holding only the kept channels gives the same bits.
    let x = write_with_dead_channels(dir.path());
    let kept = ndarray::concatenate(
        ndarray::Axis(1),
        &[x.slice(s![.., 0..2]), x.slice(s![.., 3..5])],
    )
    .unwrap();
    write_npy(dir.path().join("kept.npy"), &kept).unwrap();
    let direct = run(dir.path(), &config("").replace("states.npy", "kept.npy")).unwrap();
    assert!(same_bits(
        values(&out.predictions),
        values(&direct.predictions)
    ));
    assert_eq!(
        direct.report.recorded.as_ref().unwrap().dropped_channels,
        Vec::<usize>::new()
    );

    let json = serde_json::to_value(&out.report).unwrap();
    assert_eq!(
        json["recorded"]["dropped_channels"],
        serde_json::json!([2, 5])
    );
}

#[test]
fn only_the_rows_the_run_uses_are_checked_and_scanned() {
    let dir = tempfile::tempdir().unwrap();
    // 700 rows, of which the split uses 600: a NaN in row 650 is never read.
    let mut x = noise(ROWS + 100, 6, 2);
    let y = target_of(&x);
    x[[650, 4]] = f64::NAN;
    write_npy(dir.path().join("states.npy"), &x).unwrap();
    write_npy(dir.path().join("targets.npy"), &y).unwrap();
    let plain = run(dir.path(), &config("")).unwrap();
    let dropping = run(dir.path(), &config("drop_nonfinite = true")).unwrap();
    assert!(
        dropping
            .report
            .recorded
            .unwrap()
            .dropped_channels
            .is_empty()
    );
    assert_eq!(dropping.report.state_dim, 6);
    assert!(same_bits(
        values(&plain.predictions),
        values(&dropping.predictions)
    ));
}

#[test]
fn a_recording_without_a_finite_channel_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut x = noise(ROWS, 6, 3);
    let y = target_of(&x);
    // A dropped sweep: the whole row is NaN, so every channel holds one.
    x.row_mut(300).fill(f64::NAN);
    write_npy(dir.path().join("states.npy"), &x).unwrap();
    write_npy(dir.path().join("targets.npy"), &y).unwrap();
    let msg = run(dir.path(), &config("drop_nonfinite = true"))
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("states.npy") && msg.contains("every one of the 6 channels"),
        "{msg}"
    );
}

#[test]
fn drop_nonfinite_must_be_a_boolean() {
    let dir = tempfile::tempdir().unwrap();
    write_with_dead_channels(dir.path());
    let msg = run(dir.path(), &config("drop_nonfinite = \"yes\""))
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("drop_nonfinite") || msg.contains("bool"),
        "{msg}"
    );
}

/// float32, int32 and Fortran-order files hold the same values as the float64 C-order file
/// numpy writes by default; each is read to the same states, so the runs agree bit for bit.
#[test]
fn every_layout_and_element_type_reads_to_the_same_states() {
    let dir = tempfile::tempdir().unwrap();
    // Multiples of 1/8 in [−4, 4] are exact in every element type below.
    let x = noise(ROWS, 6, 4).mapv(|v| (v * 32.0).round() / 8.0);
    write_npy(dir.path().join("targets.npy"), &target_of(&x)).unwrap();
    let reference = {
        write_npy(dir.path().join("states.npy"), &x).unwrap();
        run(dir.path(), &config("")).unwrap()
    };
    let mut fortran = Array2::zeros((ROWS, 6).f());
    fortran.assign(&x);
    write_npy(dir.path().join("states.npy"), &fortran).unwrap();
    let f = run(dir.path(), &config("")).unwrap();
    write_npy(dir.path().join("states.npy"), &x.mapv(|v| v as f32)).unwrap();
    let f32 = run(dir.path(), &config("")).unwrap();
    write_npy(dir.path().join("states.npy"), &x.mapv(|v| (v * 8.0) as i32)).unwrap();
    let ints = run(dir.path(), &config("")).unwrap();
    let p = values(&reference.predictions);
    assert!(same_bits(p, values(&f.predictions)));
    assert!(same_bits(p, values(&f32.predictions)));
    // The integers are the states scaled by 8; a ridge with (almost) no penalty follows.
    let scaled = values(&ints.predictions);
    let worst = p
        .iter()
        .zip(scaled)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(worst < 1e-9, "{worst:e}");
}

/// The reader hands out any range of rows, in any order, across its internal blocks.
#[test]
fn the_reader_gives_the_rows_asked_for_in_any_order() {
    let dir = tempfile::tempdir().unwrap();
    // Rows of 40 KB, so a block of 256 KiB holds six of them and ranges cross blocks.
    let x = noise(50, 5_000, 5);
    let path = dir.path().join("wide.npy");
    write_npy(&path, &x).unwrap();
    let mut r = MatrixReader::open(&path, "states").unwrap();
    assert_eq!((r.nrows(), r.ncols()), (50, 5_000));
    for range in [30..50, 0..13, 13..14, 7..29, 50..50] {
        let mut v = Vec::new();
        assert_eq!(r.read_rows(range.clone(), None, &mut v).unwrap(), None);
        let want = x.slice(s![range, ..]);
        assert!(
            v.iter()
                .zip(want.iter())
                .all(|(a, b)| a.to_bits() == b.to_bits())
        );
        assert_eq!(v.len(), want.len());
    }
    // Rows are appended to what the vector holds.
    let mut v = vec![-1.0];
    r.read_rows(3..5, None, &mut v).unwrap();
    assert_eq!(v[0], -1.0);
    assert_eq!(
        &v[1..],
        x.slice(s![3..5, ..]).iter().copied().collect::<Vec<_>>()
    );
    let mut v = Vec::new();
    r.read_rows(10..12, Some(&[4_999, 0, 17][..]), &mut v)
        .unwrap();
    assert_eq!(
        v,
        [
            x[[10, 4_999]],
            x[[10, 0]],
            x[[10, 17]],
            x[[11, 4_999]],
            x[[11, 0]],
            x[[11, 17]]
        ]
    );
    assert!(r.read_rows(40..51, None, &mut v).is_err());
    assert!(r.read_rows(0..1, Some(&[5_000][..]), &mut v).is_err());
}

#[test]
fn a_truncated_states_file_is_refused_when_opened() {
    let dir = tempfile::tempdir().unwrap();
    write_with_dead_channels(dir.path());
    let path = dir.path().join("states.npy");
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 8]).unwrap();
    let msg = run(dir.path(), &config("")).unwrap_err().to_string();
    assert!(
        msg.contains("states.npy") && msg.contains("needs 28800 bytes") && msg.contains("28792"),
        "{msg}"
    );
}

/// A run that keeps a log steps one row at a time; it reads the same states.
#[test]
fn a_logged_recorded_run_gives_the_bits_of_an_unlogged_one() {
    let dir = tempfile::tempdir().unwrap();
    write_with_dead_channels(dir.path());
    let cfg = RunConfig::from_toml_str(
        &config("drop_nonfinite = true"),
        dir.path(),
        "recorded.toml",
    )
    .unwrap();
    let plain = experiment::run(&cfg).unwrap();
    let opts = RunOptions {
        log: Some(LogOptions::new(dir.path().join("run.log"))),
        ..RunOptions::default()
    };
    let logged = experiment::run_with(&cfg, &opts).unwrap();
    assert!(same_bits(
        values(&plain.predictions),
        values(&logged.predictions)
    ));
}

/// Recorded states give the readout every thread of the caller's pool (there is no substrate
/// to leave a core to); its products split their output, never a sum, so the bits are those of
/// one thread. 120 channels make each 1,024-row chunk's Gram product large enough to run in
/// parallel.
#[test]
fn a_recorded_run_is_the_same_bits_on_one_thread_or_two() {
    let dir = tempfile::tempdir().unwrap();
    let x = noise(3_000, 120, 6);
    let y = Array2::from_shape_fn((3_000, 2), |(t, k)| {
        x.row(t).iter().skip(k).step_by(3).sum::<f64>().sin()
    });
    write_npy(dir.path().join("states.npy"), &x).unwrap();
    write_npy(dir.path().join("targets.npy"), &y).unwrap();
    let text = "[substrate]\nkind = \"recorded\"\nstates = \"states.npy\"\n\
                [data]\ntargets = \"targets.npy\"\n\
                [split]\nwashout = 100\ntrain = 2500\ntest = 400\n\
                [readout]\nkind = \"ridge\"\nalpha = 1e-6\n";
    let cfg = RunConfig::from_toml_str(text, dir.path(), "recorded.toml").unwrap();
    let run_in = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| experiment::run(&cfg).unwrap())
    };
    let (one, two) = (run_in(1), run_in(2));
    assert!(same_bits(
        values(&one.predictions),
        values(&two.predictions)
    ));
}
