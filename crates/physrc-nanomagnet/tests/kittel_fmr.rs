//! The Kittel FMR readout and device-scale bars (`[substrate.bar]`) against closed-form
//! physics: Kittel's formula for a saturated array (Kittel, Phys. Rev. 73, 155 (1948)) with
//! the demagnetising factors of Aharoni, J. Appl. Phys. 83, 3432 (1998); mode softening of a
//! bar magnetised against the field; seeded noise and drift.

use std::path::Path;

use physrc_core::Reservoir;
use physrc_nanomagnet::{
    BarConfig, FmrModel, Lineshape, MU0, NanomagnetConfig, NanomagnetReservoir, demag_factors,
};

fn build(extra: &str) -> Result<NanomagnetReservoir, String> {
    let text = format!("geometry = \"square-closed\"\nsize = [10, 10]\n{extra}");
    let cfg: NanomagnetConfig = toml::from_str(&text).map_err(|e| e.to_string())?;
    cfg.build(Path::new("."), 1).map_err(|e| e.to_string())
}

/// Kittel's frequency of a 600 × 150 × 20 nm permalloy bar (M_s 800 kA/m) with a field `h`
/// (tesla) along its saturated moment, γ/2π = 28 GHz/T.
fn kittel(h: f64) -> f64 {
    let [nx, ny, nz] = demag_factors(600.0, 150.0, 20.0);
    let ms = MU0 * 800e3;
    28.0 * ((h + (ny - nx) * ms) * (h + (nz - nx) * ms)).sqrt()
}

/// The frequency of the largest channel within `[lo, hi]` GHz, refined by a parabola through
/// it and its neighbours.
fn peak(freqs: &[f64], spectrum: &[f64], lo: f64, hi: f64) -> f64 {
    let mut best = None;
    for k in 1..freqs.len() - 1 {
        if freqs[k] >= lo && freqs[k] <= hi && best.is_none_or(|b: usize| spectrum[k] > spectrum[b])
        {
            best = Some(k);
        }
    }
    let k = best.expect("a channel in the window");
    let (a, b, c) = (spectrum[k - 1], spectrum[k], spectrum[k + 1]);
    let step = freqs[1] - freqs[0];
    freqs[k] + 0.5 * step * (a - c) / (a - 2.0 * b + c)
}

/// A saturated square array in a field along the horizontal bars: those bars resonate at
/// Kittel's frequency for that field, from the spectrum's absorption peak, within 1 % at
/// 10, 30 and 60 mT. The pitch (20 µm) makes the dipolar field negligible (α ≈ 2e-8 T), so
/// the field is the applied one; the vertical bars (transverse field, tilted moments) sit lower.
#[test]
fn a_saturated_array_resonates_at_the_kittel_frequency() {
    for h in [0.010, 0.030, 0.060] {
        let mut r = build(
            &format!(
                "encoder = \"constant\"\nphi = 0\nh_min = 0\nh_max = {}\nreadout = \"fmr\"\n\
             [substrate.bar]\npitch = 20000\n[substrate.fmr]\nlineshape = \"absorption\"\n\
             bins = 400\nlinewidth = 0.2\n",
                2.0 * h
            )
            .replace("[substrate.", "["),
        )
        .unwrap();
        let (model, shape, freqs) = r.fmr_setup();
        assert_eq!((model, shape), (FmrModel::Kittel, Lineshape::Absorption));
        let freqs = freqs.to_vec();
        let mut state = vec![0.0; r.state_dim()];
        // u = 0 is the middle of [0, 2h]: the field h along x.
        r.step(&[0.0], &mut state).unwrap();
        assert!(r.spin_ice().spins().iter().all(|&s| s == 1), "saturated");
        let expected = kittel(h);
        let got = peak(&freqs, &state, 0.9 * expected, 1.1 * expected);
        let rel = (got - expected).abs() / expected;
        eprintln!("h = {h} T: Kittel {expected:.4} GHz, spectrum peak {got:.4} GHz ({rel:.2e})");
        assert!(rel < 0.01, "h = {h}: {got} vs {expected}");
        // Every horizontal bar's line is exactly at the formula.
        let f = r.resonances();
        let horizontal = r
            .spin_ice()
            .angles()
            .iter()
            .position(|a| a.abs() < 1e-9)
            .unwrap();
        assert!((f[horizontal] - expected).abs() < 1e-6 * expected);
    }
}

/// The field-derivative lineshape (`dP/dH`, the Imperial group's measurement) of the same
/// saturated array crosses zero at Kittel's frequency, rising through it (the line moves up
/// with the field, so the absorption just above the line grows with H): within 1 %, at 30 mT.
#[test]
fn the_derivative_spectrum_crosses_zero_at_the_kittel_frequency() {
    let h = 0.030;
    let mut r = build(&format!(
        "encoder = \"constant\"\nphi = 0\nh_min = 0\nh_max = {}\nreadout = \"fmr\"\n\
         [bar]\npitch = 20000\n[fmr]\nlineshape = \"derivative\"\nlinewidth = 0.2\n",
        2.0 * h
    ))
    .unwrap();
    let freqs = r.fmr_setup().2.to_vec();
    let mut state = vec![0.0; r.state_dim()];
    r.step(&[0.0], &mut state).unwrap();
    let expected = kittel(h);
    // The crossing between the two extremes of the horizontal bars' line.
    let near: Vec<usize> = (0..freqs.len())
        .filter(|&k| (freqs[k] - expected).abs() < 0.3)
        .collect();
    let lo = *near
        .iter()
        .min_by(|&&a, &&b| state[a].total_cmp(&state[b]))
        .unwrap();
    let hi = *near
        .iter()
        .max_by(|&&a, &&b| state[a].total_cmp(&state[b]))
        .unwrap();
    assert!(lo < hi, "negative lobe below the line, positive above");
    let k = (lo..hi)
        .find(|&k| state[k] <= 0.0 && state[k + 1] > 0.0)
        .unwrap();
    let zero = freqs[k] + (freqs[k + 1] - freqs[k]) * (-state[k]) / (state[k + 1] - state[k]);
    let rel = (zero - expected).abs() / expected;
    eprintln!("dP/dH zero crossing {zero:.4} GHz, Kittel {expected:.4} GHz ({rel:.1e})");
    assert!(rel < 0.01, "{zero} vs {expected}");
}

/// A bar magnetised against the field: its line moves down monotonically as the field along
/// it grows towards its switching field, and it is still a valid mode (softened, above zero)
/// just before it switches. Uncoupled bars (pitch 20 µm), field at 180° so the horizontal
/// bars (moment +x) are reversed-biased and the vertical ones feel it across.
#[test]
fn a_reversed_bar_softens_monotonically_towards_its_switching_field() {
    let bar = BarConfig::default();
    let hsw = bar.switching_fraction * bar.shape(false).anisotropy_field();
    // The drive's full scale is 2 % past the switching field, so one bar can be walked up to
    // it and then over it.
    let h_max = 1.02 * hsw;
    let mut r = build(&format!(
        "encoder = \"constant\"\nphi = 180\nh_min = 0\nh_max = {h_max}\nreadout = \"fmr\"\n\
         [bar]\npitch = 20000\n"
    ))
    .unwrap();
    let horizontal = r
        .spin_ice()
        .angles()
        .iter()
        .position(|a| a.abs() < 1e-9)
        .unwrap();
    let mut state = vec![0.0; r.state_dim()];
    let mut last = f64::INFINITY;
    let mut first = None;
    // Fields from 0 to 99 % of the switching field.
    for k in 0..=99 {
        let u = 2.0 * (k as f64 / 100.0) * hsw / h_max - 1.0;
        r.step(&[u], &mut state).unwrap();
        assert_eq!(
            r.spin_ice().spins()[horizontal],
            1,
            "switched early at step {k}"
        );
        let f = r.resonances()[horizontal];
        assert!(f < last, "step {k}: {f} GHz not below {last} GHz");
        first.get_or_insert(f);
        last = f;
    }
    eprintln!(
        "reversed bar: {:.3} GHz at zero field, {last:.3} GHz at 99 % of the switching field \
         {hsw:.4} T",
        first.unwrap()
    );
    assert!(last > 0.0 && last < 0.85 * first.unwrap());
    // Past the switching field the same bar reverses and its line jumps back up.
    r.step(&[1.0], &mut state).unwrap();
    assert_eq!(r.spin_ice().spins()[horizontal], -1);
    assert!(r.resonances()[horizontal] > first.unwrap());
}

fn run(extra: &str, seed: u64, steps: usize) -> Vec<Vec<f64>> {
    let mut r = build(&format!(
        "random_seed = {seed}\ndisorder = 0.05\nh_min = 0.030\nh_max = 0.045\n\
         readout = \"fmr\"\n[bar]\n[fmr]\nnoise = 0.01\ndrift = 0.05\ndrift_time = 20\n{extra}"
    ))
    .unwrap();
    let mut out = Vec::new();
    for t in 0..steps {
        let mut s = vec![0.0; r.state_dim()];
        r.step(&[(t as f64 * 0.7).sin()], &mut s).unwrap();
        out.push(s);
    }
    out
}

/// Noise and drift come from the seed: the same seed gives the same spectra bit for bit, a
/// reset replays them, another seed gives others; without noise and drift two seeds with the
/// same thresholds (no disorder) give the same spectra.
#[test]
fn noise_and_drift_are_seeded() {
    let a = run("", 3, 40);
    assert_eq!(a, run("", 3, 40));
    assert_ne!(a, run("", 4, 40));
    let mut r = build(
        "random_seed = 3\ndisorder = 0.05\nh_min = 0.030\nh_max = 0.045\nreadout = \"fmr\"\n\
         [bar]\n[fmr]\nnoise = 0.01\ndrift = 0.05\ndrift_time = 20\n",
    )
    .unwrap();
    let u = ndarray::Array2::from_shape_fn((40, 1), |(t, _)| (t as f64 * 0.7).sin());
    let first = r.run(u.view()).unwrap();
    r.reset().unwrap();
    assert_eq!(first, r.run(u.view()).unwrap());
    assert_eq!(first.row(7).to_vec(), a[7]);
    assert_eq!(
        r.state_dim(),
        400,
        "the Kittel model's default channel count"
    );
}

/// The bar table sets device-scale switching: tens of millitesla, lower for the wide bars of a
/// width-modified array, and with disorder a field window switches only part of the array.
#[test]
fn bars_set_device_scale_switching_per_sublattice() {
    let bar = BarConfig::default();
    let narrow = bar.switching_fraction * bar.shape(false).anisotropy_field();
    let wide = bar.switching_fraction * bar.shape(true).anisotropy_field();
    eprintln!("easy-axis switching fields: narrow {narrow:.4} T, wide {wide:.4} T");
    assert!((0.02..0.08).contains(&narrow), "{narrow}");
    assert!(wide < 0.8 * narrow && wide > 0.01, "{wide}");
    let r = build("h_max = 0.05\nwide_bars = \"vertical\"\n[bar]\n").unwrap();
    let ice = r.spin_ice();
    let sw_b = ice.params().sw_b;
    for (i, a) in ice.angles().iter().enumerate() {
        let vertical = (a - std::f64::consts::FRAC_PI_2).abs() < 1e-9;
        let want = if vertical { wide } else { narrow };
        assert!((ice.thresholds()[i] * sw_b - want).abs() < 1e-12);
    }
    // alpha follows μ0·M_s·V/(4π a³).
    let v = 600e-9 * 150e-9 * 20e-9;
    let alpha = MU0 * 800e3 * v / (4.0 * std::f64::consts::PI * 800e-9f64.powi(3));
    assert!((ice.params().alpha - alpha).abs() < 1e-15);
    // Partial switching: a loop across the middle of the narrow bars' threshold distribution
    // (10 % disorder) reverses some but not all of them.
    let mut r = build(&format!(
        "disorder = 0.1\nphi = 0\nh_min = 0\nh_max = {}\n[bar]\n",
        2.0 * narrow
    ))
    .unwrap();
    let mut s = vec![0.0; r.state_dim()];
    r.step(&[0.0], &mut s).unwrap();
    let horizontal: Vec<usize> = (0..r.spin_ice().len())
        .filter(|&i| r.spin_ice().angles()[i].abs() < 1e-9)
        .collect();
    let reversed = horizontal
        .iter()
        .filter(|&&i| r.spin_ice().spins()[i] == -1)
        .count();
    eprintln!(
        "{reversed} of {} horizontal bars reversed",
        horizontal.len()
    );
    assert!(reversed > 0 && reversed < horizontal.len());
}

#[test]
fn bar_and_fmr_keys_are_validated_naming_the_key() {
    for (extra, key) in [
        ("h_max = 0.05\nhc = 0.03\n[bar]\n", "hc"),
        ("h_max = 0.05\nalpha = 0.001\n[bar]\n", "alpha"),
        ("h_max = 0.05\n[bar]\nwidth = 700\n", "bar.width"),
        ("h_max = 0.05\n[bar]\nthickness = -1\n", "bar.thickness"),
        ("h_max = 0.05\n[bar]\nlength = 1e9\n", "bar.length"),
        (
            "h_max = 0.05\n[bar]\nswitching_fraction = 1.5\n",
            "bar.switching_fraction",
        ),
        (
            "h_max = 0.05\nreadout = \"fmr\"\n[bar]\n[fmr]\nf_narrow = 9\n",
            "fmr.f_narrow",
        ),
        (
            "h_max = 0.05\nreadout = \"fmr\"\n[fmr]\ndrift_time = 0\n",
            "fmr.drift_time",
        ),
        (
            "h_max = 0.05\nreadout = \"fmr\"\n[fmr]\nnoise = -1\n",
            "fmr.noise",
        ),
    ] {
        let e = build(extra)
            .err()
            .unwrap_or_else(|| panic!("{extra} accepted"));
        assert!(e.contains(key), "{extra}: {e}");
    }
    // Without a bar table the default stays the phenomenological 64-channel spectrum.
    let r = build("h_max = 0.05\nreadout = \"fmr\"\n").unwrap();
    assert_eq!(r.fmr_setup().0, FmrModel::Phenomenological);
    assert_eq!(r.state_dim(), 64);
}
