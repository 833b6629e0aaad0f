//! Property tests: for arbitrary pulse trains every model's state stays within its physical
//! bounds, currents stay finite and energies non-negative; invalid pulses are errors that leave
//! the state alone.

use physrc_memristor::{
    Device, Du2017, DuParams, Hp, HpParams, MemristorError, Vteam, VteamParams, Window, Zhong2021,
    ZhongParams,
};
use proptest::prelude::*;

/// Drives `dev` with pulses `(fraction of the limit, width)` and checks the invariants.
fn check_train<D: Device>(mut dev: D, train: &[(f64, f64)]) -> Result<(), TestCaseError> {
    let (lo, hi) = dev.state_bounds();
    let limit = dev.v_limit();
    for &(frac, width) in train {
        let v = frac * limit;
        let r = dev
            .apply(v, width)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let s = dev.state();
        prop_assert!(
            s >= lo && s <= hi,
            "state {s} left [{lo}, {hi}] after {v} V"
        );
        prop_assert!(r.current.is_finite());
        prop_assert!(
            r.energy.is_finite() && r.energy >= 0.0,
            "energy {}",
            r.energy
        );
        // A passive device: current has the sign of the voltage.
        prop_assert!(r.current * v >= 0.0);
        dev.idle(width)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let s = dev.state();
        prop_assert!(s >= lo && s <= hi);
    }
    Ok(())
}

fn train(width: std::ops::Range<f64>) -> impl Strategy<Value = Vec<(f64, f64)>> {
    prop::collection::vec(((-1.0f64..=1.0), width), 1..60)
}

fn window() -> impl Strategy<Value = Window> {
    prop_oneof![
        Just(Window::None),
        Just(Window::Joglekar),
        Just(Window::Biolek)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn zhong_conductance_stays_in_unit_interval(
        t in train(1e-7..1e-3),
        r in 0.9f64..0.999,
        g0 in 0.0f64..=1.0,
    ) {
        let p = ZhongParams { r, g0, ..ZhongParams::default() };
        check_train(Zhong2021::new(p).unwrap(), &t)?;
    }

    #[test]
    fn du_occupation_stays_between_w_min_and_w_max(t in train(1e-6..5e-3), tau in 0.005f64..0.5) {
        let p = DuParams { tau, ..DuParams::default() };
        check_train(Du2017::new(p).unwrap(), &t)?;
    }

    #[test]
    fn hp_doped_fraction_stays_in_unit_interval(
        t in train(1e-4..0.05),
        w in window(),
        p in 1u32..4,
        x_rest in 0.05f64..0.95,
    ) {
        let q = HpParams { window: w, p, x_rest, ..HpParams::default() };
        check_train(Hp::new(q).unwrap(), &t)?;
    }

    #[test]
    fn vteam_state_stays_in_unit_interval(
        t in train(1e-10..5e-8),
        w in window(),
        w_rest in 0.05f64..0.95,
    ) {
        let q = VteamParams { window: w, w_rest, ..VteamParams::default() };
        check_train(Vteam::new(q).unwrap(), &t)?;
    }

    #[test]
    fn invalid_pulses_are_errors_and_leave_the_state(
        v in prop_oneof![
            (3.0f64..1e6).prop_map(|v| v * 1.000_001),
            (-1e6f64..-3.0).prop_map(|v| v * 1.000_001),
            Just(f64::NAN),
            Just(f64::INFINITY),
        ],
        w in prop_oneof![-1.0f64..=0.0, Just(f64::NAN), Just(1e-6)],
    ) {
        let mut d = Zhong2021::new(ZhongParams::default()).unwrap();
        d.apply(1.0, 1e-6).unwrap();
        let s = d.state();
        let e = d.apply(v, w).unwrap_err();
        let voltage_error = matches!(
            e,
            MemristorError::VoltageOutOfRange { .. } | MemristorError::NonFiniteVoltage { .. }
        );
        prop_assert!(voltage_error, "{}", e);
        prop_assert_eq!(d.state(), s);
        let e = d.apply(1.0, -w.abs()).unwrap_err();
        let width_error = matches!(e, MemristorError::InvalidPulseWidth { .. });
        prop_assert!(width_error, "{}", e);
        prop_assert_eq!(d.state(), s);
    }
}

#[test]
fn an_unresolvable_pulse_is_a_step_limit_error_that_leaves_the_state() {
    // VTEAM with the Joglekar window at −1 V is stiff (rate ~1e12/s): a millisecond pulse
    // would take ~1e8 explicit steps.
    let q = VteamParams {
        window: Window::Joglekar,
        w_rest: 0.5,
        ..VteamParams::default()
    };
    let mut d = Vteam::new(q).unwrap();
    let e = d.apply(-1.0, 1e-3).unwrap_err();
    assert!(matches!(e, MemristorError::StepLimit { .. }), "{e}");
    assert_eq!(
        physrc_core::HasErrorKind::kind(&e),
        physrc_core::ErrorKind::Diverged
    );
    assert_eq!(d.state(), 0.5);
    assert!(e.to_string().contains("shorten the pulse"), "{e}");
}

#[test]
fn idle_rejects_negative_and_non_finite_durations() {
    let mut d = Du2017::new(DuParams::default()).unwrap();
    for t in [-1e-3, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            d.idle(t),
            Err(MemristorError::InvalidDuration { .. })
        ));
    }
    assert!(d.idle(0.0).is_ok());
}
