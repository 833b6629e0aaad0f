//! Every oscillator reservoir passes the physrc contract kit, directly and behind the
//! `OscillatorReservoir` enum the CLI builds.

use std::path::Path;

use physrc_core::contract;
use physrc_oscillator::{
    DelayConfig, DelayReservoir, OscillatorConfig, StnoConfig, StnoNoise, StnoOutput,
    StnoReservoir, StuartLandauConfig, StuartLandauReadout, StuartLandauReservoir,
};

fn small_delay() -> DelayConfig {
    DelayConfig {
        nodes: 50,
        ..DelayConfig::default()
    }
}

fn small_sl() -> StuartLandauConfig {
    StuartLandauConfig {
        oscillators: 8,
        virtual_nodes: 3,
        ..StuartLandauConfig::default()
    }
}

#[test]
fn stno_satisfies_the_contract_with_thermal_noise() {
    // Noise on: reset must re-seed it for the reproducibility clauses to hold.
    let cfg = StnoConfig {
        thermal_power: Some(1e-3),
        ..StnoConfig::default()
    };
    contract::check(|| StnoReservoir::new(&cfg, 1).unwrap());
    let cfg = StnoConfig {
        output: StnoOutput::Power,
        ..cfg
    };
    contract::check(|| StnoReservoir::new(&cfg, 2).unwrap());
    // With the feedback loop the delay line is state too: reset must restore it.
    let cfg = StnoConfig {
        feedback_ma: -2.0,
        feedback_offset: 3,
        ..cfg
    };
    contract::check(|| StnoReservoir::new(&cfg, 1).unwrap());
    // The power-dependent law draws its noise amplitude from the state: reset must restore
    // both.
    let cfg = StnoConfig {
        noise: StnoNoise::Thermal,
        thermal_power: None,
        temperature_k: Some(300.0),
        mode_energy_j: Some(8.5e-18),
        ..StnoConfig::default()
    };
    contract::check(|| StnoReservoir::new(&cfg, 1).unwrap());
}

#[test]
fn delay_satisfies_the_contract() {
    contract::check(|| DelayReservoir::new(&small_delay(), 1).unwrap());
    contract::check(|| DelayReservoir::new(&small_delay(), 3).unwrap());
}

#[test]
fn stuart_landau_satisfies_the_contract() {
    contract::check(|| StuartLandauReservoir::new(&small_sl(), 1).unwrap());
    let cfg = StuartLandauConfig {
        readout: StuartLandauReadout::Intensity,
        ..small_sl()
    };
    contract::check(|| StuartLandauReservoir::new(&cfg, 2).unwrap());
}

#[test]
fn the_enum_built_from_config_satisfies_the_contract() {
    for cfg in [
        OscillatorConfig::Stno(StnoConfig::default()),
        OscillatorConfig::Delay(small_delay()),
        OscillatorConfig::StuartLandau(small_sl()),
    ] {
        contract::check(|| cfg.build(Path::new("."), 1).unwrap());
    }
}
