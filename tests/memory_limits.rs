//! Sizes are checked against memory before anything is allocated: a configuration that needs
//! more than the budget is refused with an error of kind `InsufficientMemory` that names the
//! key and the estimate, instead of aborting the process.
//!
//! The budget is fixed (a 64 GiB workstation) so the outcome does not depend on the machine;
//! every refusal here comes back at once, because nothing was allocated.

use physrc::config::RunConfig;
use physrc::core::MemoryBudget;
use physrc::{ErrorKind, HasErrorKind, RunError};

const WORKSTATION: MemoryBudget = MemoryBudget::bytes(64 << 30);

const TAIL: &str = "\n[task]\nkind = \"narma10\"\n\n[split]\ntrain = 30\ntest = 20\n";

fn build(substrate: &str, input_dim: usize, budget: MemoryBudget) -> Result<(), RunError> {
    let text = format!("[substrate]\n{substrate}{TAIL}");
    let cfg = RunConfig::from_toml_str(&text, std::path::Path::new("."), "memory.toml")?;
    let kind = cfg.substrate_kind()?.to_owned();
    physrc::substrate::build_within(&kind, &cfg, input_dim, budget).map(|_| ())
}

/// Builds within 64 GiB and expects a memory refusal whose message names `key` and `value`.
fn refused(substrate: &str, input_dim: usize, key: &str, value: &str) -> String {
    refused_within(WORKSTATION, "64.0 GiB", substrate, input_dim, key, value)
}

fn refused_within(
    budget: MemoryBudget,
    budget_text: &str,
    substrate: &str,
    input_dim: usize,
    key: &str,
    value: &str,
) -> String {
    let e = match build(substrate, input_dim, budget) {
        Ok(()) => panic!("{substrate}\nbuilt within {budget_text}"),
        Err(e) => e,
    };
    assert_eq!(e.kind(), ErrorKind::InsufficientMemory, "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains(&format!("`{key}` = {value}")),
        "the message does not name {key} = {value}: {msg}"
    );
    assert!(msg.contains("needs an estimated"), "{msg}");
    assert!(
        msg.contains(&format!("more than the {budget_text} available")),
        "{msg}"
    );
    msg
}

#[test]
fn an_esn_of_300000_units_is_refused_naming_units_and_the_estimate() {
    let msg = refused(
        "kind = \"esn\"\nunits = 300000\nspectral_radius = 0.9\n",
        1,
        "units",
        "300000",
    );
    // Three dense 300,000 × 300,000 float64 matrices at the peak of generation.
    assert!(msg.contains("2.0 TiB"), "{msg}");
}

#[test]
fn a_10000_by_10000_nanomagnet_array_is_refused_naming_size_and_the_estimate() {
    let msg = refused(
        "kind = \"nanomagnet\"\ngeometry = \"square-closed\"\nsize = [10000, 10000]\n\
         h_min = 0.07\nh_max = 0.09\n",
        1,
        "size",
        "[10000, 10000] (200020000 magnets)",
    );
    // 256 bytes per magnet and 64 per neighbour pair, about six pairs per magnet.
    assert!(msg.contains("122.6 GiB"), "{msg}");
}

#[test]
fn an_infinite_neighbour_distance_is_refused_naming_it() {
    refused(
        "kind = \"nanomagnet\"\ngeometry = \"square-closed\"\nsize = [300, 300]\n\
         neighbor_distance = inf\nh_min = 0.07\nh_max = 0.09\n",
        1,
        "neighbor_distance",
        "inf",
    );
}

#[test]
fn the_other_substrates_refuse_what_does_not_fit() {
    // The largest memristor reservoir the size bound allows fits in a workstation; a laptop
    // refuses it.
    refused_within(
        MemoryBudget::bytes(4 << 30),
        "4.0 GiB",
        "kind = \"memristor\"\nmodel = \"hp\"\ndevices = 67108864\nvirtual_nodes = 1\n\
         v_min = 0.0\nv_max = 1.0\n",
        1,
        "devices",
        "67108864 (with virtual_nodes = 1, 1 input columns)",
    );
    refused(
        "kind = \"oscillator\"\nmodel = \"stuart-landau\"\noscillators = 100000\n",
        1,
        "oscillators",
        "100000",
    );
    // One integration step a node interval keeps the history (nodes × substeps points) at its
    // own bound, so what is refused is the mask of 16,777,216 × 1000 entries.
    refused(
        "kind = \"oscillator\"\nmodel = \"delay\"\nnodes = 16777216\nsubsteps = 1\n",
        1000,
        "nodes",
        "16777216 (with 1000 input columns)",
    );
    refused(
        "kind = \"oscillator\"\nmodel = \"stno\"\nvirtual_nodes = 16777216\ni_bias_ma = 0.1\n\
         delta_i_ma = 0.0\n",
        1000,
        "virtual_nodes",
        "16777216 (with 1000 input columns)",
    );
    refused(
        "kind = \"rig\"\nencoder = \"sine\"\ntimesteps = 1000000\nbatch = 1048576\n\
         h_min = 0.07\nh_max = 0.09\n",
        1,
        "batch",
        "1048576 (with 1000000 field samples per input)",
    );
    // The emulated rig's sample is checked as a nanomagnet array is.
    let msg = refused(
        "kind = \"rig\"\nh_min = 0.07\nh_max = 0.09\n[substrate.emulator]\n\
         geometry = \"square-closed\"\nsize = [10000, 10000]\n",
        1,
        "size",
        "[10000, 10000]",
    );
    assert!(msg.starts_with("emulated sample: "), "{msg}");
}

#[test]
fn configurations_that_fit_build() {
    build(
        "kind = \"esn\"\nunits = 50\nspectral_radius = 0.9\n",
        1,
        WORKSTATION,
    )
    .unwrap();
    build(
        "kind = \"nanomagnet\"\ngeometry = \"square-closed\"\nsize = [20, 20]\n\
         neighbor_distance = 3\nh_min = 0.07\nh_max = 0.09\n",
        1,
        WORKSTATION,
    )
    .unwrap();
}

/// Beyond the memory budget, every size key has a fixed upper bound that holds whatever the
/// machine, so the size arithmetic cannot overflow.
#[test]
fn sizes_beyond_their_bound_are_parameter_errors_whatever_the_budget() {
    let unlimited = |substrate: &str, input_dim: usize| {
        let text = format!("[substrate]\n{substrate}{TAIL}");
        let cfg = RunConfig::from_toml_str(&text, std::path::Path::new("."), "bound.toml")?;
        let kind = cfg.substrate_kind()?.to_owned();
        physrc::substrate::build_within(&kind, &cfg, input_dim, MemoryBudget::UNLIMITED).map(|_| ())
    };
    for (substrate, key) in [
        ("kind = \"esn\"\nunits = 1000001\n", "units"),
        (
            "kind = \"oscillator\"\nmodel = \"stuart-landau\"\noscillators = 100001\n",
            "oscillators",
        ),
        (
            "kind = \"oscillator\"\nmodel = \"stno\"\nsubsteps = 1000001\n",
            "substeps",
        ),
        (
            "kind = \"oscillator\"\nmodel = \"stuart-landau\"\nvirtual_nodes = 16777217\n",
            "virtual_nodes",
        ),
        (
            "kind = \"nanomagnet\"\ngeometry = \"kagome\"\nsize = [20001, 20000]\nh_max = 0.09\n",
            "size",
        ),
        (
            "kind = \"nanomagnet\"\ngeometry = \"square-closed\"\nh_max = 0.09\n\
             readout = \"fmr\"\n[substrate.fmr]\nbins = 100001\n",
            "fmr.bins",
        ),
        (
            "kind = \"nanomagnet\"\ngeometry = \"square-closed\"\nh_max = 0.09\n\
             encoder = \"rotate\"\ntimesteps = 1000001\n",
            "timesteps",
        ),
        ("kind = \"rig\"\nh_max = 0.09\nretries = 101\n", "retries"),
        ("kind = \"rig\"\nh_max = 0.09\nbatch = 1048577\n", "batch"),
    ] {
        let e = unlimited(substrate, 1).expect_err(substrate);
        assert_eq!(e.kind(), ErrorKind::InvalidParameter, "{substrate}: {e}");
        assert!(e.to_string().contains(key), "{substrate}: {e}");
    }
}

/// The budget `physrc run` uses is what the machine reports as available.
#[test]
fn the_machine_budget_is_read_from_the_system() {
    let budget = physrc::substrate::available_memory();
    if std::path::Path::new("/proc/meminfo").exists() {
        assert!(!budget.is_unlimited());
        assert!(budget.get() > 0);
    } else {
        assert!(budget.is_unlimited());
    }
}

/// A readout's matrices grow with the square of its features: 405,900 spins of a 450 × 450
/// square ice ask for terabytes of Gram matrix. The run is refused, naming the readout and
/// its features, once the substrate is built and before its first step; without the check
/// the process would abort when the accumulator allocates.
#[test]
fn a_readout_too_large_for_the_machine_is_refused_before_the_first_step() {
    let text = "[substrate]\nkind = \"nanomagnet\"\ngeometry = \"square-closed\"\n\
                size = [450, 450]\nh_max = 0.086\nreadout = \"spins\"\n\
                [task]\nkind = \"narma10\"\n[split]\ntrain = 30\ntest = 20\n";
    let cfg = RunConfig::from_toml_str(text, std::path::Path::new("."), "readout.toml").unwrap();
    let e = match physrc::experiment::run(&cfg) {
        Ok(_) => panic!("a ridge over 405,900 features ran"),
        Err(e) => e,
    };
    assert_eq!(e.kind(), ErrorKind::InsufficientMemory, "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("`[readout]`") && msg.contains("ridge over 405900 features"),
        "{msg}"
    );
    assert!(msg.contains("TiB"), "{msg}");
}

/// The memory capacity keeps its post-washout states and fits one readout per delay: 100,000
/// delays over ten million rows ask for petabytes of delayed targets. The run is refused,
/// naming the task, before its first step rather than after ten million steps.
#[test]
fn capacity_delays_too_many_for_the_machine_are_refused_before_the_first_step() {
    let text = "[substrate]\nkind = \"esn\"\nunits = 10\nseed = 1\n\
                [task]\nkind = \"memory-capacity\"\nmax_delay = 100000\n\
                [split]\nwashout = 0\ntrain = 10000000\ntest = 1000\n";
    let cfg = RunConfig::from_toml_str(text, std::path::Path::new("."), "mc.toml").unwrap();
    let t = std::time::Instant::now();
    let e = match physrc::experiment::run(&cfg) {
        Ok(_) => panic!("a memory capacity over 100,000 delays ran"),
        Err(e) => e,
    };
    assert_eq!(e.kind(), ErrorKind::InsufficientMemory, "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("`[task]`") && msg.contains("memory-capacity over 10 state components"),
        "{msg}"
    );
    assert!(
        t.elapsed().as_secs_f64() < 5.0,
        "refused after {:?}",
        t.elapsed()
    );
}
