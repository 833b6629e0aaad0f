//! Why short masks limit Zhong et al.'s parallel reservoir (Nat. Commun. 12, 408 (2021),
//! Fig. 4d at small M, Fig. 4e at large N): identical noise-free devices that receive the same
//! ±1 mask give bit-identical currents, so the readout sees one feature per distinct mask and
//! virtual node, not one per device. With M = 1 there are two distinct masks, with M = 4
//! sixteen. Device-to-device variation makes every device distinct again.
//! docs/physics/memristor.md uses this to explain the study's error at M = 1 and its plateau
//! against reservoir size.

use std::collections::BTreeSet;

use physrc_core::Reservoir;
use physrc_memristor::{MemristorReservoir, ReservoirParams};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Zhong's Hénon setting in Fig. 4's window, [−0.8, 2.5] V, with `n` devices of mask length `m`.
fn params(n: usize, m: usize, variation: f64) -> ReservoirParams {
    ReservoirParams {
        devices: n,
        virtual_nodes: m,
        v_min: -0.8,
        v_max: 2.5,
        variation,
        ..ReservoirParams::zhong_henon(3)
    }
}

/// Drives the reservoir with 200 random inputs in [−1, 1] and returns each device's trace:
/// its `M` currents at every step, as bit patterns so traces compare exactly.
fn traces(r: &mut MemristorReservoir) -> Vec<Vec<u64>> {
    let (n, m) = (r.params().devices, r.params().virtual_nodes);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut out = vec![0.0; n * m];
    let mut t = vec![Vec::new(); n];
    for _ in 0..200 {
        r.step(&[rng.random_range(-1.0..=1.0)], &mut out).unwrap();
        for (d, trace) in t.iter_mut().enumerate() {
            trace.extend(out[d * m..(d + 1) * m].iter().map(|v| v.to_bits()));
        }
    }
    t
}

/// Each device's mask as a row of signs.
fn mask_rows(r: &MemristorReservoir) -> Vec<Vec<bool>> {
    let masks = r.masks();
    (0..r.params().devices)
        .map(|d| {
            (0..r.params().virtual_nodes)
                .map(|k| masks[[d, k, 0]] > 0.0)
                .collect()
        })
        .collect()
}

fn distinct<T: Ord + Clone>(rows: &[T]) -> usize {
    rows.iter().cloned().collect::<BTreeSet<_>>().len()
}

#[test]
fn identical_devices_with_equal_masks_give_identical_currents() {
    for (n, m) in [(100, 1), (100, 2), (100, 4), (25, 4)] {
        let mut r = MemristorReservoir::new(params(n, m, 0.0)).unwrap();
        let masks = mask_rows(&r);
        let t = traces(&mut r);
        // Devices share a trace exactly when they share a mask.
        for a in 0..n {
            for b in 0..a {
                assert_eq!(
                    masks[a] == masks[b],
                    t[a] == t[b],
                    "N = {n}, M = {m}: devices {a} and {b}"
                );
            }
        }
        let k = distinct(&masks);
        assert_eq!(distinct(&t), k, "N = {n}, M = {m}");
        // At most 2^M distinct masks exist, so 100 devices of mask length 1, 2 or 4 reach the
        // bound; 25 devices of length 4 leave some of the 16 masks out or draw some twice.
        assert!(k <= 1 << m, "N = {n}, M = {m}: {k} distinct masks");
        if n == 100 {
            assert_eq!(k, 1 << m, "N = {n}, M = {m}");
        } else {
            assert!(k < n, "N = {n}, M = {m}: {k} distinct masks");
        }
    }
}

#[test]
fn device_variation_makes_every_device_distinct() {
    let mut r = MemristorReservoir::new(params(100, 1, 0.1)).unwrap();
    let t = traces(&mut r);
    assert_eq!(distinct(&t), 100);
}
