//! The JSON Schema of physrc's config files, derived from the types that parse them.
//!
//! One schema covers both kinds of file: a `physrc run` config and a `physrc simulate
//! nanomagnet` config. It is shipped as `docs/physrc.schema.json` so that editors with a TOML
//! language server (Taplo, Even Better TOML) complete and check keys as they are typed; a test
//! keeps the shipped file equal to what [`config_schema`] derives.
//!
//! The schema is derived from the same structs the parser uses (`deny_unknown_fields`
//! included), so a key the schema offers is a key physrc accepts. It checks the shape of a
//! file (names, types, enumerations); ranges and relations between keys are checked when the
//! config is loaded, with errors that name the key.

use schemars::{JsonSchema, Schema, SchemaGenerator, generate::SchemaSettings, json_schema};

use crate::config::{DataFiles, Expectation, OutputConfig, ReadoutConfig, Split};
use crate::substrate::RecordedConfig;

/// A `physrc run` config as its schema sees it: the tables `RunConfig::from_toml_str` reads.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct RunFile {
    /// The substrate: `kind` selects it, the other keys are its own.
    substrate: Substrate,
    /// A generated task (give this or `[data]`).
    task: Option<physrc_tasks::TaskSpec>,
    /// Inputs and targets from `.npy` files (give this or `[task]`).
    data: Option<DataFiles>,
    /// Steps discarded, trained on and tested on.
    split: Option<Split>,
    /// The trained readout (default: ridge with alpha = 1e-6).
    readout: Option<ReadoutConfig>,
    /// Extra outputs.
    output: Option<OutputConfig>,
    /// The result this config is expected to reach, checked by the test suite.
    expect: Option<Expectation>,
    /// How the report's energy breakdown is modelled.
    energy: Option<crate::energy::EnergyConfig>,
}

/// The `[substrate]` table, dispatched on `kind` as `substrate::build` does.
#[derive(JsonSchema)]
#[serde(tag = "kind", rename_all = "kebab-case")]
// Never built: it exists for its derived schema, so neither its size nor its fields matter.
#[allow(dead_code, clippy::large_enum_variant)]
enum Substrate {
    /// The software echo-state network.
    Esn(physrc_esn::EsnConfig),
    /// Simulated memristor reservoirs.
    Memristor(physrc_memristor::MemristorConfig),
    /// Spin-torque, delay and Stuart–Landau oscillator reservoirs.
    Oscillator(physrc_oscillator::OscillatorConfig),
    /// Artificial spin ice.
    Nanomagnet(physrc_nanomagnet::NanomagnetConfig),
    /// The serial-attached nanomagnet rig, or its emulator.
    Rig(physrc_rig::RigConfig),
    /// States measured offline on a device.
    Recorded(RecordedConfig),
}

/// The JSON Schema (draft 2020-12) of physrc's config files: a `physrc run` config or a
/// `physrc simulate nanomagnet` config.
pub fn config_schema() -> Schema {
    let mut generator = SchemaGenerator::new(SchemaSettings::draft2020_12());
    let run = generator.subschema_for::<RunFile>();
    let simulate = generator.subschema_for::<physrc_nanomagnet::SimulationConfig>();
    let definitions = generator.take_definitions(true);
    json_schema!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "physrc config",
        "description": "A `physrc run` config (keys in docs/config.md) or a `physrc simulate \
                        nanomagnet` config.",
        "oneOf": [run, simulate],
        "$defs": definitions,
    })
}

/// [`config_schema`] as pretty-printed JSON with a final newline, as shipped in
/// `docs/physrc.schema.json`.
pub fn config_schema_json() -> String {
    let mut text = serde_json::to_string_pretty(&config_schema())
        .expect("a schema built from JSON values always serialises");
    text.push('\n');
    text
}
