//! Draws each model's pulsed response for `docs/physics/memristor.md`.
//!
//! Every model gets the same protocol in units of its own default pulse: 30 write pulses at
//! `+v_write`, 30 pulse periods at zero bias (decay), 30 erase pulses at `v_erase`, 30 periods
//! at zero bias. The top row of each panel is the state variable; the read current at the end
//! of every write/erase pulse is printed as a table for the doc.
//!
//! Run from the workspace root:
//! `cargo run -p physrc-memristor --example pulse_response -- docs/physics/memristor-pulses.svg`

use physrc_memristor::{
    Device, Du2017, DuParams, Hp, HpParams, MemristorError, Vteam, VteamParams, Zhong2021,
    ZhongParams,
};
use plotters::prelude::*;

/// One model's protocol: name, device, write and erase voltages, pulse width.
struct Case {
    title: &'static str,
    dev: Box<dyn Device>,
    v_write: f64,
    v_erase: f64,
    width: f64,
}

const PHASE: usize = 30;

/// Runs the protocol; returns the state after every period.
fn protocol(c: &mut Case) -> Result<Vec<f64>, MemristorError> {
    let mut states = vec![c.dev.state()];
    for phase in 0..4 {
        for _ in 0..PHASE {
            match phase {
                0 => {
                    c.dev.apply(c.v_write, c.width)?;
                }
                2 => {
                    c.dev.apply(c.v_erase, c.width)?;
                }
                // Zero bias: a 0 V pulse for the pulse map (its decay is per pulse), an idle
                // period of one pulse width for the continuous models.
                _ if c.dev.model() == "zhong2021" => {
                    c.dev.apply(0.0, c.width)?;
                }
                _ => c.dev.idle(c.width)?,
            }
            states.push(c.dev.state());
        }
    }
    Ok(states)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "memristor-pulses.svg".to_owned());
    let mut cases = [
        Case {
            title: "zhong2021: G (write 2.5 V, erase -0.8 V)",
            dev: Box::new(Zhong2021::new(ZhongParams::default())?),
            v_write: 2.5,
            v_erase: -0.8,
            width: 4e-6,
        },
        Case {
            title: "du2017: w (write 1.5 V / 0.5 ms, erase -1.5 V)",
            dev: Box::new(Du2017::new(DuParams::default())?),
            v_write: 1.5,
            v_erase: -1.5,
            width: 0.5e-3,
        },
        Case {
            title: "hp (biolek): x (write 5 V / 10 ms, erase -5 V)",
            dev: Box::new(Hp::new(HpParams::default())?),
            v_write: 5.0,
            v_erase: -5.0,
            width: 10e-3,
        },
        Case {
            title: "vteam: w (write 1 V / 10 ns, erase -0.5 V)",
            dev: Box::new(Vteam::new(VteamParams::default())?),
            v_write: 1.0,
            v_erase: -0.5,
            width: 10e-9,
        },
    ];

    let root = SVGBackend::new(&out, (1000, 700)).into_drawing_area();
    root.fill(&WHITE)?;
    let panels = root.split_evenly((2, 2));
    for (c, panel) in cases.iter_mut().zip(panels.iter()) {
        let s = protocol(c)?;
        let (lo, hi) = c.dev.state_bounds();
        let mut chart = ChartBuilder::on(panel)
            .caption(c.title, ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(45)
            .build_cartesian_2d(0f64..(4 * PHASE) as f64, lo..hi)?;
        chart
            .configure_mesh()
            .x_desc("pulse period")
            .y_desc("state")
            .draw()?;
        chart.draw_series(LineSeries::new(
            s.iter().enumerate().map(|(k, &v)| (k as f64, v)),
            &BLUE,
        ))?;
        for x in [PHASE, 2 * PHASE, 3 * PHASE] {
            chart.draw_series(LineSeries::new(
                [(x as f64, lo), (x as f64, hi)],
                &BLACK.mix(0.2),
            ))?;
        }
        println!(
            "{:10} state: start {:.4}, after write {:.4}, after decay {:.4}, after erase {:.4}, end {:.4}",
            c.dev.model(),
            s[0],
            s[PHASE],
            s[2 * PHASE],
            s[3 * PHASE],
            s[4 * PHASE]
        );
    }
    root.present()?;
    println!("wrote {out}");
    Ok(())
}
