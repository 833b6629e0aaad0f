//! `physrc rig ...`: the emulator on a pseudo-terminal, and instrument control from the shell.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Subcommand;
use physrc_rig::{DriverOptions, Emulator, Faults, Rig, RigConfig, RigError, Transport};

use crate::error::RunError;

/// The `physrc rig` subcommands.
#[derive(Debug, Subcommand)]
pub enum RigCommand {
    /// Serve an emulated rig on a pseudo-terminal until killed. Prints `port: /dev/pts/N`
    /// as its first line.
    Emulate {
        /// A run config whose `[substrate]` table is the sample: `kind = "nanomagnet"` keys,
        /// or `kind = "rig"` with a `[substrate.emulator]` table. Default: 10×10 square ice
        /// read as a 64-channel FMR spectrum.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Probability per frame, each direction, that one of its bytes is dropped, corrupted,
        /// duplicated or delayed.
        #[arg(long, default_value_t = 0.0)]
        fault_rate: f64,
        /// Reset the device before every N-th command (new boot id, coils off, caches lost).
        #[arg(long)]
        reset_every: Option<u64>,
        /// Hang up after N commands.
        #[arg(long)]
        hang_up_after: Option<u64>,
        /// Pace the link to this baud rate (10 bits a byte); default: as fast as possible.
        #[arg(long)]
        baud: Option<u32>,
        /// Seed of the faults, the detector noise and the sample's disorder.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Detector noise, standard deviation in readout units.
        #[arg(long, default_value_t = 0.0)]
        noise: f64,
    },
    /// Print the rig's identity and limits.
    Identify {
        /// Serial port path.
        #[arg(long)]
        port: String,
        /// Baud rate.
        #[arg(long, default_value_t = 115_200)]
        baud: u32,
    },
    /// Ramp the coils to a field (x, y in millitesla) and print the field the DACs make.
    Field {
        /// Serial port path.
        #[arg(long)]
        port: String,
        /// Baud rate.
        #[arg(long, default_value_t = 115_200)]
        baud: u32,
        /// x component, mT.
        #[arg(allow_hyphen_values = true)]
        x_mt: f64,
        /// y component, mT.
        #[arg(allow_hyphen_values = true)]
        y_mt: f64,
        /// Settle time after the ramp, microseconds.
        #[arg(long, default_value_t = 1000)]
        settle_us: u32,
    },
    /// Acquire every readout channel once and print it.
    Measure {
        /// Serial port path.
        #[arg(long)]
        port: String,
        /// Baud rate.
        #[arg(long, default_value_t = 115_200)]
        baud: u32,
        /// Print JSON instead of one value per line.
        #[arg(long)]
        json: bool,
    },
    /// Switch the coils off.
    Off {
        /// Serial port path.
        #[arg(long)]
        port: String,
        /// Baud rate.
        #[arg(long, default_value_t = 115_200)]
        baud: u32,
    },
}

fn rig_err(e: RigError) -> RunError {
    RunError::from_component(e)
}

fn connect(port: &str, baud: u32) -> Result<Rig<Transport>, RunError> {
    let t = Transport::open_serial(port, baud).map_err(rig_err)?;
    Rig::connect(
        t,
        DriverOptions {
            timeout: Duration::from_millis(500),
            retries: 5,
        },
    )
    .map_err(rig_err)
}

/// Runs one `physrc rig` command.
///
/// # Errors
///
/// [`RunError`] for a bad config or option, a port that cannot be opened, or a rig that does
/// not answer.
pub fn run(cmd: RigCommand) -> Result<(), RunError> {
    match cmd {
        RigCommand::Emulate {
            config,
            fault_rate,
            reset_every,
            hang_up_after,
            baud,
            seed,
            noise,
        } => {
            let mut emu = emulator_for(config.as_deref(), seed)?;
            emu.hardware.noise = noise;
            emu.hardware.seed = seed;
            emu.faults = Faults {
                rate: fault_rate,
                reset_every,
                hang_up_after,
                seed,
            };
            emu.baud = baud;
            emu.hardware.check().map_err(rig_err)?;
            emu.faults.check().map_err(rig_err)?;
            let (mut master, slave) = serialport::TTYPort::pair().map_err(|e| {
                rig_err(RigError::Emulator(format!(
                    "cannot open a pseudo-terminal: {e}"
                )))
            })?;
            let name = serialport::SerialPort::name(&slave).unwrap_or_default();
            serialport::SerialPort::set_timeout(&mut master, Duration::from_millis(1))
                .map_err(|e| rig_err(RigError::Emulator(e.to_string())))?;
            println!("port: {name}");
            let _ = std::io::stdout().flush();
            // The slave end stays open here so that a host closing and reopening the port
            // does not make the master report a hang-up.
            let report = emu.serve(&mut master).map_err(rig_err)?;
            drop(slave);
            eprintln!(
                "emulator stopped: {} commands, {} resets, {} faulted bytes",
                report.commands, report.resets, report.faulted_bytes
            );
            Ok(())
        }
        RigCommand::Identify { port, baud } => {
            let rig = connect(&port, baud)?;
            let id = rig.identity();
            println!("maker: {}", id.maker);
            println!("model: {}", id.model);
            println!("serial: {}", id.serial);
            println!("firmware: {}", id.firmware);
            println!("protocol: {}", id.protocol);
            println!("boot id: {:#010x}", rig.boot_id());
            println!("channels: {}", id.channels);
            println!("adc: {} bits, full scale {}", id.adc_bits, id.full_scale);
            println!("dac: {} bits, {} mT per step", id.dac_bits, id.field_lsb_mt);
            println!(
                "limits: field {} mT, slew {} mT/ms, watchdog {} ms",
                id.limits.max_field_mt, id.limits.max_slew_mt_per_ms, id.limits.watchdog_ms
            );
            Ok(())
        }
        RigCommand::Field {
            port,
            baud,
            x_mt,
            y_mt,
            settle_us,
        } => {
            let mut rig = connect(&port, baud)?;
            let (x, y) = rig.set_field(x_mt, y_mt, settle_us).map_err(rig_err)?;
            println!("field: {x} mT, {y} mT");
            Ok(())
        }
        RigCommand::Measure { port, baud, json } => {
            let mut rig = connect(&port, baud)?;
            let codes = rig.measure_codes().map_err(rig_err)?;
            let fs = rig.full_scale();
            let values: Vec<f64> = codes
                .iter()
                .map(|&c| physrc_rig::code_to_value(c, fs))
                .collect();
            if json {
                let j = serde_json::json!({
                    "channels": codes.len(),
                    "full_scale": fs,
                    "codes": codes,
                    "values": values,
                });
                println!("{j}");
            } else {
                for v in values {
                    println!("{v}");
                }
            }
            Ok(())
        }
        RigCommand::Off { port, baud } => {
            let mut rig = connect(&port, baud)?;
            rig.coils_off().map_err(rig_err)?;
            println!("coils off");
            Ok(())
        }
    }
}

/// The emulator a config file describes (see [`RigCommand::Emulate`]).
fn emulator_for(config: Option<&Path>, seed: u64) -> Result<Emulator, RunError> {
    let default_rig: RigConfig =
        toml::from_str("h_min = 0.062\nh_max = 0.086").expect("a valid built-in table");
    let Some(path) = config else {
        return physrc_rig::emulator_from_table(
            &physrc_rig::default_sample_table(),
            &default_rig,
            Path::new("."),
            seed,
        )
        .map_err(rig_err);
    };
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| RunError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let file: toml::Table = toml::from_str(&text).map_err(|e: toml::de::Error| {
        RunError::config(&origin, crate::config::toml_error(&text, &e))
    })?;
    let Some(toml::Value::Table(substrate)) = file.get("substrate") else {
        return Err(RunError::config(&origin, "needs a [substrate] table"));
    };
    let kind = match substrate.get("kind") {
        Some(toml::Value::String(k)) => k.clone(),
        _ => {
            return Err(RunError::config(
                &origin,
                "[substrate] needs kind = \"nanomagnet\" or \"rig\"",
            ));
        }
    };
    let table = crate::config::without_kind(substrate);
    let base_dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let (sample, rig) = match kind.as_str() {
        "nanomagnet" => {
            let mut sample = table;
            let rig = split_encoder(&mut sample, &origin)?;
            (sample, rig)
        }
        "rig" => {
            let rig: RigConfig =
                toml::Value::Table(table)
                    .try_into()
                    .map_err(|e: toml::de::Error| {
                        RunError::config(&origin, format!("[substrate]: {}", e.message()))
                    })?;
            let sample = rig
                .emulator
                .clone()
                .unwrap_or_else(physrc_rig::default_sample_table);
            (sample, rig)
        }
        other => {
            return Err(RunError::config(
                &origin,
                format!(
                    "[substrate] kind {other:?} cannot be emulated; use \"nanomagnet\" or \"rig\""
                ),
            ));
        }
    };
    physrc_rig::emulator_from_table_within(
        &sample,
        &rig,
        &base_dir,
        seed,
        crate::substrate::available_memory(),
    )
    .map_err(rig_err)
}

/// Moves the encoder keys of a nanomagnet table into a rig table.
fn split_encoder(sample: &mut toml::Table, origin: &str) -> Result<RigConfig, RunError> {
    let mut enc = toml::Table::new();
    for k in [
        "encoder",
        "h_min",
        "h_max",
        "phi",
        "phi0",
        "phi1",
        "timesteps",
    ] {
        if let Some(v) = sample.remove(k) {
            enc.insert(k.to_owned(), v);
        }
    }
    toml::Value::Table(enc)
        .try_into()
        .map_err(|e: toml::de::Error| {
            RunError::config(origin, format!("[substrate]: {}", e.message()))
        })
}
