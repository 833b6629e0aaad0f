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
        "encoder = \"loop\"\nh_min = 0.076\nh_max = 0.086\nphi = 45\nbatch = 16\n{extra}\n[emulator]\n{SAMPLE}"
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
    let mut rig = rig_config("").build(Path::new("."), 1).unwrap();
    rig.reset().unwrap();
    let got = rig.run(u.view()).unwrap();
    assert_eq!(got.dim(), want.dim());
    let differing = got.iter().zip(want.iter()).filter(|(a, b)| a != b).count();
    assert_eq!(differing, 0, "{differing} state values differ");
}
