//! The spin-vortex ice extension and the FMR fingerprint readout against the rules documented
//! in `docs/physics/nanomagnet.md` ("Spin-vortex ice", "FMR fingerprint"), which model the
//! artificial spin-vortex ice of Gartside et al., Nat. Nanotechnol. 17, 460 (2022).

use std::path::Path;

use ndarray::{Array1, Array2, array};
use physrc_core::Reservoir;
use physrc_nanomagnet::{
    Engine, Layout, ModelParams, NanomagnetConfig, NanomagnetError, NanomagnetReservoir, SpinIce,
    VortexParams,
};

/// Uncoupled bars along x at distance 10 (beyond the cutoff) or 1 (coupled), classic
/// Stoner–Wohlfarth astroid (b = c = 1, β = γ = 3) with h_k = 0.1 T: along the easy axis a bar
/// switches above 0.1 T.
fn bars(n: usize, spacing: f64, alpha: f64) -> SpinIce {
    let pos = Array2::from_shape_fn(
        (n, 2),
        |(i, c)| if c == 0 { spacing * i as f64 } else { 0.0 },
    );
    let layout = Layout::custom(pos.view(), Array1::zeros(n).view(), 1.0).unwrap();
    let params = ModelParams {
        alpha,
        hc: 0.1,
        sw_b: 1.0,
        sw_c: 1.0,
        sw_beta: 3.0,
        sw_gamma: 3.0,
        neighbor_distance: Some(1.5),
        ..ModelParams::default()
    };
    SpinIce::new(layout, params.check().unwrap()).unwrap()
}

/// Injection: a field just past the astroid (implicit value (1.05²)^(1/3) − 1 ≈ 0.033 < 0.1)
/// turns a wide bar into a vortex, a strong one ((1.5²)^(1/3) − 1 ≈ 0.31) reverses it, a
/// narrow bar always reverses. Annihilation: a vortex stays while |h∥| ≤ 1.3·h_k and becomes
/// the macrospin along the field beyond.
#[test]
fn vortex_injection_and_annihilation_follow_the_documented_rules() {
    let mut ice = bars(3, 10.0, 0.0);
    ice.enable_vortices(&[true, true, false], VortexParams::default())
        .unwrap();
    ice.set_field([-0.105, 0.0]).unwrap();
    ice.relax();
    assert_eq!(ice.spins(), &[0, 0, -1]);
    assert_eq!(ice.vortex_count(), 2);
    // Inside the annihilation field, in either direction: vortices persist.
    for h in [-0.12, 0.0, 0.125] {
        ice.set_field([h, 0.0]).unwrap();
        ice.relax();
        assert_eq!(&ice.spins()[..2], &[0, 0], "h = {h}");
    }
    // Beyond 1.3 × 0.1 T the vortices become macrospins along the field.
    ice.set_field([0.135, 0.0]).unwrap();
    ice.relax();
    assert_eq!(ice.spins(), &[1, 1, 1]);
    // A strong reversal skips the vortex.
    ice.set_field([-0.15, 0.0]).unwrap();
    ice.relax();
    assert_eq!(ice.spins(), &[-1, -1, -1]);
    ice.reset();
    assert_eq!(ice.spins(), &[1, 1, 1]);
}

/// A vortex has no stray field: the neighbour of a vortex bar feels only the applied field.
#[test]
fn a_vortex_has_no_stray_field() {
    let mut ice = bars(2, 1.0, 0.01);
    // A high annihilation field keeps the vortex once bar 1 has reversed.
    let params = VortexParams {
        annihilation: 2.0,
        ..VortexParams::default()
    };
    ice.enable_vortices(&[true, false], params).unwrap();
    let coupled = ice.total_fields()[[1, 0]];
    assert!(
        coupled > 0.0,
        "head-to-tail neighbours stabilise each other"
    );
    // Bar 0 sees +0.02 T (dipolar from bar 1) so −0.125 T is just past its threshold.
    ice.set_field([-0.125, 0.0]).unwrap();
    ice.relax();
    assert_eq!(ice.spins()[0], 0, "bar 0 must be a vortex");
    let h = ice.total_fields();
    assert_eq!(h[[1, 0]], -0.125 * f64::from(ice.spins()[1]));
}

#[test]
fn vortex_parameters_are_validated() {
    let mut ice = bars(2, 10.0, 0.0);
    let bad = VortexParams {
        window: -1.0,
        ..VortexParams::default()
    };
    assert!(matches!(
        ice.enable_vortices(&[true, false], bad),
        Err(NanomagnetError::InvalidParameter { .. })
    ));
    assert!(
        ice.enable_vortices(&[true], VortexParams::default())
            .is_err()
    );
    let params = ModelParams {
        engine: Engine::Reference,
        ..ModelParams::default()
    };
    let pos = array![[0.0, 0.0]];
    let layout = Layout::custom(pos.view(), Array1::zeros(1).view(), 1.0).unwrap();
    let mut r = SpinIce::new(layout, params.check().unwrap()).unwrap();
    assert!(r.enable_vortices(&[true], VortexParams::default()).is_err());
}

fn build(text: &str) -> Result<NanomagnetReservoir, NanomagnetError> {
    toml::from_str::<NanomagnetConfig>(text)
        .unwrap()
        .build(Path::new("."), 1)
}

const SVI: &str = "geometry = \"square-closed\"\nsize = [4, 4]\ndisorder = 0.05\n\
                   random_seed = 3\nh_min = 0.06\nh_max = 0.09\nwide_bars = \"vertical\"\n\
                   hc_wide = 0.17\nvortex_annihilation = 0.8\n";

#[test]
fn spin_vortex_fmr_reservoir_satisfies_the_contract() {
    let text = format!("{SVI}readout = \"fmr\"\n[fmr]\nbins = 16\n");
    physrc_core::contract::check(|| build(&text).unwrap());
    let text = format!("{SVI}readout = \"spins\"\n");
    physrc_core::contract::check(|| build(&text).unwrap());
}

/// One narrow bar at rest gives a Lorentzian peaked at `f_narrow` (9 GHz) with value 1 there
/// (one bar, divided by one); a 0.1 T field along its moment moves the peak by 28 × 0.1 =
/// 2.8 GHz; a wide bar in the vortex state peaks at `f_wide − 3.8` = 3.7 GHz with amplitude
/// 0.5.
#[test]
fn fmr_lines_sit_where_the_model_puts_them() {
    let dir = tempfile::tempdir().unwrap();
    let pos = dir.path().join("pos.npy");
    let ang = dir.path().join("ang.npy");
    ndarray_npy::write_npy(&pos, &array![[0.0, 0.0]]).unwrap();
    ndarray_npy::write_npy(&ang, &array![0.0]).unwrap();
    let base = format!(
        "geometry = \"custom\"\npositions = {pos:?}\nangles = {ang:?}\nhc = 0.1\nsw_b = 1.0\n\
         sw_beta = 3.0\nsw_gamma = 3.0\nencoder = \"constant\"\nphi = 0\nreadout = \"fmr\"\n"
    );
    let fmr = "[fmr]\nbins = 1201\nf_min = 2.0\nf_max = 14.0\n";
    let peak = |text: &str, u: f64| -> (f64, f64) {
        let mut r = toml::from_str::<NanomagnetConfig>(text)
            .unwrap()
            .build(dir.path(), 1)
            .unwrap();
        let mut out = vec![0.0; r.state_dim()];
        r.step(&[u], &mut out).unwrap();
        let (k, v) = out
            .iter()
            .enumerate()
            .fold((0, f64::MIN), |b, (k, &v)| if v > b.1 { (k, v) } else { b });
        (2.0 + 0.01 * k as f64, v)
    };
    // u = -1 → H = h_min = 0: zero field.
    let at_rest = format!("{base}h_min = 0.0\nh_max = 0.1\n{fmr}");
    let (f, a) = peak(&at_rest, -1.0);
    assert!((f - 9.0).abs() < 1e-9 && (a - 1.0).abs() < 1e-9, "{f} {a}");
    let (f, _) = peak(&at_rest, 1.0);
    assert!((f - 11.8).abs() < 1e-9, "{f}");
    // A wide bar (hc_wide 0.1, b = 1: switches at 0.1 T) just past its threshold becomes a
    // vortex: field −0.102 T (`loop` ends at −H).
    let vortex = format!(
        "{}h_min = 0.0\nh_max = 0.102\nwide_bars = \"horizontal\"\nhc_wide = 0.1\n{fmr}",
        base.replace("encoder = \"constant\"", "encoder = \"loop\"")
    );
    let (f, a) = peak(&vortex, 1.0);
    assert!((f - 3.7).abs() < 1e-9 && (a - 0.5).abs() < 1e-9, "{f} {a}");
}

#[test]
fn bad_vortex_and_fmr_keys_are_rejected() {
    let plain = "geometry = \"square-closed\"\nh_max = 0.09\n";
    for (extra, key) in [
        ("hc_wide = 0.1\n", "wide_bars"),
        ("vortex_window = 0.1\n", "wide_bars"),
        ("readout = \"spins\"\n[fmr]\nbins = 8\n", "fmr"),
    ] {
        match build(&format!("{plain}{extra}")) {
            Err(NanomagnetError::InvalidChoice { name, .. }) => assert_eq!(name, key, "{extra}"),
            other => panic!("{extra}: {other:?}"),
        }
    }
    for (extra, key) in [
        ("wide_bars = \"vertical\"\nhc_wide = -0.1\n", "hc_wide"),
        (
            "wide_bars = \"vertical\"\nvortex_annihilation = 0.0\n",
            "vortex_annihilation",
        ),
        ("readout = \"fmr\"\n[fmr]\nbins = 0\n", "fmr.bins"),
        (
            "readout = \"fmr\"\n[fmr]\nlinewidth = -1.0\n",
            "fmr.linewidth",
        ),
        (
            "readout = \"fmr\"\n[fmr]\nf_min = 5.0\nf_max = 4.0\n",
            "fmr.f_max",
        ),
    ] {
        match build(&format!("{plain}{extra}")) {
            Err(NanomagnetError::InvalidParameter { name, .. }) => {
                assert_eq!(name, key, "{extra}")
            }
            other => panic!("{extra}: {other:?}"),
        }
    }
}
