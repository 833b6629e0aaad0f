//! The emulator is the simulator behind a wire: with no noise and no faults, the rig's states
//! are the simulator's, value for value.

use std::path::Path;

use ndarray::Array2;
use physrc_core::Reservoir;
use physrc_nanomagnet::NanomagnetConfig;
use physrc_rig::RigConfig;
use rand::{Rng, SeedableRng};

const SAMPLE: &str = r#"
geometry = "square-closed"
size = [6, 6]
disorder = 0.05
random_seed = 3
readout = "spins"
"#;

fn inputs(t: usize, seed: u64) -> Array2<f64> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    Array2::from_shape_fn((t, 1), |_| rng.random_range(-1.0..=1.0))
}

fn rig_config(extra: &str) -> RigConfig {
    let text = format!(
        "encoder = \"loop\"\nh_min = 0.076\nh_max = 0.086\nphi = 45\n{extra}\n[emulator]\n{SAMPLE}"
    );
    toml::from_str(&text).unwrap()
}

fn simulator() -> physrc_nanomagnet::NanomagnetReservoir {
    let text = format!("encoder = \"loop\"\nh_min = 0.076\nh_max = 0.086\nphi = 45\n{SAMPLE}");
    let c: NanomagnetConfig = toml::from_str(&text).unwrap();
    c.build(Path::new("."), 1).unwrap()
}

#[test]
fn emulated_rig_states_equal_the_simulator() {
    let u = inputs(300, 1);
    let mut sim = simulator();
    sim.reset().unwrap();
    let want = sim.run(u.view()).unwrap();
    let mut rig = rig_config("batch = 16").build(Path::new("."), 1).unwrap();
    rig.reset().unwrap();
    let got = rig.run(u.view()).unwrap();
    assert_eq!(got.dim(), want.dim());
    let differing = got.iter().zip(want.iter()).filter(|(a, b)| a != b).count();
    assert_eq!(differing, 0, "{differing} state values differ");
}

#[test]
fn faults_and_device_resets_leave_the_states_bit_identical() {
    let u = inputs(1200, 2);
    let mut clean = rig_config("timeout = 0.05\nbatch = 16")
        .build(Path::new("."), 1)
        .unwrap();
    clean.reset().unwrap();
    let want = clean.run(u.view()).unwrap();
    // One frame in a hundred faulted each way, and a device reset every 200 commands.
    let mut faulty = rig_config("timeout = 0.05\nbatch = 4")
        .build_with_emulator_keys("fault_rate = 0.01\nreset_every = 200\nfault_seed = 7");
    faulty.reset().unwrap();
    let got = faulty.run(u.view()).unwrap();
    let stats = faulty.link_stats();
    assert!(stats.retries > 0, "no request was retried: {stats:?}");
    assert!(stats.resets > 0, "no device reset was seen: {stats:?}");
    assert!(faulty.recoveries() > 0);
    assert_eq!(got.dim(), want.dim());
    assert!(
        got.iter()
            .zip(want.iter())
            .all(|(a, b)| a.to_bits() == b.to_bits())
    );
}

#[test]
fn the_host_refuses_a_field_beyond_the_limit_before_sending() {
    let r = rig_config("").build(Path::new("."), 1).unwrap();
    let before = r.link_stats().requests;
    let mut rig = r;
    // The emulated rig's limit is 150 mT.
    let err = rig_field(&mut rig, 151.0, 0.0).unwrap_err();
    assert!(
        matches!(err, physrc_rig::RigError::FieldLimit { .. }),
        "{err}"
    );
    let err = rig_field(&mut rig, f64::NAN, 0.0).unwrap_err();
    assert!(
        matches!(err, physrc_rig::RigError::FieldLimit { .. }),
        "{err}"
    );
    assert_eq!(
        rig.link_stats().requests,
        before,
        "a refused field was sent"
    );
    rig_field(&mut rig, 120.0, 100.0).unwrap_err();
    rig_field(&mut rig, 100.0, 50.0).unwrap();
}

#[test]
fn an_encoder_beyond_the_field_limit_is_refused_when_built() {
    let c = rig_config("").with_h_max(0.2);
    let err = c.build(Path::new("."), 1).unwrap_err();
    assert!(err.to_string().contains("h_max"), "{err}");
}

#[test]
fn the_emulated_rig_meets_the_reservoir_contract() {
    physrc_core::contract::check(|| rig_config("").build(Path::new("."), 1).unwrap());
}

fn rig_field(
    r: &mut physrc_rig::RigReservoir,
    x: f64,
    y: f64,
) -> Result<(f64, f64), physrc_rig::RigError> {
    r.rig_mut().set_field(x, y, 0)
}

trait Build {
    fn build_with_emulator_keys(self, keys: &str) -> physrc_rig::RigReservoir;
    fn with_h_max(self, h: f64) -> RigConfig;
}

impl Build for RigConfig {
    fn build_with_emulator_keys(mut self, keys: &str) -> physrc_rig::RigReservoir {
        let extra: toml::Table = toml::from_str(keys).unwrap();
        self.emulator.as_mut().unwrap().extend(extra);
        self.build(Path::new("."), 1).unwrap()
    }
    fn with_h_max(mut self, h: f64) -> RigConfig {
        self.h_max = h;
        self
    }
}

/// A rig that stops answering part-way through a run into rows that are not contiguous (a
/// transposed view): the call fails with the device's error, and the rows measured before it
/// hold the states a healthy rig gives, as `Reservoir::run_into` promises.
#[test]
fn rows_measured_before_a_hang_up_are_kept_in_a_strided_array() {
    let cfg = rig_config("timeout = 0.05\nretries = 1\nbatch = 4");
    let u = inputs(40, 5);
    let mut healthy = cfg.clone().build_with_emulator_keys("");
    healthy.reset().unwrap();
    let before = healthy.link_stats().requests;
    let want = healthy.run(u.view()).unwrap();
    let during = healthy.link_stats().requests - before;

    let table = cfg.emulator.clone().unwrap();
    let mut emu = physrc_rig::emulator_from_table(&table, &cfg, Path::new("."), 0).unwrap();
    // The hang-up lands half-way through the run's requests, after some of its batches.
    assert!(during >= 4, "the run took {during} requests");
    emu.faults.hang_up_after = Some(before + during / 2);
    let (link, _device) = emu.spawn().unwrap();
    let rig = physrc_rig::Rig::connect(
        physrc_rig::Transport::Memory(link),
        physrc_rig::DriverOptions {
            timeout: std::time::Duration::from_millis(50),
            retries: 1,
        },
    )
    .unwrap();
    let encoder = cfg.field_encoder().unwrap();
    let phi = 45f64.to_radians();
    let limit = rig.field_limit_mt() * 1e-3;
    let drive = physrc_rig::RigDrive {
        encoder,
        settle_us: 0,
        saturate: [limit * phi.cos(), limit * phi.sin()],
        batch: 4,
    };
    let mut rig = physrc_rig::RigReservoir::new(rig, drive, "emulator".into()).unwrap();
    rig.reset().unwrap();
    let mut states = Array2::<f64>::from_elem((rig.state_dim(), u.nrows()), f64::NAN);
    let mut rows = states.view_mut().reversed_axes();
    assert!(rows.as_slice_mut().is_none(), "the rows must be strided");
    let e = rig.run_into(u.view(), rows.view_mut()).unwrap_err();
    eprintln!("the hung-up rig: {e}");
    // The rows after the fault are unspecified; the ones before it must be the healthy rig's
    // (spins of ±1, which neither the NaN fill nor a zeroed buffer can match).
    let kept = (0..u.nrows())
        .take_while(|&t| rows.row(t) == want.row(t))
        .count();
    assert!(
        kept > 0 && kept < u.nrows(),
        "{kept} of {} rows hold the healthy rig's states",
        u.nrows()
    );
}
