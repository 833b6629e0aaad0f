//! No run config crashes `physrc`: every value of every documented key of every table, of
//! every TOML type, gives either a typed error or a substrate that builds and steps.
//!
//! Each property generates whole `[substrate]`, `[task]`, `[split]`, `[readout]` or `[data]`
//! tables, writes them as TOML text and goes through the path `physrc run` takes:
//! `RunConfig::from_toml_str`, then `physrc::substrate::build_within` and three steps, or
//! `physrc::experiment::run` on a tiny split. A panic or an allocation failure fails the test;
//! errors are fine as long as they say something.
//!
//! Every key has two pools of values. The valid pool holds plausible values with small sizes,
//! so a config that builds also runs in milliseconds; the wild pool holds extremes (0, −1,
//! `i64::MAX`, one past the key's documented bound, NaN, ±∞, 1e308, −0.0, 5e-324), sizes
//! within the bound that the memory budget must refuse, and values of any TOML type (strings,
//! booleans, dates, arrays, tables). Two tables in five draw from the valid pool only, so many
//! configs get as far as stepping; the others give every key a chance of a wild value and add
//! an undocumented key now and then. Sizes between the plausible ones and the bounds are valid
//! but slow to run; `tests/memory_limits.rs` covers the large end.
//!
//! Substrates are built within a fixed 2 GiB memory budget rather than what the machine has,
//! so the outcome does not depend on the machine.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ndarray::{Array1, Array2, Array3};
use ndarray_npy::write_npy;
use physrc::config::RunConfig;
use physrc::core::MemoryBudget;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use toml::{Table, Value};

/// Cases per table: every key meets its extremes many times over, and all the properties
/// together take seconds.
const CASES: u32 = 256;

/// The budget substrates are built within.
const BUDGET: MemoryBudget = MemoryBudget::bytes(2 << 30);

fn config() -> ProptestConfig {
    let default = ProptestConfig::default();
    ProptestConfig {
        // `PROPTEST_CASES` may ask for more, never for fewer.
        cases: default.cases.max(CASES),
        // Shrinking re-runs builds; the failing table is reported either way.
        max_shrink_iters: 64,
        // A failure found here becomes a named test at the end of this file instead.
        failure_persistence: None,
        ..default
    }
}

// ---------------------------------------------------------------------------------------------
// Values.

/// Integers at the edges: zero, signs, the 32- and 64-bit limits, 2^53.
fn int_extreme() -> BoxedStrategy<Value> {
    prop_oneof![
        Just(0i64),
        Just(1),
        Just(-1),
        Just(i64::MIN),
        Just(i64::MAX),
        Just(i64::from(u32::MAX)),
        Just(1 << 32),
        Just(1 << 53),
        Just(1_000_000_000_000),
        any::<i64>(),
    ]
    .prop_map(Value::Integer)
    .boxed()
}

/// Floats at the edges: NaN, infinities, the largest and smallest magnitudes, signed zero.
fn float_extreme() -> BoxedStrategy<Value> {
    prop_oneof![
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(1e308),
        Just(-1e308),
        Just(f64::MAX),
        Just(5e-324),
        Just(1e-300),
        Just(-0.0),
        Just(0.0),
        Just(-1.0),
        any::<f64>(),
    ]
    .prop_map(Value::Float)
    .boxed()
}

fn date() -> Value {
    Value::Datetime("1979-05-27T07:32:00Z".parse().expect("a valid TOML date"))
}

/// A value of any TOML type, nested up to two levels.
fn any_value() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        int_extreme(),
        float_extreme(),
        any::<bool>().prop_map(Value::Boolean),
        "[a-z_-]{0,12}".prop_map(Value::String),
        any::<String>().prop_map(Value::String),
        Just(date()),
    ];
    leaf.prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..3)
                .prop_map(|m| Value::Table(m.into_iter().collect())),
        ]
    })
    .boxed()
}

/// The values of one key: `valid` ones the key accepts (small sizes, so that a config that
/// builds also runs in milliseconds) and `wild` ones: extremes, one past the key's bound, and
/// values of other types.
#[derive(Clone)]
struct V {
    valid: BoxedStrategy<Value>,
    wild: BoxedStrategy<Value>,
}

/// A size or count: valid in `small`, wild one past `bound`, at the integer extremes or of
/// another type.
fn count(small: std::ops::RangeInclusive<i64>, bound: i64) -> V {
    V {
        valid: small.prop_map(Value::Integer).boxed(),
        wild: prop_oneof![
            2 => Just(Value::Integer(bound.saturating_add(1))),
            3 => int_extreme(),
            1 => any_value(),
        ]
        .boxed(),
    }
}

impl V {
    /// Adds `sizes` to the wild values: sizes within the key's bound that the memory budget
    /// must refuse.
    fn or_huge(self, sizes: &'static [i64]) -> V {
        V {
            valid: self.valid,
            wild: prop_oneof![
                3 => self.wild,
                1 => prop::sample::select(sizes).prop_map(Value::Integer),
            ]
            .boxed(),
        }
    }
}

/// A real number: valid in `typical`, wild at the float or integer extremes or of another type.
fn real(typical: std::ops::RangeInclusive<f64>) -> V {
    V {
        valid: typical.prop_map(Value::Float).boxed(),
        wild: prop_oneof![
            3 => float_extreme(),
            1 => int_extreme(),
            1 => any_value(),
        ]
        .boxed(),
    }
}

/// One of `words`; wild: another string or another type.
fn word(words: &'static [&'static str]) -> V {
    V {
        valid: prop::sample::select(words)
            .prop_map(|w| Value::String(w.to_owned()))
            .boxed(),
        wild: prop_oneof!["[a-z-]{0,10}".prop_map(Value::String), any_value()].boxed(),
    }
}

fn boolean() -> V {
    V {
        valid: any::<bool>().prop_map(Value::Boolean).boxed(),
        wild: any_value(),
    }
}

fn seed() -> V {
    V {
        valid: (0i64..100).prop_map(Value::Integer).boxed(),
        wild: prop_oneof![int_extreme(), any_value()].boxed(),
    }
}

/// A pair `[a, b]`; wild: a pair with a wild member, another length, or another type.
fn pair(item: V) -> V {
    V {
        valid: (item.valid.clone(), item.valid.clone())
            .prop_map(|(a, b)| Value::Array(vec![a, b]))
            .boxed(),
        wild: prop_oneof![
            (item.valid.clone(), item.wild.clone()).prop_map(|(a, b)| Value::Array(vec![a, b])),
            (item.wild.clone(), item.valid.clone()).prop_map(|(a, b)| Value::Array(vec![a, b])),
            prop::collection::vec(item.valid, 0..4).prop_map(Value::Array),
            any_value(),
        ]
        .boxed(),
    }
}

/// A lattice size `[nx, ny]`: small, or with an entry past the bound of 4e8 cells, or with
/// both entries large enough that the memory budget must refuse the array.
fn size_pair() -> V {
    let p = pair(count(1..=6, 400_000_000));
    let huge = prop::sample::select(&[10_000i64, 20_000][..]);
    V {
        valid: p.valid,
        wild: prop_oneof![
            3 => p.wild,
            1 => (huge.clone(), huge)
                .prop_map(|(x, y)| Value::Array(vec![Value::Integer(x), Value::Integer(y)])),
        ]
        .boxed(),
    }
}

/// A list of `item`; wild: a list with wild members, or another type.
fn list(item: V, len: std::ops::Range<usize>) -> V {
    V {
        valid: prop::collection::vec(item.valid.clone(), len.clone())
            .prop_map(Value::Array)
            .boxed(),
        wild: prop_oneof![
            prop::collection::vec(prop_oneof![item.valid, item.wild], len).prop_map(Value::Array),
            any_value(),
        ]
        .boxed(),
    }
}

/// A file name from the fixture folder (each of which may still be the wrong array for the
/// key); wild: a folder, a missing file, a text file, or another type.
fn path() -> V {
    path_of(FILES)
}

/// One of `files`; wild: another fixture, a folder, a missing file, a text file, or another
/// type.
fn path_of(files: &'static [&'static str]) -> V {
    V {
        valid: prop::sample::select(files)
            .prop_map(|f| Value::String(f.to_owned()))
            .boxed(),
        wild: prop_oneof![
            prop::sample::select(FILES).prop_map(|f| Value::String(f.to_owned())),
            prop::sample::select(&["", ".", "/", "missing.npy", "dir", "notes.txt"][..])
                .prop_map(|f| Value::String(f.to_owned())),
            any_value(),
        ]
        .boxed(),
    }
}

/// Exactly `value`; wild: another type.
fn fixed(value: &'static str) -> V {
    V {
        valid: Just(Value::String(value.to_owned())).boxed(),
        wild: any_value(),
    }
}

// ---------------------------------------------------------------------------------------------
// Tables.

/// A key, its values and how often it is present (0 to 1).
type Key = (&'static str, V, f64);

fn key(name: &'static str, values: V, presence: f64) -> Key {
    (name, values, presence)
}

/// A table of `keys`, each present at its rate. Two cases in five draw only valid values, so
/// that many configs build and step; the others give every present key one chance in four of
/// a wild value, and add a key nobody documents now and then.
fn table(keys: Vec<Key>) -> BoxedStrategy<Table> {
    prop_oneof![
        2 => table_of(&keys, false),
        3 => table_of(&keys, true),
    ]
    .boxed()
}

fn table_of(keys: &[Key], wild: bool) -> BoxedStrategy<Table> {
    let entries: Vec<BoxedStrategy<Option<(String, Value)>>> = keys
        .iter()
        .map(|(name, values, presence)| {
            let name = *name;
            let v = if wild {
                prop_oneof![3 => values.valid.clone(), 1 => values.wild.clone()].boxed()
            } else {
                values.valid.clone()
            };
            let entry = v.prop_map(move |v| (name.to_owned(), v));
            if *presence >= 1.0 {
                entry.prop_map(Some).boxed()
            } else {
                prop::option::weighted(*presence, entry).boxed()
            }
        })
        .collect();
    let unknown = prop::option::weighted(
        if wild { 0.05 } else { 1e-9 },
        ("[a-z_]{1,10}", any_value()),
    );
    (entries, unknown)
        .prop_map(|(entries, unknown)| {
            let mut t: Table = entries.into_iter().flatten().collect();
            if let Some((k, v)) = unknown {
                t.entry(k).or_insert(v);
            }
            t
        })
        .boxed()
}

/// A nested table of `keys` as the value of a key.
fn subtable(keys: Vec<Key>) -> V {
    V {
        valid: table_of(&keys, false).prop_map(Value::Table).boxed(),
        wild: prop_oneof![table_of(&keys, true).prop_map(Value::Table), any_value()].boxed(),
    }
}

/// A table of `keys` under `kind` (one case in twenty has a `kind` of the wrong type).
fn kind_table(kind: &'static str, keys: Vec<Key>) -> BoxedStrategy<Table> {
    with_kind(kind, table(keys))
}

fn with_kind(kind: &'static str, t: BoxedStrategy<Table>) -> BoxedStrategy<Table> {
    let kind = prop_oneof![19 => Just(Value::String(kind.to_owned())), 1 => any_value()];
    (t, kind)
        .prop_map(|(mut t, kind)| {
            t.insert("kind".to_owned(), kind);
            t
        })
        .boxed()
}

/// The union of the tables `parts` draw (a key of a later part wins).
fn merged(parts: Vec<BoxedStrategy<Table>>) -> BoxedStrategy<Table> {
    parts
        .prop_map(|parts| parts.into_iter().flatten().collect())
        .boxed()
}

/// One of the tables `choices` draw.
fn either(choices: Vec<BoxedStrategy<Table>>) -> BoxedStrategy<Table> {
    prop::strategy::Union::new(choices).boxed()
}

fn esn() -> BoxedStrategy<Table> {
    kind_table(
        "esn",
        vec![
            key("w", path(), 0.1),
            key("win", path(), 0.1),
            key("bias", path(), 0.1),
            key("leak_rate", real(0.05..=1.0), 0.4),
            key(
                "units",
                count(1..=40, 1_000_000).or_huge(&[300_000, 1_000_000]),
                0.9,
            ),
            key("spectral_radius", real(0.1..=1.5), 0.4),
            key("w_init", word(&["normal", "uniform", "orthogonal"]), 0.3),
            key("connectivity", real(0.2..=1.0), 0.3),
            key("input_scaling", real(0.1..=2.0), 0.3),
            key("input_connectivity", real(0.5..=1.0), 0.3),
            key("bias_scaling", real(0.0..=1.0), 0.3),
            key("activation", word(&["tanh", "identity"]), 0.3),
            key("seed", seed(), 0.3),
        ],
    )
}

/// The parameter table of one memristor model (`[substrate.hp]`, ...); any of the four may
/// appear under any model's name, which the config must refuse.
fn memristor_model_table() -> V {
    let p = |n| key(n, real(0.0..=10.0), 0.3);
    let window = || key("window", word(&["none", "joglekar", "biolek"]), 0.3);
    let exponent = || key("p", count(1..=10, u32::MAX.into()), 0.3);
    let tables = [
        vec![p("r"), p("g0"), p("kp"), p("kn"), p("alpha"), p("v_limit")],
        vec![
            p("alpha"),
            p("beta"),
            p("gamma"),
            p("delta"),
            p("lambda"),
            p("eta"),
            p("w_min"),
            p("w_max"),
            p("tau"),
            p("v_limit"),
        ],
        vec![
            p("mu_v"),
            p("d"),
            p("r_on"),
            p("r_off"),
            window(),
            exponent(),
            p("tau"),
            p("x_rest"),
            p("v_limit"),
        ],
        vec![
            p("r_on"),
            p("r_off"),
            p("d"),
            p("k_on"),
            p("k_off"),
            p("alpha_on"),
            p("alpha_off"),
            p("v_on"),
            p("v_off"),
            window(),
            exponent(),
            p("tau"),
            p("w_rest"),
            p("v_limit"),
        ],
    ];
    let all: Vec<V> = tables.into_iter().map(subtable).collect();
    V {
        valid: prop::strategy::Union::new(all.iter().map(|v| v.valid.clone())).boxed(),
        wild: prop::strategy::Union::new(all.into_iter().map(|v| v.wild)).boxed(),
    }
}

fn memristor() -> BoxedStrategy<Table> {
    kind_table(
        "memristor",
        vec![
            key("model", word(&["zhong2021", "du2017", "hp", "vteam"]), 0.95),
            key("devices", count(1..=12, 1 << 26).or_huge(&[1 << 26]), 0.95),
            key("virtual_nodes", count(1..=6, 1 << 26), 0.95),
            key("v_min", real(-1.0..=0.5), 0.95),
            key("v_max", real(0.5..=2.5), 0.95),
            key("pulse_width", real(1e-7..=1e-4), 0.3),
            key("gap", real(0.0..=1e-4), 0.2),
            key("variation", real(0.0..=0.5), 0.3),
            key("read_noise", real(0.0..=1.0), 0.3),
            key("seed", seed(), 0.3),
            key("zhong2021", memristor_model_table(), 0.1),
            key("du2017", memristor_model_table(), 0.1),
            key("hp", memristor_model_table(), 0.1),
            key("vteam", memristor_model_table(), 0.1),
        ],
    )
}

fn mask() -> V {
    word(&["binary", "uniform"])
}

fn oscillator_delay() -> BoxedStrategy<Table> {
    kind_table(
        "oscillator",
        vec![
            key("model", fixed("delay"), 1.0),
            key("nodes", count(1..=50, 1 << 24), 0.5),
            key("theta", real(0.01..=1.0), 0.3),
            key("eta", real(0.0..=1.0), 0.3),
            key("gamma", real(-1.0..=1.0), 0.3),
            key("p", real(1.0..=12.0), 0.3),
            key("mask_amplitude", real(0.0..=1.0), 0.3),
            key("mask", mask(), 0.3),
            key("input_offset", real(-1.0..=1.0), 0.3),
            key("input_scale", real(-2.0..=2.0), 0.3),
            key("seed", seed(), 0.3),
            key("delay_offset", count(0..=5, 1 << 24), 0.3),
        ],
    )
}

fn oscillator_stno() -> BoxedStrategy<Table> {
    kind_table(
        "oscillator",
        vec![
            key("model", fixed("stno"), 1.0),
            key("gamma_g_per_ns", real(0.001..=0.05), 0.3),
            key("q", real(0.0..=5.0), 0.3),
            key("i_threshold_ma", real(1.0..=10.0), 0.3),
            key("i_bias_ma", real(-6.0..=6.0), 0.3),
            key("delta_i_ma", real(0.0..=2.0), 0.3),
            key("i_max_ma", real(5.0..=20.0), 0.3),
            key("thermal_power", real(0.0..=1e-3), 0.3),
            key("resistance_ohm", real(0.0..=100.0), 0.3),
            key("virtual_nodes", count(1..=20, 1 << 24), 0.5),
            key("theta_ns", real(0.1..=20.0), 0.3),
            key("substeps", count(1..=40, 1_000_000), 0.3),
            key("mask", mask(), 0.3),
            key("output", word(&["amplitude", "power"]), 0.3),
            key("feedback_ma", real(-1.0..=1.0), 0.3),
            key("feedback_offset", count(0..=5, 1 << 24), 0.3),
            key("seed", seed(), 0.3),
        ],
    )
}

fn oscillator_stuart_landau() -> BoxedStrategy<Table> {
    kind_table(
        "oscillator",
        vec![
            key("model", fixed("stuart-landau"), 1.0),
            key(
                "oscillators",
                count(1..=20, 100_000).or_huge(&[100_000]),
                0.5,
            ),
            key("virtual_nodes", count(1..=5, 1 << 24), 0.4),
            key("theta", real(0.1..=3.0), 0.3),
            key("substeps", count(1..=20, 1_000_000), 0.3),
            key("lambda", real(-1.0..=1.0), 0.3),
            key("omega", real(-1.0..=1.0), 0.3),
            key("omega_spread", real(0.0..=1.0), 0.3),
            key("coupling", real(0.0..=1.0), 0.3),
            key("coupling_phase", real(-4.0..=4.0), 0.3),
            key("connectivity", real(0.01..=1.0), 0.3),
            key("input_scaling", real(-1.0..=1.0), 0.3),
            key("readout", word(&["re-im", "intensity"]), 0.3),
            key("seed", seed(), 0.3),
        ],
    )
}

/// The array keys of `kind = "nanomagnet"` (also the emulated rig's sample): a lattice, a
/// spin-vortex ice or a custom array, with a readout.
fn nanomagnet_sample() -> BoxedStrategy<Table> {
    let lattice = || {
        word(&[
            "square-closed",
            "square-open",
            "pinwheel-diamond",
            "pinwheel-random",
            "kagome",
        ])
    };
    let model = vec![
        key("size", size_pair(), 0.6),
        key("lattice_spacing", real(0.1..=3.0), 0.2),
        key("alpha", real(0.0..=0.01), 0.2),
        key("hc", real(0.05..=0.3), 0.2),
        key("disorder", real(0.0..=0.2), 0.3),
        key("sw_b", real(0.1..=1.0), 0.1),
        key("sw_c", real(0.5..=2.0), 0.1),
        key("sw_beta", real(1.0..=3.0), 0.1),
        key("sw_gamma", real(1.0..=5.0), 0.1),
        key("neighbor_distance", real(0.5..=4.0), 0.2),
        // Not "all": a relax in that mode can flip two coupled magnets back and forth forever
        // (a hang the model does not bound yet, not a crash).
        key("flip_mode", word(&["max", "max-rand", "single"]), 0.2),
        key("temperature", real(0.0..=400.0), 0.2),
        key("m_therm", real(1e-17..=1e-15), 0.1),
        key("attempt_freq", real(1e8..=1e10), 0.1),
        key("therm_timescale", real(0.1..=2.0), 0.1),
        key("random_seed", seed(), 0.3),
        key("engine", word(&["incremental", "reference"]), 0.2),
        key("spin_angle", real(-90.0..=90.0), 0.1),
        key("spin_angle_disorder", real(0.0..=10.0), 0.1),
        key("init", path_of(&["spins.npy"]), 0.1),
        key("threshold", path_of(&["thresholds.npy"]), 0.1),
        key("moment", real(1e-17..=1e-15), 0.1),
    ];
    let array = either(vec![
        table(vec![key("geometry", lattice(), 1.0)]),
        table(vec![
            key("geometry", lattice(), 1.0),
            key(
                "wide_bars",
                word(&["none", "vertical", "horizontal", "alternate"]),
                1.0,
            ),
            key("hc_wide", real(0.05..=0.3), 0.3),
            key("vortex_window", real(0.0..=0.5), 0.3),
            key("vortex_annihilation", real(0.5..=2.0), 0.3),
        ]),
        table(vec![
            key("geometry", word(&["custom"]), 1.0),
            key("positions", path_of(&["positions.npy"]), 0.95),
            key("angles", path_of(&["angles.npy"]), 0.95),
        ]),
    ]);
    let readout = either(vec![
        table(vec![key(
            "readout",
            word(&["spins", "magnetization", "vertex-types"]),
            0.7,
        )]),
        table(vec![
            key("readout", word(&["windows", "vertex-types"]), 1.0),
            key("window", real(1e-6..=4.0), 0.7),
        ]),
        table(vec![
            key("readout", word(&["fmr"]), 1.0),
            key(
                "fmr",
                subtable(vec![
                    key("bins", count(1..=100, 100_000), 0.5),
                    key("f_min", real(0.0..=10.0), 0.3),
                    key("f_max", real(10.0..=20.0), 0.3),
                    key("linewidth", real(0.01..=1.0), 0.3),
                    key("f_narrow", real(0.0..=12.0), 0.2),
                    key("f_wide", real(0.0..=12.0), 0.2),
                    key("gamma", real(0.0..=40.0), 0.2),
                    key("vortex_shift", real(0.0..=5.0), 0.2),
                    key("vortex_amplitude", real(0.01..=1.0), 0.2),
                    key("applied_field", boolean(), 0.2),
                ]),
                0.6,
            ),
        ]),
    ]);
    merged(vec![table(model), array, readout])
}

/// The encoder keys of `kind = "nanomagnet"` and `kind = "rig"`, as one encoder takes them.
fn encoder() -> BoxedStrategy<Table> {
    let fields = || {
        vec![
            key("h_min", real(0.0..=0.07), 0.6),
            key("h_max", real(0.07..=0.12), 0.95),
        ]
    };
    let with = |encoders: &'static [&'static str], presence: f64, mut keys: Vec<Key>| {
        keys.push(key("encoder", word(encoders), presence));
        keys.extend(fields());
        table(keys)
    };
    either(vec![
        with(
            &["loop", "constant"],
            0.5,
            vec![key("phi", real(-360.0..=360.0), 0.3)],
        ),
        with(
            &["sine", "triangle"],
            1.0,
            vec![
                key("phi", real(-360.0..=360.0), 0.3),
                key("timesteps", count(1..=8, 1_000_000), 0.5),
            ],
        ),
        with(
            &["rotate"],
            1.0,
            vec![key("timesteps", count(1..=8, 1_000_000), 0.5)],
        ),
        with(
            &["angle"],
            1.0,
            vec![
                key("phi0", real(-360.0..=360.0), 0.5),
                key("phi1", real(-360.0..=360.0), 0.5),
            ],
        ),
        with(&["direct"], 1.0, vec![]),
    ])
}

fn nanomagnet() -> BoxedStrategy<Table> {
    with_kind("nanomagnet", merged(vec![nanomagnet_sample(), encoder()]))
}

/// The input dimension a nanomagnet or rig table's encoder takes; `flip` gives the other one.
fn encoder_input_dim(t: &Table, flip: bool) -> usize {
    let direct = t.get("encoder").and_then(Value::as_str) == Some("direct");
    if direct != flip { 2 } else { 1 }
}

fn rig_emulator() -> BoxedStrategy<Table> {
    let hardware = table(vec![
        key("field_full_scale", real(0.15..=0.3), 0.2),
        key("max_field", real(0.1..=0.15), 0.2),
        key("max_slew", real(10.0..=200.0), 0.2),
        key("watchdog", real(1.0..=10.0), 0.2),
        key("adc_full_scale", real(0.5..=4.0), 0.2),
        key("noise", real(0.0..=0.1), 0.2),
        key("fault_rate", real(0.0..=0.05), 0.2),
        key("reset_every", count(20..=200, i64::MAX), 0.1),
        key("fault_seed", seed(), 0.1),
    ]);
    let sample = merged(vec![nanomagnet_sample(), hardware]);
    let emulator = prop_oneof![
        3 => sample.prop_map(|t| Some(Value::Table(t))),
        1 => Just(None),
        1 => any_value().prop_map(Some),
    ];
    let host = table(vec![
        key("port", fixed("emulator"), 1.0),
        key("baud", count(1200..=921_600, u32::MAX.into()), 0.2),
        key("timeout", real(0.1..=0.5), 0.3),
        key("retries", count(0..=5, u32::MAX.into()), 0.2),
        key("max_field", real(0.1..=0.2), 0.2),
        key("settle", real(0.0..=0.002), 0.2),
        key("saturate", pair(real(-0.1..=0.1)), 0.1),
        key("batch", count(1..=64, 1 << 20), 0.3),
        key("seed", seed(), 0.3),
    ]);
    let rig = (merged(vec![host, encoder()]), emulator)
        .prop_map(|(mut t, emulator)| {
            if let Some(e) = emulator {
                t.insert("emulator".to_owned(), e);
            }
            t
        })
        .boxed();
    with_kind("rig", rig)
}

/// Small lengths for a task's length keys, wild one past `bound`.
fn len(bound: i64) -> V {
    count(0..=50, bound)
}

fn task() -> BoxedStrategy<Table> {
    let seed = || key("seed", seed(), 0.3);
    let burn_in = || key("burn_in", len(100_000_000), 0.2);
    let narma = || {
        vec![
            key("order", count(1..=30, i64::MAX), 0.5),
            seed(),
            burn_in(),
            key("form", word(&["auto", "standard", "tanh"]), 0.3),
            key("alpha", real(0.0..=0.5), 0.2),
            key("beta", real(0.0..=0.1), 0.2),
            key("gamma", real(0.0..=2.0), 0.2),
            key("delta", real(0.0..=0.2), 0.2),
        ]
    };
    let mackey_glass = vec![
        key("a", real(0.1..=0.3), 0.2),
        key("b", real(0.05..=0.2), 0.2),
        key("n", real(5.0..=15.0), 0.2),
        key("tau", one_of(&[17.0, 10.0, 30.0]), 0.3),
        key("x0", real(0.5..=1.5), 0.2),
        key("dt", one_of(&[0.1, 0.5, 1.0]), 0.2),
        key("sample_interval", one_of(&[1.0, 2.0]), 0.2),
        key("discard", len(100_000_000), 0.5),
        key("horizons", list(count(1..=10, 100_000_000), 1..4), 0.3),
    ];
    let kinds: Vec<(&'static str, Vec<Key>)> = vec![
        ("narma10", vec![seed(), burn_in()]),
        ("narma", narma()),
        ("mackey-glass", mackey_glass),
        (
            "henon",
            vec![
                key("x0", real(-0.5..=0.5), 0.3),
                key("y0", real(-0.5..=0.5), 0.3),
                burn_in(),
            ],
        ),
        (
            "henon-zhong",
            vec![key("sigma", real(0.0..=0.01), 0.3), seed(), burn_in()],
        ),
        (
            "transform",
            vec![
                key("target", word(&["cos2t-sin3t", "square", "cos"]), 0.5),
                key("samples_per_period", count(1..=40, 100_000_000), 0.5),
            ],
        ),
        (
            "sine-square",
            vec![
                seed(),
                key("samples_per_period", count(1..=40, 100_000_000), 0.5),
            ],
        ),
        (
            "channel-equalization",
            vec![
                key("snr_db", real(-10.0..=40.0), 0.3),
                seed(),
                key("target", word(&["classes", "symbol"]), 0.5),
            ],
        ),
        (
            "memory-capacity",
            vec![
                seed(),
                key("input", word(&["uniform", "mackey-glass"]), 0.5),
                key("max_delay", count(1..=6, 100_000), 0.5),
                key("nonlinearity", boolean(), 0.3),
            ],
        ),
        (
            "ipc",
            vec![
                seed(),
                key("max_degree", count(1..=3, 5), 0.5),
                key("max_delay", count(0..=6, 200), 0.5),
            ],
        ),
        (
            "kernel-rank",
            vec![
                seed(),
                key("streams", count(1..=20, 100_000), 0.5),
                key("steps", count(1..=20, 100_000_000), 0.5),
                key("shared", count(0..=20, 100_000_000), 0.5),
                key("tolerance", real(0.0..=0.5), 0.3),
            ],
        ),
    ];
    let mut all: Vec<BoxedStrategy<Table>> = kinds
        .into_iter()
        .map(|(kind, keys)| kind_table(kind, keys))
        .collect();
    // A kind nobody knows, or of the wrong type.
    all.push(table(vec![key("kind", word(&["narma10"]), 0.9), seed()]));
    prop::strategy::Union::new(all).boxed()
}

/// One of `values`, wild at the float extremes or of another type.
fn one_of(values: &'static [f64]) -> V {
    V {
        valid: prop::sample::select(values).prop_map(Value::Float).boxed(),
        wild: real(0.0..=1.0).wild,
    }
}

fn split() -> BoxedStrategy<Table> {
    table(vec![
        key("washout", count(0..=20, 100_000_000), 0.8),
        key("train", count(0..=60, 100_000_000), 0.95),
        key("test", count(0..=30, 100_000_000), 0.95),
    ])
}

fn readout() -> BoxedStrategy<Table> {
    let alpha = || key("alpha", real(1e-9..=1.0), 0.4);
    let features = || key("features", word(&["state", "state-squared"]), 0.3);
    let standardize = || key("standardize", boolean(), 0.3);
    either(vec![
        kind_table(
            "ridge",
            vec![
                alpha(),
                features(),
                standardize(),
                key("solver", word(&["cholesky", "svd"]), 0.4),
            ],
        ),
        kind_table(
            "ridge-cv",
            vec![
                key("alphas", list(real(1e-8..=10.0), 1..6), 0.3),
                key("cv", word(&["gcv", "loo", "kfold"]), 0.6),
                key("folds", count(2..=10, i64::MAX), 0.4),
                features(),
                standardize(),
            ],
        ),
        kind_table("classifier", vec![alpha(), features(), standardize()]),
        kind_table(
            "rls",
            vec![
                key("forgetting", real(0.9..=1.0), 0.4),
                key("delta", real(1e-3..=1.0), 0.4),
                features(),
            ],
        ),
        // A kind nobody knows, or none.
        table(vec![key("kind", word(&["ridge"]), 0.8), alpha()]),
    ])
}

fn data() -> BoxedStrategy<Table> {
    table(vec![
        key(
            "inputs",
            path_of(&["u.npy", "u2.npy", "f32.npy", "ints.npy"]),
            0.9,
        ),
        key("targets", path_of(&["y.npy", "labels.npy"]), 0.95),
        key("normalize", boolean(), 0.5),
    ])
}

// ---------------------------------------------------------------------------------------------
// Fixture files.

/// The files a generated `[data]` table or a path key may name.
const FILES: &[&str] = &[
    "u.npy",
    "u2.npy",
    "y.npy",
    "labels.npy",
    "short.npy",
    "nan.npy",
    "cube.npy",
    "f32.npy",
    "ints.npy",
    "empty.npy",
    "states.npy",
    "states_short.npy",
    "spins.npy",
    "positions.npy",
    "angles.npy",
    "thresholds.npy",
    "w.npy",
    "win.npy",
    "bias.npy",
];

/// A folder holding every file of [`FILES`], made once per test process (its own folder, so
/// that concurrent runs never read a file another is writing).
fn fixtures() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("config-properties-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("dir")).unwrap();
        let w = |name: &str, a: &Array2<f64>| write_npy(dir.join(name), a).unwrap();
        let t = 60;
        w(
            "u.npy",
            &Array2::from_shape_fn((t, 1), |(i, _)| (i as f64 * 0.37).sin()),
        );
        w(
            "u2.npy",
            &Array2::from_shape_fn((t, 2), |(i, j)| ((i + j) as f64 * 0.3).cos()),
        );
        w(
            "y.npy",
            &Array2::from_shape_fn((t, 1), |(i, _)| (i as f64 * 0.37 + 0.4).sin()),
        );
        write_npy(
            dir.join("labels.npy"),
            &Array1::from_shape_fn(t, |i| (i % 2) as i64),
        )
        .unwrap();
        w("short.npy", &Array2::from_elem((10, 1), 0.5));
        let mut nan = Array2::from_elem((t, 1), 0.25);
        nan[[7, 0]] = f64::NAN;
        w("nan.npy", &nan);
        write_npy(dir.join("cube.npy"), &Array3::<f64>::zeros((4, 3, 2))).unwrap();
        write_npy(dir.join("f32.npy"), &Array2::<f32>::from_elem((t, 1), 0.5)).unwrap();
        write_npy(dir.join("ints.npy"), &Array2::<i32>::from_elem((t, 1), 3)).unwrap();
        w("empty.npy", &Array2::zeros((0, 1)));
        w(
            "states.npy",
            &Array2::from_shape_fn((t, 5), |(i, j)| ((i * j) as f64).sin()),
        );
        w("states_short.npy", &Array2::from_elem((10, 5), 0.1));
        write_npy(dir.join("spins.npy"), &Array1::<i8>::from_elem(40, 1)).unwrap();
        w(
            "positions.npy",
            &Array2::from_shape_fn((5, 2), |(i, j)| (i * (j + 1)) as f64),
        );
        write_npy(dir.join("angles.npy"), &Array1::<f64>::zeros(5)).unwrap();
        write_npy(
            dir.join("thresholds.npy"),
            &Array1::<f64>::from_elem(40, 0.2),
        )
        .unwrap();
        w(
            "w.npy",
            &Array2::from_shape_fn((6, 6), |(i, j)| if i == (j + 1) % 6 { 0.9 } else { 0.0 }),
        );
        w("win.npy", &Array2::from_elem((6, 1), 0.5));
        write_npy(dir.join("bias.npy"), &Array1::<f64>::from_elem(6, 0.1)).unwrap();
        std::fs::write(dir.join("notes.txt"), "not an array").unwrap();
        dir
    })
}

// ---------------------------------------------------------------------------------------------
// Running a config.

fn toml_text(sections: &[(&str, &Table)]) -> String {
    let mut root = Table::new();
    for (name, t) in sections {
        root.insert((*name).to_owned(), Value::Table((*t).clone()));
    }
    toml::to_string(&root).expect("every generated table serialises")
}

fn tiny_esn() -> Table {
    toml::from_str("kind = \"esn\"\nunits = 8\nspectral_radius = 0.9\nseed = 1").unwrap()
}

fn tiny_split() -> Table {
    toml::from_str("washout = 5\ntrain = 30\ntest = 20").unwrap()
}

fn narma10() -> Table {
    toml::from_str("kind = \"narma10\"").unwrap()
}

/// An error is acceptable when it says something.
fn check_error(text: &str, e: &dyn std::error::Error) -> Result<(), TestCaseError> {
    prop_assert!(
        !e.to_string().is_empty(),
        "an empty error message for\n{text}"
    );
    Ok(())
}

/// Parses `text` and builds its substrate within [`BUDGET`] for `input_dim` inputs; a built
/// substrate is reset and stepped three times.
fn build_and_step(text: &str, input_dim: usize) -> Result<(), TestCaseError> {
    let cfg = match RunConfig::from_toml_str(text, fixtures(), "prop.toml") {
        Ok(c) => c,
        Err(e) => return check_error(text, &e),
    };
    let kind = cfg
        .substrate_kind()
        .expect("the generator sets a kind")
        .to_owned();
    let mut r = match physrc::substrate::build_within(&kind, &cfg, input_dim, BUDGET) {
        Ok(r) => r,
        Err(e) => return check_error(text, &e),
    };
    let mut state = vec![0.0; r.state_dim()];
    if let Err(e) = r.reset() {
        return check_error(text, &e);
    }
    let d = r.input_dim();
    for u in [0.3, -1.0, 1.0] {
        if let Err(e) = r.step(&vec![u; d], &mut state) {
            return check_error(text, &e);
        }
    }
    Ok(())
}

/// Parses `text` and runs it.
fn run(text: &str) -> Result<(), TestCaseError> {
    let cfg = match RunConfig::from_toml_str(text, fixtures(), "prop.toml") {
        Ok(c) => c,
        Err(e) => return check_error(text, &e),
    };
    match physrc::experiment::run(&cfg) {
        Ok(_) => Ok(()),
        Err(e) => check_error(text, &e),
    }
}

fn substrate_text(substrate: &Table) -> String {
    toml_text(&[
        ("substrate", substrate),
        ("task", &narma10()),
        ("split", &tiny_split()),
    ])
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn esn_tables_give_a_substrate_or_an_error(t in esn(), d in 1usize..=2) {
        build_and_step(&substrate_text(&t), d)?;
    }

    #[test]
    fn memristor_tables_give_a_substrate_or_an_error(t in memristor(), d in 1usize..=2) {
        build_and_step(&substrate_text(&t), d)?;
    }

    #[test]
    fn delay_oscillator_tables_give_a_substrate_or_an_error(t in oscillator_delay(), d in 1usize..=2) {
        build_and_step(&substrate_text(&t), d)?;
    }

    #[test]
    fn stno_tables_give_a_substrate_or_an_error(t in oscillator_stno(), d in 1usize..=2) {
        build_and_step(&substrate_text(&t), d)?;
    }

    #[test]
    fn stuart_landau_tables_give_a_substrate_or_an_error(
        t in oscillator_stuart_landau(),
        d in 1usize..=2,
    ) {
        build_and_step(&substrate_text(&t), d)?;
    }

    #[test]
    fn nanomagnet_tables_give_a_substrate_or_an_error(
        t in nanomagnet(),
        flip in prop::bool::weighted(0.1),
    ) {
        build_and_step(&substrate_text(&t), encoder_input_dim(&t, flip))?;
    }

    #[test]
    fn emulated_rig_tables_give_a_substrate_or_an_error(
        t in rig_emulator(),
        flip in prop::bool::weighted(0.1),
    ) {
        build_and_step(&substrate_text(&t), encoder_input_dim(&t, flip))?;
    }

    #[test]
    fn task_tables_run_or_give_an_error(t in task()) {
        let streams = t.get("kind").and_then(Value::as_str) == Some("kernel-rank");
        let text = if streams {
            toml_text(&[("substrate", &tiny_esn()), ("task", &t)])
        } else {
            toml_text(&[("substrate", &tiny_esn()), ("task", &t), ("split", &tiny_split())])
        };
        run(&text)?;
    }

    #[test]
    fn split_tables_run_or_give_an_error(t in split()) {
        run(&toml_text(&[("substrate", &tiny_esn()), ("task", &narma10()), ("split", &t)]))?;
    }

    #[test]
    fn readout_tables_run_or_give_an_error(t in readout(), labels in any::<bool>()) {
        let task: Table = if labels {
            toml::from_str("kind = \"sine-square\"").unwrap()
        } else {
            narma10()
        };
        run(&toml_text(&[
            ("substrate", &tiny_esn()),
            ("task", &task),
            ("split", &tiny_split()),
            ("readout", &t),
        ]))?;
    }

    #[test]
    fn data_tables_run_or_give_an_error(
        t in data(),
        recorded in any::<bool>(),
        classifier in any::<bool>(),
    ) {
        let substrate: Table = if recorded {
            toml::from_str("kind = \"recorded\"\nstates = \"states.npy\"").unwrap()
        } else {
            tiny_esn()
        };
        let readout: Table = if classifier {
            toml::from_str("kind = \"classifier\"").unwrap()
        } else {
            toml::from_str("kind = \"ridge\"").unwrap()
        };
        run(&toml_text(&[
            ("substrate", &substrate),
            ("data", &t),
            ("split", &tiny_split()),
            ("readout", &readout),
        ]))?;
    }
}

// ---------------------------------------------------------------------------------------------
// The crashes known before these properties, and those they found, kept as plain tests.

/// The error a config gives, when it is parsed or when it runs.
fn expect_error(text: &str) -> physrc::RunError {
    let run = RunConfig::from_toml_str(text, fixtures(), "regression.toml")
        .and_then(|cfg| physrc::experiment::run(&cfg));
    match run {
        Ok(_) => panic!("expected an error for\n{text}"),
        Err(e) => e,
    }
}

/// Recorded states shorter than a generated task's sequence: the runner sliced past their end.
#[test]
fn recorded_states_shorter_than_a_generated_task_are_an_error() {
    let e = expect_error(
        "[substrate]\nkind = \"recorded\"\nstates = \"states_short.npy\"\n\
         [task]\nkind = \"narma10\"\n[split]\nwashout = 5\ntrain = 30\ntest = 20\n",
    );
    let msg = e.to_string();
    assert!(
        msg.contains("recorded states have 10 rows") && msg.contains("55"),
        "{msg}"
    );
}

fn nanomagnet_build(body: &str) -> Result<(), physrc::RunError> {
    let text = format!(
        "[substrate]\nkind = \"nanomagnet\"\ngeometry = \"square-closed\"\nh_min = 0.07\n\
         h_max = 0.09\n{body}\n[task]\nkind = \"narma10\"\n[split]\ntrain = 30\ntest = 20\n"
    );
    let cfg = RunConfig::from_toml_str(&text, fixtures(), "regression.toml").unwrap();
    physrc::substrate::build_within("nanomagnet", &cfg, 1, BUDGET).map(|_| ())
}

/// A window far smaller than the lattice spacing asked for an empty list per window of a grid
/// of 10^14 cells; only occupied windows are made now, at most one per magnet.
#[test]
fn a_tiny_window_builds_one_window_per_magnet() {
    let text = "[substrate]\nkind = \"nanomagnet\"\ngeometry = \"square-closed\"\nsize = [4, 4]\n\
                h_min = 0.07\nh_max = 0.09\nreadout = \"windows\"\nwindow = 1e-6\n\
                [task]\nkind = \"narma10\"\n[split]\ntrain = 30\ntest = 20\n";
    let cfg = RunConfig::from_toml_str(text, fixtures(), "regression.toml").unwrap();
    let r = physrc::substrate::build_within("nanomagnet", &cfg, 1, BUDGET).unwrap();
    // 40 magnets, each alone in its window, two magnetisation components each.
    assert_eq!(r.state_dim(), 80);
}

/// `fmr.bins` and `timesteps` had no upper bound: a huge value asked the allocator for more
/// than any machine has.
#[test]
fn huge_fmr_bins_and_timesteps_are_errors_naming_the_key() {
    let e =
        nanomagnet_build("readout = \"fmr\"\n[substrate.fmr]\nbins = 1000000000000").unwrap_err();
    assert!(e.to_string().contains("fmr.bins"), "{e}");
    let e = nanomagnet_build("encoder = \"sine\"\ntimesteps = 1000000000000").unwrap_err();
    assert!(e.to_string().contains("timesteps"), "{e}");
    assert!(nanomagnet_build("encoder = \"sine\"\ntimesteps = 1000000").is_ok());
}

/// A split whose sum overflows `usize` panicked in the sum.
#[test]
fn a_split_beyond_the_longest_task_is_an_error() {
    let text = "[substrate]\nkind = \"esn\"\nunits = 8\n[task]\nkind = \"narma10\"\n\
                [split]\nwashout = 2\ntrain = 9223372036854775807\ntest = 9223372036854775807\n";
    let e = RunConfig::from_toml_str(text, fixtures(), "regression.toml").unwrap_err();
    assert!(
        e.to_string()
            .contains("washout + train + test must be at most 100000000"),
        "{e}"
    );
}

/// `kernel-rank` held every stream at once, whatever their length.
#[test]
fn kernel_rank_streams_beyond_the_longest_task_are_an_error() {
    let e = expect_error(
        "[substrate]\nkind = \"esn\"\nunits = 8\n[task]\nkind = \"kernel-rank\"\n\
         steps = 100000001\n",
    );
    assert!(e.to_string().contains("`steps`"), "{e}");
    let e = expect_error(
        "[substrate]\nkind = \"esn\"\nunits = 8\n[task]\nkind = \"kernel-rank\"\n\
         steps = 20000000\nshared = 0\n",
    );
    assert!(
        e.to_string().contains("streams × steps (8 × 20000000)"),
        "{e}"
    );
}

/// A spacing so small that the dipolar fields overflow sent the thermal field's nearest-point
/// search past the end of the astroid table.
#[test]
fn overflowing_fields_with_a_thermal_field_do_not_panic() {
    let text = "[substrate]\nkind = \"nanomagnet\"\ngeometry = \"square-closed\"\n\
                lattice_spacing = 5e-324\ntemperature = 300\nencoder = \"sine\"\n\
                h_max = 0.07\n[task]\nkind = \"narma10\"\n[split]\ntrain = 30\ntest = 20\n";
    let cfg = RunConfig::from_toml_str(text, fixtures(), "regression.toml").unwrap();
    if let Ok(mut r) = physrc::substrate::build_within("nanomagnet", &cfg, 1, BUDGET) {
        let mut state = vec![0.0; r.state_dim()];
        let _ = r.step(&[0.3], &mut state);
    }
}

/// A retry count of `u32::MAX` overflowed the attempt count of every request.
#[test]
fn a_huge_retry_count_is_an_error() {
    let text = "[substrate]\nkind = \"rig\"\nh_max = 0.07\nretries = 4294967295\n\
                [task]\nkind = \"narma10\"\n[split]\ntrain = 30\ntest = 20\n";
    let cfg = RunConfig::from_toml_str(text, fixtures(), "regression.toml").unwrap();
    let e = physrc::substrate::build_within("rig", &cfg, 1, BUDGET)
        .map(|_| ())
        .unwrap_err();
    assert!(e.to_string().contains("retries"), "{e}");
}
