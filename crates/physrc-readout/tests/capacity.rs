//! Memory capacity and information processing capacity on reservoirs whose answer is known.
//!
//! Sources: Jaeger, "Short term memory in echo state networks", GMD Report 152 (2001): `MC ≤ N`
//! for i.i.d. input, approached by linear networks; Gonon, Grigoryeva & Ortega, Physica D 414
//! (2020): a linear network's `MC` (delay 0 included) equals the rank of its controllability
//! matrix, `N` generically; Dambre et al., Sci. Rep. 2, 514 (2012): the IPC of a linear system
//! lies entirely in degree 1, the total is at most the number of state variables, and an
//! odd-symmetric system (tanh without bias, odd input distribution) has no even-degree
//! capacity. The nonlinearity of Stenning et al., Nat. Commun. 15 (2024) is `1 − mean r²` of
//! linear models of the states from the recent inputs: 0 for linear filters of the input.

use ndarray::{Array1, Array2, ArrayView1, Axis};
use physrc_core::{ErrorKind, HasErrorKind, Reservoir};
use physrc_esn::{Activation, Esn, EsnParams, WInit};
use physrc_readout::{
    CapacityOptions, IPC_MAX_TERMS, IpcOptions, NonlinearityOptions, ReadoutError,
    information_processing_capacity, memory_capacity, nonlinearity,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// i.i.d. `U[−1, 1]` input (what `physrc_tasks::MemoryCapacity` generates).
fn uniform_input(len: usize, seed: u64) -> Array1<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Array1::from_shape_fn(len, |_| rng.random_range(-1.0..=1.0))
}

/// Runs an ESN with the given parameters on `u`.
fn esn_states(p: &EsnParams, u: ArrayView1<'_, f64>) -> Array2<f64> {
    let mut esn = Esn::new(p).expect("valid ESN parameters");
    esn.run(u.insert_axis(Axis(1))).expect("ESN run")
}

/// A linear ESN with a known memory capacity: identity activation, Haar-orthogonal `W` scaled to
/// spectral radius 0.95, N = 50, dense random ±1 input weights.
fn linear_esn(seed: u64) -> EsnParams {
    let mut p = EsnParams::new(50, 1);
    p.activation = Activation::Identity;
    p.w_init = WInit::Orthogonal;
    p.spectral_radius = 0.95;
    p.input_connectivity = 1.0;
    p.seed = seed;
    p
}

fn tanh_esn(seed: u64, bias: f64) -> EsnParams {
    let mut p = EsnParams::new(50, 1);
    p.spectral_radius = 0.9;
    p.connectivity = 0.2;
    p.input_connectivity = 1.0;
    p.input_scaling = 0.5;
    p.bias_scaling = bias;
    p.seed = seed;
    p
}

fn mc_opts() -> CapacityOptions {
    CapacityOptions {
        max_delay: 100,
        washout: 200,
        ..CapacityOptions::default()
    }
}

#[test]
fn linear_esn_reaches_memory_capacity_near_n() {
    // A linear ESN of N = 50 units must reach MC >= 45: its memory capacity is N in theory
    // (Jaeger 2001; Gonon et al. 2020), less what a finite sample and ridge penalty cost.
    let u = uniform_input(6000, 11);
    let x = esn_states(&linear_esn(3), u.view());
    let mc = memory_capacity(x.view(), u.view(), &mc_opts()).unwrap();
    eprintln!(
        "linear ESN: MC = {:.3} (from delay 1: {:.3}), MC_0 = {:.4}, MC_40 = {:.4}, MC_80 = {:.4}",
        mc.total,
        mc.sum_from(1),
        mc.per_delay[0],
        mc.per_delay[40],
        mc.per_delay[80]
    );
    assert_eq!(mc.per_delay.len(), 101);
    assert!(mc.total >= 45.0, "MC = {}", mc.total);
    assert!(
        mc.sum_from(1) >= 44.0,
        "MC from delay 1 = {}",
        mc.sum_from(1)
    );
    // Nor may it exceed the bound N by more than the estimation noise.
    assert!(mc.total <= 50.5, "MC = {}", mc.total);
    // Recent inputs are remembered almost perfectly, the memory fades with the delay.
    assert!(
        mc.per_delay[..10].iter().all(|&m| m > 0.99),
        "{:?}",
        &mc.per_delay[..10]
    );
    assert!(mc.per_delay[100] < mc.per_delay[20]);
}

#[test]
fn noise_states_have_no_memory() {
    // States of i.i.d. noise, independent of the input, hold no memory of it: whatever MC
    // they show is the bias of a finite sample, which must stay below 1.
    let u = uniform_input(6000, 12);
    let mut rng = ChaCha8Rng::seed_from_u64(13);
    let x = Array2::from_shape_fn((6000, 50), |_| rng.random_range(-1.0..1.0));
    let mc = memory_capacity(x.view(), u.view(), &mc_opts()).unwrap();
    let raw = memory_capacity(
        x.view(),
        u.view(),
        &CapacityOptions {
            threshold: 0.0,
            ..mc_opts()
        },
    )
    .unwrap();
    eprintln!(
        "noise: MC = {:.4}, unthresholded {:.4}",
        mc.total, raw.total
    );
    assert!(mc.total <= 1.0, "MC = {}", mc.total);
    // Even before the threshold, held-out scoring keeps the bias near 101 / T_test ≈ 0.06
    // instead of 101 · N / T_train ≈ 1.3 in-sample.
    assert!(raw.total <= 0.3, "unthresholded MC = {}", raw.total);
}

#[test]
fn a_delay_line_remembers_exactly_its_taps() {
    // States [u(t), u(t−1), u(t−2)]: MC_0 = MC_1 = MC_2 = 1 exactly, every other delay 0.
    let u = uniform_input(2000, 14);
    let x = Array2::from_shape_fn((2000, 3), |(t, j)| if t >= j { u[t - j] } else { 0.0 });
    let opts = CapacityOptions {
        max_delay: 10,
        washout: 10,
        ..CapacityOptions::default()
    };
    let mc = memory_capacity(x.view(), u.view(), &opts).unwrap();
    for k in 0..3 {
        assert!(
            (mc.per_delay[k] - 1.0).abs() < 1e-9,
            "MC_{k} = {}",
            mc.per_delay[k]
        );
    }
    assert!(
        mc.per_delay[3..].iter().all(|&m| m == 0.0),
        "{:?}",
        mc.per_delay
    );
    assert!((mc.total - 3.0).abs() < 1e-8);
    assert!((mc.sum_from(1) - 2.0).abs() < 1e-8);
}

#[test]
fn tanh_esn_memory_is_positive_but_well_below_n() {
    // A saturating network trades memory for nonlinearity (Dambre et al. 2012, Fig. 3).
    let u = uniform_input(6000, 15);
    let x = esn_states(&tanh_esn(4, 0.0), u.view());
    let mc = memory_capacity(x.view(), u.view(), &mc_opts()).unwrap();
    let lin = memory_capacity(
        esn_states(&linear_esn(4), u.view()).view(),
        u.view(),
        &mc_opts(),
    )
    .unwrap();
    eprintln!(
        "tanh ESN: MC = {:.3}; linear ESN, same input: {:.3}",
        mc.total, lin.total
    );
    assert!(mc.total > 5.0, "MC = {}", mc.total);
    assert!(mc.total < 40.0, "MC = {}", mc.total);
    assert!(mc.total < lin.total - 5.0);
}

fn ipc_opts(max_degree: usize, max_delay: usize) -> IpcOptions {
    IpcOptions {
        max_degree,
        max_delay,
        washout: 200,
        ..IpcOptions::default()
    }
}

#[test]
fn linear_reservoir_ipc_is_all_degree_one() {
    let u = uniform_input(6000, 16);
    let x = esn_states(&linear_esn(5), u.view());
    // Delays up to 30 and degree up to 3: 31 + 496 + 5456 = 5983 targets.
    let ipc = information_processing_capacity(x.view(), u.view(), &ipc_opts(3, 30)).unwrap();
    let mc = memory_capacity(
        x.view(),
        u.view(),
        &CapacityOptions {
            max_delay: 30,
            washout: 200,
            ..CapacityOptions::default()
        },
    )
    .unwrap();
    eprintln!(
        "linear ESN IPC: total {:.3}, by degree {:?}, {} terms kept; MC(0..=30) {:.3}",
        ipc.total,
        ipc.by_degree,
        ipc.terms.len(),
        mc.total
    );
    assert_eq!(ipc.by_degree.len(), 4);
    assert_eq!(ipc.by_degree[0], 0.0);
    assert!(ipc.total <= 50.0 + 0.5, "total {}", ipc.total);
    // A linear network with spectral radius 0.95 recalls delays up to ~30 almost perfectly.
    assert!(ipc.by_degree[1] >= 28.0, "degree 1: {}", ipc.by_degree[1]);
    // Degrees 2 and 3 have no true capacity; what passes the threshold is estimation noise.
    assert!(
        ipc.by_degree[2] + ipc.by_degree[3] < 0.5,
        "{:?}",
        ipc.by_degree
    );
    // The degree-1 part is the memory capacity (1 − NMSE instead of the squared correlation).
    assert!(
        (ipc.by_degree[1] - mc.total).abs() < 0.5,
        "{} vs {}",
        ipc.by_degree[1],
        mc.total
    );
    // Terms are reported with their factors; the current input is perfectly recalled.
    let first = &ipc.terms[0];
    assert_eq!(first.0, vec![(0, 1)]);
    assert!(first.1 > 0.99);
}

#[test]
fn tanh_ipc_has_even_degrees_only_with_a_bias() {
    // Without bias the tanh ESN is odd-symmetric (x → −x when u → −u), so even-degree targets
    // are uncorrelated with every state (Dambre et al. 2012); a bias breaks the symmetry.
    let u = uniform_input(5000, 17);
    let odd = esn_states(&tanh_esn(6, 0.0), u.view());
    let biased = esn_states(&tanh_esn(6, 0.5), u.view());
    let a = information_processing_capacity(odd.view(), u.view(), &ipc_opts(3, 15)).unwrap();
    let b = information_processing_capacity(biased.view(), u.view(), &ipc_opts(3, 15)).unwrap();
    eprintln!(
        "tanh IPC, no bias: {:?}; bias 0.5: {:?}",
        a.by_degree, b.by_degree
    );
    assert!(
        a.by_degree[3] > 0.5,
        "degree 3 without bias: {:?}",
        a.by_degree
    );
    assert!(
        a.by_degree[2] < 0.2,
        "degree 2 without bias: {:?}",
        a.by_degree
    );
    assert!(
        b.by_degree[2] > 1.0,
        "degree 2 with bias: {:?}",
        b.by_degree
    );
    for ipc in [&a, &b] {
        assert!(ipc.total <= 50.5, "{}", ipc.total);
        assert!(ipc.by_degree[1] > 5.0);
    }
}

#[test]
fn ipc_finds_a_product_and_a_square_exactly() {
    // States u(t)·u(t−2) and u(t−1)²: the targets P̃1(u(t))·P̃1(u(t−2)) = 3·u(t)u(t−2) and
    // P̃2(u(t−1)) = √5·(3u(t−1)² − 1)/2 are affine in them, so each has capacity 1 and
    // nothing else has any.
    let u = uniform_input(3000, 18);
    let x = Array2::from_shape_fn((3000, 2), |(t, j)| match (j, t) {
        (0, t) if t >= 2 => u[t] * u[t - 2],
        (1, t) if t >= 1 => u[t - 1] * u[t - 1],
        _ => 0.0,
    });
    let ipc = information_processing_capacity(x.view(), u.view(), &ipc_opts(3, 4)).unwrap();
    assert_eq!(ipc.terms.len(), 2, "{:?}", ipc.terms);
    assert_eq!(ipc.terms[0].0, vec![(0, 1), (2, 1)]);
    assert_eq!(ipc.terms[1].0, vec![(1, 2)]);
    for (_, c) in &ipc.terms {
        assert!((c - 1.0).abs() < 1e-9, "{c}");
    }
    assert_eq!(ipc.by_degree[1], 0.0);
    assert!((ipc.by_degree[2] - 2.0).abs() < 1e-8);
    assert_eq!(ipc.by_degree[3], 0.0);
}

#[test]
fn ipc_is_the_same_for_any_thread_count() {
    let u = uniform_input(1500, 19);
    let x = esn_states(&tanh_esn(7, 0.3), u.view());
    let opts = IpcOptions {
        max_degree: 2,
        max_delay: 30,
        washout: 50,
        ..IpcOptions::default()
    };
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| information_processing_capacity(x.view(), u.view(), &opts).unwrap())
    };
    let one = run(1);
    let two = run(3);
    assert_eq!(one, two);
    assert!(one.total > 1.0);
}

#[test]
fn capacity_rejects_bad_input() {
    let u = uniform_input(500, 20);
    let x = Array2::<f64>::from_shape_fn((500, 4), |(t, j)| u[t] * (j as f64 + 1.0));
    let opts = CapacityOptions {
        max_delay: 10,
        washout: 10,
        ..CapacityOptions::default()
    };
    let ipc = IpcOptions {
        max_degree: 2,
        max_delay: 10,
        washout: 10,
        ..IpcOptions::default()
    };

    // Lengths must agree.
    let e = memory_capacity(x.view(), u.slice(ndarray::s![..499]), &opts).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DimensionMismatch);
    let e = information_processing_capacity(x.view(), u.slice(ndarray::s![1..]), &ipc);
    assert_eq!(e.unwrap_err().kind(), ErrorKind::DimensionMismatch);

    // Non-finite states or inputs.
    let mut xn = x.clone();
    xn[[77, 2]] = f64::NAN;
    let e = memory_capacity(xn.view(), u.view(), &opts).unwrap_err();
    assert!(matches!(
        e,
        ReadoutError::NonFinite {
            what: "states",
            row: 77,
            col: 2,
            ..
        }
    ));
    let mut un = u.clone();
    un[5] = f64::INFINITY;
    let e = memory_capacity(x.view(), un.view(), &opts).unwrap_err();
    assert!(matches!(
        e,
        ReadoutError::NonFinite {
            what: "inputs",
            row: 5,
            ..
        }
    ));

    // IPC needs inputs in [−1, 1] (the Legendre basis is orthonormal there only).
    let mut uo = u.clone();
    uo[42] = 1.5;
    let e = information_processing_capacity(x.view(), uo.view(), &ipc).unwrap_err();
    assert!(
        matches!(
            e,
            ReadoutError::OutOfRange {
                index: 42,
                value: 1.5,
                ..
            }
        ),
        "{e}"
    );
    // Memory capacity does not assume a range.
    assert!(memory_capacity(x.view(), uo.view(), &opts).is_ok());

    // Options out of range.
    for (bad, name) in [
        (
            CapacityOptions {
                train_fraction: 1.0,
                ..opts.clone()
            },
            "train_fraction",
        ),
        (
            CapacityOptions {
                threshold: -0.1,
                ..opts.clone()
            },
            "threshold",
        ),
        (
            CapacityOptions {
                threshold: f64::NAN,
                ..opts.clone()
            },
            "threshold",
        ),
    ] {
        let e = memory_capacity(x.view(), u.view(), &bad).unwrap_err();
        assert!(
            matches!(&e, ReadoutError::InvalidParameter { name: n, .. } if *n == name),
            "{e}"
        );
    }
    let e = memory_capacity(
        x.view(),
        u.view(),
        &CapacityOptions {
            alpha: -1.0,
            ..opts.clone()
        },
    );
    assert_eq!(e.unwrap_err(), ReadoutError::InvalidAlpha(-1.0));
    let e = information_processing_capacity(
        x.view(),
        u.view(),
        &IpcOptions {
            max_degree: 0,
            ..ipc.clone()
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("max_degree"), "{e}");

    // Too many targets is refused up front, naming the limit.
    let e = information_processing_capacity(
        x.view(),
        u.view(),
        &IpcOptions {
            max_degree: 5,
            max_delay: 200,
            ..ipc.clone()
        },
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidParameter);
    assert!(e.to_string().contains(&IPC_MAX_TERMS.to_string()), "{e}");

    // Too few rows after the washout and the delays.
    let e = memory_capacity(
        x.view(),
        u.view(),
        &CapacityOptions {
            max_delay: 498,
            ..opts.clone()
        },
    )
    .unwrap_err();
    assert!(
        matches!(e, ReadoutError::TooFewSamples { needed, got: 500, .. } if needed > 500),
        "{e}"
    );

    // A constant input has no variance to remember.
    let flat = Array1::from_elem(500, 0.25);
    let e = memory_capacity(x.view(), flat.view(), &opts).unwrap_err();
    assert!(matches!(e, ReadoutError::ZeroVariance { .. }), "{e}");
    let zero = Array1::zeros(500);
    let e = information_processing_capacity(x.view(), zero.view(), &ipc).unwrap_err();
    assert!(matches!(e, ReadoutError::ZeroVariance { .. }), "{e}");
}

#[test]
fn constant_states_have_zero_capacity() {
    // A dead reservoir: the readout can only output its intercept, so every MC_k is 0 — not
    // NaN from a 0/0 correlation.
    let u = uniform_input(400, 21);
    let x = Array2::from_elem((400, 3), 0.5);
    let mc = memory_capacity(
        x.view(),
        u.view(),
        &CapacityOptions {
            max_delay: 5,
            washout: 5,
            threshold: 0.0,
            ..CapacityOptions::default()
        },
    )
    .unwrap();
    assert_eq!(mc.total, 0.0);
    assert!(mc.per_delay.iter().all(|&m| m == 0.0));
}

fn nl_opts() -> NonlinearityOptions {
    NonlinearityOptions {
        delays: 8,
        channels: 60,
        washout: 50,
        train_fraction: 0.7,
        alpha: 1e-8,
    }
}

/// States that are linear filters of the last eight inputs are fully explained by a linear
/// model of them; squares of an odd input are not explained at all, and a tanh network lies
/// in between.
#[test]
fn nonlinearity_is_zero_for_linear_filters_and_one_for_even_functions() {
    let u = uniform_input(2_000, 3);
    let taps = Array2::from_shape_fn((u.len(), 5), |(t, j)| {
        (0..=j.min(t))
            .map(|k| u[t - k] / (k + 1) as f64)
            .sum::<f64>()
    });
    let linear = nonlinearity(taps.view(), u.view(), &nl_opts()).unwrap();
    assert!(linear.value < 1e-9, "{linear:?}");
    assert_eq!(linear.per_channel.len(), 5);

    // u² of a symmetric input is uncorrelated with every u[t − k].
    let squares = Array2::from_shape_fn((u.len(), 3), |(t, j)| u[t.saturating_sub(j)].powi(2));
    let even = nonlinearity(squares.view(), u.view(), &nl_opts()).unwrap();
    assert!(even.value > 0.95, "{even:?}");

    let tanh = esn_states(&tanh_esn(1, 0.5), u.view());
    let twenty = NonlinearityOptions {
        channels: 20,
        ..nl_opts()
    };
    let mid = nonlinearity(tanh.view(), u.view(), &twenty).unwrap();
    assert!(mid.value > 0.01 && mid.value < 0.9, "{}", mid.value);
    // The 20 most variable of the 50 units are scored, largest training variance first.
    assert_eq!(mid.per_channel.len(), 20);
    let var = |j: usize| tanh.column(j).var(0.0);
    assert!(
        mid.per_channel
            .windows(2)
            .all(|w| var(w[0].0) >= var(w[1].0) * 0.95)
    );
}

#[test]
fn nonlinearity_rejects_bad_options_and_dead_states() {
    let u = uniform_input(300, 4);
    let x = Array2::from_shape_fn((300, 4), |(t, j)| u[t] * (j + 1) as f64);
    for (opts, key) in [
        (
            NonlinearityOptions {
                delays: 0,
                ..nl_opts()
            },
            "delays",
        ),
        (
            NonlinearityOptions {
                channels: 0,
                ..nl_opts()
            },
            "channels",
        ),
    ] {
        let e = nonlinearity(x.view(), u.view(), &opts).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidParameter, "{e}");
        assert!(e.to_string().contains(key), "{e}");
    }
    let dead = Array2::from_elem((300, 4), 0.5);
    let e = nonlinearity(dead.view(), u.view(), &nl_opts()).unwrap_err();
    assert!(matches!(e, ReadoutError::ZeroVariance { .. }), "{e}");
    let short = nonlinearity(x.view(), u.slice(ndarray::s![..200]), &nl_opts()).unwrap_err();
    assert!(
        matches!(short, ReadoutError::ShapeMismatch { .. }),
        "{short}"
    );
}
