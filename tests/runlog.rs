//! The run log: a log torn or corrupted anywhere is recovered to its last complete step, a
//! resumed run gives the bits of an uninterrupted one, and a log of another run is refused.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ndarray::{Array2, ArrayView2};
use ndarray_npy::{read_npy, write_npy};
use physrc::config::RunConfig;
use physrc::experiment::{self, LogOptions, Outcome, RunOptions};
use physrc::runlog::{self, LogReader, LogWriter, Record, Status};
use physrc::{ErrorKind, HasErrorKind, RunError};
use physrc_core::{Error, Info, Reservoir, check_input};

/// T = 60 steps of one input in [-1, 1] and one target.
fn write_data(dir: &Path) {
    let u = Array2::from_shape_fn((60, 1), |(t, _)| ((t as f64) * 0.37).sin());
    let y = Array2::from_shape_fn((60, 1), |(t, _)| ((t as f64) * 0.37 + 0.37).sin());
    write_npy(dir.join("u.npy"), &u).unwrap();
    write_npy(dir.join("y.npy"), &y).unwrap();
}

const CONFIG: &str = r#"
[substrate]
kind = "esn"
units = 20
spectral_radius = 0.9
seed = 1

[data]
inputs = "u.npy"
targets = "y.npy"
normalize = false

[split]
washout = 10
train = 30
test = 20

[output]
states = true
"#;

fn cfg(dir: &Path, text: &str) -> RunConfig {
    RunConfig::from_toml_str(text, dir, "test.toml").unwrap()
}

fn logged(log: &Path, resume: bool) -> RunOptions {
    RunOptions {
        log: Some(LogOptions {
            resume,
            ..LogOptions::new(log)
        }),
        ..RunOptions::default()
    }
}

fn bits(a: ArrayView2<'_, f64>) -> Vec<u64> {
    a.iter().map(|v| v.to_bits()).collect()
}

fn predictions(o: &Outcome) -> Vec<u64> {
    match &o.predictions {
        experiment::Series::Values(v) => bits(v.view()),
        experiment::Series::Labels(_) => panic!("a regression run"),
    }
}

/// Asserts that two outcomes are the same bits: metrics, predictions, states.
fn assert_same(a: &Outcome, b: &Outcome) {
    assert_eq!(a.report.metrics, b.report.metrics);
    assert_eq!(a.report.train_metrics, b.report.train_metrics);
    assert_eq!(predictions(a), predictions(b));
    assert_eq!(
        bits(a.states.as_ref().unwrap().view()),
        bits(b.states.as_ref().unwrap().view())
    );
}

/// Byte offsets of every record of a log, with the record.
fn records(log: &Path) -> Vec<(u64, Record)> {
    let mut r = LogReader::open(log).unwrap();
    let mut out = Vec::new();
    while let Some(x) = r.next_record().unwrap() {
        out.push(x);
    }
    assert!(r.torn_tail().is_none());
    out
}

/// A complete log of the test config, its uninterrupted outcome, and the log's bytes.
fn reference(dir: &Path) -> (PathBuf, Outcome, Vec<u8>) {
    write_data(dir);
    let log = dir.join("full.log");
    let o = experiment::run_with(&cfg(dir, CONFIG), &logged(&log, false)).unwrap();
    let bytes = std::fs::read(&log).unwrap();
    (log, o, bytes)
}

#[test]
fn a_logged_run_is_the_bits_of_an_unlogged_one_and_logs_every_step() {
    let dir = tempfile::tempdir().unwrap();
    let (log, logged_run, _) = reference(dir.path());
    let plain = experiment::run(&cfg(dir.path(), CONFIG)).unwrap();
    assert_same(&plain, &logged_run);
    assert!(plain.report.log.is_none());
    let l = logged_run.report.log.as_ref().unwrap();
    assert_eq!((l.steps_resumed, l.discarded_bytes), (0, 0));

    let c = runlog::read(&log).unwrap();
    let start = c.start.unwrap();
    assert_eq!((start.steps, start.input_dim, start.state_dim), (60, 1, 20));
    assert_eq!(start.seed, Some(1));
    assert!(start.config.contains("units = 20"), "{}", start.config);
    assert_eq!(c.steps.len(), 60);
    let states = logged_run.states.as_ref().unwrap();
    let u: Array2<f64> = read_npy(dir.path().join("u.npy")).unwrap();
    for (t, s) in c.steps.iter().enumerate() {
        assert_eq!(s.index, t as u64);
        assert_eq!(s.input, vec![u[[t, 0]]]);
        assert!(s.drive.is_empty(), "the ESN reports no drive");
        assert_eq!(s.state, states.row(t).to_vec());
    }
    assert!(c.stopped);
    assert_eq!(c.stops.len(), 1);
    assert_eq!(c.stops[0].status, Status::Success);
    assert_eq!(c.stops[0].steps, 60);
}

#[test]
fn a_log_cut_at_every_byte_of_its_last_step_resumes_from_the_step_before() {
    let dir = tempfile::tempdir().unwrap();
    let (log, full, bytes) = reference(dir.path());
    let recs = records(&log);
    // A run killed after step 59 was written but before its stop record: the last record is
    // step 59. Cut it at every byte, from its first byte to its last.
    let (last_step, stop_at) = (recs[recs.len() - 2].0, recs[recs.len() - 1].0);
    assert!(matches!(recs[recs.len() - 2].1, Record::Step(ref s) if s.index == 59));
    let cut_log = dir.path().join("cut.log");
    for cut in last_step..stop_at {
        std::fs::write(&cut_log, &bytes[..cut as usize]).unwrap();

        let mut r = LogReader::open(&cut_log).unwrap();
        let mut steps = 0;
        while let Some((_, rec)) = r.next_record().unwrap() {
            steps += usize::from(matches!(rec, Record::Step(_)));
        }
        assert_eq!(steps, 59, "cut at byte {cut}");
        assert_eq!(r.valid_len(), last_step, "cut at byte {cut}");
        assert_eq!(
            r.torn_tail().is_some(),
            cut > last_step,
            "cut at byte {cut}"
        );

        let o = experiment::run_with(&cfg(dir.path(), CONFIG), &logged(&cut_log, true))
            .unwrap_or_else(|e| panic!("cut at byte {cut}: {e}"));
        assert_same(&full, &o);
        let l = o.report.log.as_ref().unwrap();
        assert_eq!(l.steps_resumed, 59, "cut at byte {cut}");
        assert_eq!(l.discarded_bytes, cut - last_step, "cut at byte {cut}");
        // The resumed log holds the same steps as the uninterrupted one, and its own stop.
        let resumed = std::fs::read(&cut_log).unwrap();
        assert_eq!(resumed[..stop_at as usize], bytes[..stop_at as usize]);
        assert_eq!(runlog::read(&cut_log).unwrap().stops.len(), 1);
    }
}

#[test]
fn a_log_cut_inside_its_stop_record_resumes_with_every_step_logged() {
    let dir = tempfile::tempdir().unwrap();
    let (log, full, bytes) = reference(dir.path());
    let stop_at = records(&log).last().unwrap().0 as usize;
    let cut_log = dir.path().join("cut.log");
    for cut in [stop_at, stop_at + 1, stop_at + 9, bytes.len() - 1] {
        std::fs::write(&cut_log, &bytes[..cut]).unwrap();
        let o = experiment::run_with(&cfg(dir.path(), CONFIG), &logged(&cut_log, true)).unwrap();
        assert_same(&full, &o);
        assert_eq!(o.report.log.as_ref().unwrap().steps_resumed, 60);
    }
}

#[test]
fn a_corrupted_crc_in_the_middle_cuts_the_log_there() {
    let dir = tempfile::tempdir().unwrap();
    let (log, full, bytes) = reference(dir.path());
    let recs = records(&log);
    // Record 0 is the start; record 11 is step 10.
    let at = recs[11].0 as usize;
    for (what, byte) in [("a payload byte", at + 8 + 20), ("the stored crc", at + 5)] {
        let mut bad = bytes.clone();
        bad[byte] ^= 0x10;
        let cut_log = dir.path().join("bad.log");
        std::fs::write(&cut_log, &bad).unwrap();
        let c = runlog::read(&cut_log).unwrap();
        assert_eq!(c.steps.len(), 10, "{what}");
        let torn = c.torn_tail.unwrap();
        assert_eq!(torn.offset, at as u64, "{what}");
        assert!(torn.reason.contains("CRC"), "{what}: {}", torn.reason);

        let o = experiment::run_with(&cfg(dir.path(), CONFIG), &logged(&cut_log, true)).unwrap();
        assert_same(&full, &o);
        let l = o.report.log.as_ref().unwrap();
        assert_eq!(l.steps_resumed, 10, "{what}");
        assert_eq!(l.discarded_bytes, (bytes.len() - at) as u64, "{what}");
        let resumed = runlog::read(&cut_log).unwrap();
        assert_eq!(resumed.steps, runlog::read(&log).unwrap().steps, "{what}");
    }
    // A length beyond any record is read as the torn tail too.
    let mut bad = bytes.clone();
    bad[at + 3] = 0x7f;
    std::fs::write(dir.path().join("len.log"), &bad).unwrap();
    let c = runlog::read(&dir.path().join("len.log")).unwrap();
    assert_eq!(c.steps.len(), 10);
    assert!(c.torn_tail.unwrap().reason.contains("length"));
}

#[test]
fn a_log_torn_in_its_signature_or_start_record_starts_afresh() {
    let dir = tempfile::tempdir().unwrap();
    let (log, full, bytes) = reference(dir.path());
    let first_step = records(&log)[1].0 as usize;
    let cut_log = dir.path().join("cut.log");
    for cut in [1, 7, 8, 9, 20, first_step - 1, first_step] {
        std::fs::write(&cut_log, &bytes[..cut]).unwrap();
        let o = experiment::run_with(&cfg(dir.path(), CONFIG), &logged(&cut_log, true)).unwrap();
        assert_same(&full, &o);
        assert_eq!(o.report.log.as_ref().unwrap().steps_resumed, 0);
        assert_eq!(
            runlog::read(&cut_log).unwrap().steps,
            runlog::read(&log).unwrap().steps,
            "cut at byte {cut}"
        );
    }
}

#[test]
fn a_finished_log_is_recomputed_without_touching_it() {
    let dir = tempfile::tempdir().unwrap();
    let (log, full, bytes) = reference(dir.path());
    let o = experiment::run_with(&cfg(dir.path(), CONFIG), &logged(&log, true)).unwrap();
    assert_same(&full, &o);
    assert_eq!(o.report.log.as_ref().unwrap().steps_resumed, 60);
    assert_eq!(
        std::fs::read(&log).unwrap(),
        bytes,
        "the log is left as it is"
    );
}

#[test]
fn resuming_with_a_changed_config_is_refused_naming_the_difference() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _, bytes) = reference(dir.path());
    for (text, expected) in [
        (
            CONFIG.replace("units = 20", "units = 21"),
            "[substrate] units is 21 in this run but 20 in the log",
        ),
        (
            CONFIG.replace("seed = 1", "seed = 2"),
            "seed is 2 in this run but 1 in the log",
        ),
        (
            CONFIG.replace("train = 30", "train = 29"),
            "the split (washout + train + test) is 10 + 29 + 20 in this run but 10 + 30 + 20",
        ),
        (
            CONFIG.replace("spectral_radius = 0.9\n", ""),
            "[substrate] spectral_radius is absent in this run but 0.9 in the log",
        ),
        (
            format!("{CONFIG}\n[readout]\nkind = \"ridge\"\nalpha = 1e-3\n"),
            "[readout] alpha is 0.001 in this run but 0.000001 in the log",
        ),
    ] {
        let e = experiment::run_with(&cfg(dir.path(), &text), &logged(&log, true)).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains(expected) && msg.contains("cannot resume") && msg.contains("full.log"),
            "expected {expected:?} in: {msg}"
        );
        assert_eq!(e.kind(), ErrorKind::InvalidParameter, "{msg}");
        assert_eq!(
            std::fs::read(&log).unwrap(),
            bytes,
            "a refused log is untouched"
        );
    }
}

#[test]
fn resuming_with_changed_inputs_is_refused_naming_the_step() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _, bytes) = reference(dir.path());
    let mut u: Array2<f64> = read_npy(dir.path().join("u.npy")).unwrap();
    u[[17, 0]] = 0.5;
    write_npy(dir.path().join("u.npy"), &u).unwrap();
    let e = experiment::run_with(&cfg(dir.path(), CONFIG), &logged(&log, true)).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("step 17") && msg.contains("0.5") && msg.contains("cannot resume"),
        "{msg}"
    );
    let offset = records(&log)[18].0;
    assert!(msg.contains(&format!("byte {offset}")), "{msg}");
    assert_eq!(std::fs::read(&log).unwrap(), bytes);
}

#[test]
fn an_existing_log_without_resume_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _, bytes) = reference(dir.path());
    let e = experiment::run_with(&cfg(dir.path(), CONFIG), &logged(&log, false)).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("full.log") && msg.contains("--resume") && msg.contains("another --log"),
        "{msg}"
    );
    assert_eq!(e.kind(), ErrorKind::InvalidParameter);
    assert_eq!(std::fs::read(&log).unwrap(), bytes);

    // A file that is not a log is never cut, even with --resume.
    let other = dir.path().join("notes.txt");
    std::fs::write(&other, "a lab notebook\n").unwrap();
    let e = experiment::run_with(&cfg(dir.path(), CONFIG), &logged(&other, true)).unwrap_err();
    assert!(e.to_string().contains("not a physrc run log"), "{e}");
    assert_eq!(std::fs::read(&other).unwrap(), b"a lab notebook\n");

    // An empty file, or none, is a new log, with or without --resume.
    std::fs::write(dir.path().join("empty.log"), b"").unwrap();
    for (name, resume) in [("empty.log", false), ("new.log", true)] {
        let o = experiment::run_with(
            &cfg(dir.path(), CONFIG),
            &logged(&dir.path().join(name), resume),
        )
        .unwrap();
        assert_eq!(o.report.log.unwrap().steps_resumed, 0);
    }
}

#[test]
fn the_record_checksum_is_crc32c() {
    // The check value of CRC-32C (Castagnoli), as in RFC 3720 and the CRC catalogue.
    assert_eq!(runlog::crc32c(b"123456789"), 0xe306_9283);
}

#[test]
fn a_record_with_a_good_crc_but_unknown_type_is_an_error_not_a_torn_tail() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.log");
    drop(LogWriter::create(&path, LogOptions::DEFAULT_SYNC_EVERY).unwrap());
    let mut bytes = std::fs::read(&path).unwrap();
    let payload = [9u8, 1, 2, 3];
    bytes.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    bytes.extend_from_slice(&runlog::crc32c(&payload).to_le_bytes());
    bytes.extend_from_slice(&payload);
    std::fs::write(&path, &bytes).unwrap();
    let e = runlog::read(&path).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("unknown record type 9") && msg.contains("byte"),
        "{msg}"
    );
    assert_eq!(e.kind(), ErrorKind::Io);
}

/// A stand-in for a rig: a leaky integrator whose readout adds measurement noise that a
/// reset does not repeat, which reports its drive as x, y field pairs, and which can be
/// told to stop answering after some steps.
struct FakeRig {
    x: [f64; 3],
    noise: u64,
    drive: Vec<f64>,
    steps_left: Option<usize>,
    replays: Arc<Mutex<Vec<usize>>>,
}

impl FakeRig {
    fn new(noise_seed: u64, steps_left: Option<usize>, replays: Arc<Mutex<Vec<usize>>>) -> Self {
        FakeRig {
            x: [0.0; 3],
            noise: noise_seed,
            drive: Vec::new(),
            steps_left,
            replays,
        }
    }

    fn evolve(&mut self, u: f64) {
        for (i, x) in self.x.iter_mut().enumerate() {
            *x = (0.3 + 0.2 * i as f64) * *x + u;
        }
        // Two set points per step, (H, 0) then (-H/2, H/2), in tesla.
        let h = 0.08 * u;
        self.drive = vec![h, 0.0, -0.5 * h, 0.5 * h];
    }
}

impl Reservoir for FakeRig {
    fn input_dim(&self) -> usize {
        1
    }
    fn state_dim(&self) -> usize {
        3
    }
    fn reset(&mut self) -> Result<(), Error> {
        self.x = [0.0; 3];
        Ok(())
    }
    fn step(&mut self, input: &[f64], state_out: &mut [f64]) -> Result<(), Error> {
        check_input(input, 1)?;
        if let Some(n) = self.steps_left.as_mut() {
            if *n == 0 {
                return Err(Error::new(
                    ErrorKind::Timeout,
                    "the fake rig stopped answering",
                ));
            }
            *n -= 1;
        }
        self.evolve(input[0]);
        for (o, x) in state_out.iter_mut().zip(self.x) {
            self.noise = self
                .noise
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            *o = x + 1e-3 * ((self.noise >> 11) as f64 / (1u64 << 53) as f64 - 0.5);
        }
        Ok(())
    }
    fn info(&self) -> Info {
        Info::new("fake-rig")
    }
    fn last_drive(&self) -> &[f64] {
        &self.drive
    }
    fn replay(&mut self, inputs: ArrayView2<'_, f64>) -> Result<(), Error> {
        physrc_core::validate_sequence(inputs, 1)?;
        self.replays.lock().unwrap().push(inputs.nrows());
        for u in inputs.column(0) {
            self.evolve(*u);
        }
        Ok(())
    }
}

#[test]
fn a_rig_that_failed_resumes_by_replay_and_keeps_its_logged_measurements() {
    let dir = tempfile::tempdir().unwrap();
    write_data(dir.path());
    let text = CONFIG.replace("kind = \"esn\"", "kind = \"fake-rig\"");
    let log = dir.path().join("rig.log");
    let replays = Arc::new(Mutex::new(Vec::new()));

    let rig = Box::new(FakeRig::new(1, Some(37), replays.clone()));
    let e = experiment::run_on(&cfg(dir.path(), &text), rig, &logged(&log, false)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    let first = runlog::read(&log).unwrap();
    assert_eq!(first.steps.len(), 37);
    assert_eq!(first.stops.len(), 1);
    assert_eq!(first.stops[0].status, Status::Fail);
    assert!(first.stops[0].message.contains("stopped answering"));
    assert!(replays.lock().unwrap().is_empty());

    // The same rig, reconnected: its noise differs, so the logged states must be the ones used.
    let rig = Box::new(FakeRig::new(2, None, replays.clone()));
    let o = experiment::run_on(&cfg(dir.path(), &text), rig, &logged(&log, true)).unwrap();
    assert_eq!(
        *replays.lock().unwrap(),
        vec![37],
        "one replay of the logged inputs"
    );
    assert_eq!(o.report.log.as_ref().unwrap().steps_resumed, 37);
    let states = o.states.unwrap();
    let c = runlog::read(&log).unwrap();
    assert_eq!(c.steps.len(), 60);
    for (t, s) in c.steps.iter().enumerate() {
        assert_eq!(s.state, states.row(t).to_vec(), "step {t}");
        if t < 37 {
            assert_eq!(s, &first.steps[t], "logged steps are kept as measured");
        }
        let h = 0.08 * s.input[0];
        assert_eq!(s.drive, vec![h, 0.0, -0.5 * h, 0.5 * h], "step {t}");
    }
    assert!(c.stopped);
    let status: Vec<Status> = c.stops.iter().map(|s| s.status).collect();
    assert_eq!(status, [Status::Fail, Status::Success]);

    // Without the replay the rig would have resumed from rest: its first new state would
    // then be the input alone, give or take the noise.
    let u37 = c.steps[37].input[0];
    assert!(
        (states[[37, 2]] - u37).abs() > 1e-2,
        "the replay restored the rig's state"
    );

    let out = dir.path().join("export");
    let x = runlog::export(&log, &out).unwrap();
    assert_eq!(
        (x.steps, x.stop, x.drive),
        (60, Some(Status::Success), true)
    );
    let drive: Array2<f64> = read_npy(out.join("drive.npy")).unwrap();
    assert_eq!(drive.dim(), (60, 4));
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("metadata.json")).unwrap()).unwrap();
    assert_eq!(meta["stop"]["status"], "success");
    assert_eq!(meta["earlier_stops"][0]["status"], "fail");
    assert_eq!(meta["steps"], 60);
}

#[test]
fn an_unfinished_log_exports_with_a_null_stop() {
    let dir = tempfile::tempdir().unwrap();
    let (log, full, bytes) = reference(dir.path());
    let stop_at = records(&log).last().unwrap().0 as usize;
    let cut = dir.path().join("cut.log");
    std::fs::write(&cut, &bytes[..stop_at - 3]).unwrap();
    let out = dir.path().join("export");
    let x = runlog::export(&cut, &out).unwrap();
    assert_eq!((x.steps, x.stop, x.drive), (59, None, false));
    assert!(!out.join("drive.npy").exists());
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("metadata.json")).unwrap()).unwrap();
    assert!(meta["stop"].is_null());
    let last_step = records(&log)[60].0 as usize;
    assert_eq!(meta["torn_tail"]["offset"], last_step);
    assert_eq!(meta["torn_tail"]["bytes"], stop_at - 3 - last_step);
    let states: Array2<f64> = read_npy(out.join("states.npy")).unwrap();
    let all = full.states.unwrap();
    assert_eq!(states, all.slice(ndarray::s![..59, ..]));
    assert_eq!(
        std::fs::read(&cut).unwrap(),
        &bytes[..stop_at - 3],
        "export only reads"
    );
}

#[test]
fn a_failed_log_write_is_a_typed_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    write_data(dir.path());
    let missing = dir.path().join("no-such-folder").join("run.log");
    let e = experiment::run_with(&cfg(dir.path(), CONFIG), &logged(&missing, false)).unwrap_err();
    assert!(matches!(e, RunError::Log(_)), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::Io);
    assert!(e.to_string().contains("no-such-folder"), "{e}");
}
