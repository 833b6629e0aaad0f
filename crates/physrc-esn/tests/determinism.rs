//! Same parameters and seed → bit-identical matrices and states, whatever the thread count;
//! another seed → another network.

use ndarray::Array2;
use physrc_core::Reservoir;
use physrc_esn::{Activation, Esn, EsnParams, StepThreads, WInit};

fn inputs(steps: usize, d: usize) -> Array2<f64> {
    Array2::from_shape_fn((steps, d), |(t, j)| ((t as f64) * 0.37 + j as f64).sin())
}

fn params(seed: u64) -> EsnParams {
    let mut p = EsnParams::new(120, 2);
    p.spectral_radius = 0.95;
    p.bias_scaling = 0.2;
    p.leak_rate = 0.4;
    p.seed = seed;
    p
}

fn bits(a: &Array2<f64>) -> Vec<u64> {
    a.iter().map(|v| v.to_bits()).collect()
}

fn build_and_run(p: &EsnParams) -> (Array2<f64>, Array2<f64>, Array2<f64>) {
    let mut esn = Esn::new(p).unwrap();
    let states = esn.run(inputs(200, p.input_dim).view()).unwrap();
    (esn.w(), esn.win(), states)
}

/// A rayon pool of `threads` threads, to run a test's code at a fixed thread count.
fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}

#[test]
fn same_seed_gives_bit_identical_matrices_and_states() {
    for init in [WInit::Normal, WInit::Uniform, WInit::Orthogonal] {
        let mut p = params(42);
        p.w_init = init;
        let (w1, win1, s1) = build_and_run(&p);
        let (w2, win2, s2) = build_and_run(&p);
        assert_eq!(bits(&w1), bits(&w2), "{init:?}: W differs");
        assert_eq!(bits(&win1), bits(&win2), "{init:?}: Win differs");
        assert_eq!(bits(&s1), bits(&s2), "{init:?}: states differ");
    }
}

#[test]
fn different_seeds_give_different_networks() {
    let (w1, win1, s1) = build_and_run(&params(1));
    let (w2, win2, s2) = build_and_run(&params(2));
    assert_ne!(w1, w2);
    assert_ne!(win1, win2);
    assert_ne!(s1, s2);
    // Both are genuine 10 % networks, not degenerate ones.
    let nnz = |m: &Array2<f64>| m.iter().filter(|v| **v != 0.0).count();
    assert_eq!(nnz(&w1), 1440, "round(0.1 · 120²)");
    assert_eq!(nnz(&w2), 1440);
    assert_eq!(nnz(&win1), 24, "round(0.1 · 120 · 2)");
}

#[test]
fn the_generated_w_does_not_depend_on_the_input_dimension() {
    // W and Win use separate streams of the seed, so a task with more input columns keeps
    // the same reservoir.
    let mut a = params(9);
    a.input_dim = 1;
    let mut b = params(9);
    b.input_dim = 4;
    assert_eq!(
        bits(&Esn::new(&a).unwrap().w()),
        bits(&Esn::new(&b).unwrap().w())
    );
}

#[test]
fn reset_reproduces_the_states() {
    let mut esn = Esn::new(&params(4)).unwrap();
    let u = inputs(100, 2);
    let first = esn.run(u.view()).unwrap();
    let carried = esn.run(u.view()).unwrap();
    assert_ne!(first, carried, "the state must carry over between runs");
    esn.reset().unwrap();
    assert_eq!(bits(&first), bits(&esn.run(u.view()).unwrap()));
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    // Generation calls faer (eigenvalues, QR), which could run on rayon's pool; the crate asks
    // for sequential linear algebra so that the scale factor never changes with the pool size.
    let run_in_pool = |threads: usize, p: &EsnParams| pool(threads).install(|| build_and_run(p));
    let mut sparse = params(17);
    sparse.units = 300;
    let mut orthogonal = params(17);
    orthogonal.w_init = WInit::Orthogonal;
    orthogonal.activation = Activation::Identity;
    orthogonal.spectral_radius = 0.9;
    for p in [sparse, orthogonal] {
        let (w1, win1, s1) = run_in_pool(1, &p);
        let (w2, win2, s2) = run_in_pool(2, &p);
        assert_eq!(bits(&w1), bits(&w2), "{:?}: W differs", p.w_init);
        assert_eq!(bits(&win1), bits(&win2));
        assert_eq!(bits(&s1), bits(&s2), "{:?}: states differ", p.w_init);
    }
}

#[test]
fn a_step_split_over_two_threads_gives_the_same_states() {
    // A sparse `W` (1,100 units at 10 %) and a dense orthogonal one, forced to one and to two
    // threads and left to the automatic choice, in a pool of two threads.
    let pool = pool(2);
    let mut sparse = params(5);
    sparse.units = 1_100;
    let mut dense = params(5);
    dense.units = 150;
    dense.w_init = WInit::Orthogonal;
    for p in [sparse, dense] {
        let esn = Esn::new(&p).unwrap();
        let u = inputs(300, p.input_dim);
        let run = |threads: StepThreads| {
            let mut esn = esn.clone().with_step_threads(threads);
            pool.install(|| {
                let mut states = esn.run(u.view()).unwrap();
                // `step` takes the same path as `run`.
                let mut last = vec![0.0; p.units];
                esn.step(&[0.3, -0.2], &mut last).unwrap();
                states
                    .row_mut(u.nrows() - 1)
                    .assign(&ndarray::Array1::from(last));
                states
            })
        };
        let one = run(StepThreads::One);
        assert_eq!(bits(&one), bits(&run(StepThreads::Two)), "{:?}", p.w_init);
        assert_eq!(bits(&one), bits(&run(StepThreads::Auto)), "{:?}", p.w_init);
    }
}

#[test]
fn steps_split_while_the_shared_core_is_free_give_the_same_states() {
    // 800 units at 10 %: between the thresholds, so the automatic choice splits the steps that
    // start while the shared core is free. Another thread flips the signal while the run goes
    // on, so some steps split and some do not; the states must not show which.
    let pool = pool(2);
    let mut p = params(9);
    p.units = 800;
    let esn = Esn::new(&p).unwrap();
    let u = inputs(3_000, p.input_dim);
    let one = pool.install(|| {
        let mut esn = esn.clone().with_step_threads(StepThreads::One);
        esn.run(u.view()).unwrap()
    });
    let core = physrc_core::SharedCore::new();
    let done = std::sync::atomic::AtomicBool::new(false);
    let shared = std::thread::scope(|s| {
        s.spawn(|| {
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                core.set_busy(!core.is_busy());
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
        });
        let mut esn = esn.clone();
        esn.share_core(core.clone());
        let states = pool.install(|| esn.run(u.view()).unwrap());
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        states
    });
    assert_eq!(bits(&one), bits(&shared));
}
