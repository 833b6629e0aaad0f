"""Substrates from Python: construction by TOML keys, run/step/reset, errors, interrupts."""

import os
import threading
import time

import numpy as np
import pytest

import physrc


def small_esn(**extra):
    return physrc.ESN(units=40, spectral_radius=0.9, bias_scaling=0.25, seed=3, **extra)


def inputs(n, dim=1, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, size=(n, dim))


def test_keywords_are_the_toml_keys():
    esn = physrc.ESN(units=40, spectral_radius=0.5, seed=7)
    same = physrc.Reservoir.from_config(
        {"kind": "esn", "units": 40, "spectral_radius": 0.5, "seed": 7}
    )
    u = inputs(100)
    assert esn.run(u).tobytes() == same.run(u).tobytes()
    assert (esn.input_dim, esn.state_dim, esn.kind) == (1, 40, "esn")
    assert esn.params["units"] == 40
    assert repr(esn).startswith("ESN(") and "units=40" in repr(esn)
    assert repr(esn).count("input_dim=1") == 1 and repr(esn).endswith("state_dim=40)")


def test_from_config_takes_the_substrate_of_a_run_config_file(root):
    r = physrc.Reservoir.from_config(root / "configs/esn-narma10.toml")
    assert (r.kind, r.state_dim) == ("esn", 500)
    assert r.params["spectral_radius"] == 0.9


def test_run_is_repeated_steps_and_reset_reproduces():
    esn = small_esn(input_dim=2)
    u = inputs(300, dim=2)
    states = esn.run(u)
    assert states.shape == (300, 40) and states.dtype == np.float64
    esn.reset()
    stepped = np.array([esn.step(row) for row in u])
    assert stepped.tobytes() == states.tobytes()
    esn.reset()
    assert esn.run(u).tobytes() == states.tobytes()


def test_strided_and_fortran_inputs_run_as_contiguous_ones():
    esn = small_esn(input_dim=2)
    u = inputs(200, dim=2)
    states = esn.run(u)
    for other in [np.asfortranarray(u), np.repeat(u, 3, axis=0)[::3]]:
        esn.reset()
        assert esn.run(other).tobytes() == states.tobytes()
    one = small_esn()
    v = inputs(100)[:, 0]
    expected = one.run(v)
    one.reset()
    assert one.run(np.repeat(v, 2)[::2]).tobytes() == expected.tobytes()


def test_a_one_component_reservoir_takes_1d_inputs_and_floats():
    esn = small_esn()
    u = inputs(20)[:, 0]
    states = esn.run(u)
    esn.reset()
    assert esn.step(float(u[0])).tobytes() == states[0].tobytes()


def test_nanomagnet_memristor_and_oscillator_build_and_run():
    for r in [
        physrc.Nanomagnet(geometry="square-closed", size=[4, 4], encoder="loop", h_min=0.076,
                          h_max=0.086, phi=45, readout="spins"),
        physrc.Memristor(model="zhong2021", devices=5, virtual_nodes=4, v_min=-0.8, v_max=2.5),
        physrc.Oscillator(model="delay", nodes=20, theta=0.2, eta=0.4, gamma=0.05, p=1),
    ]:
        states = r.run(np.linspace(-1, 1, 30))
        assert states.shape == (30, r.state_dim)
        assert np.isfinite(states).all()


def test_bad_parameters_are_value_errors_naming_the_key():
    with pytest.raises(ValueError, match="unitz"):
        physrc.ESN(unitz=10)
    with pytest.raises(ValueError, match="units"):
        physrc.ESN(units=0)
    with pytest.raises(ValueError, match="spectral_radius"):
        physrc.ESN(units=10, spectral_radius=-1.0)
    with pytest.raises(ValueError, match="not known"):
        physrc.Reservoir.from_config({"kind": "transistor"})
    with pytest.raises(TypeError, match="cannot be a config value"):
        physrc.ESN(units=10, seed=object())


@pytest.mark.parametrize(
    "bad, message",
    [(1.5, "row 7"), (np.nan, "row 7"), (-np.inf, "row 7")],
)
def test_bad_input_is_a_value_error_and_leaves_the_state_unchanged(bad, message):
    esn = small_esn()
    fresh = small_esn()
    u = inputs(50)
    esn.run(u[:10])
    fresh.run(u[:10])
    bad_u = inputs(20, seed=1)
    bad_u[7] = bad
    with pytest.raises(ValueError, match=message):
        esn.run(bad_u)
    # The whole sequence is checked first: no step of it was taken.
    assert esn.run(u[10:]).tobytes() == fresh.run(u[10:]).tobytes()


def test_wrong_shapes_are_value_errors():
    esn = small_esn(input_dim=2)
    with pytest.raises(ValueError, match="takes 2 per step"):
        esn.run(np.zeros(10))
    with pytest.raises(ValueError, match="3-D"):
        esn.run(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError):
        esn.step(np.zeros(3))
    with pytest.raises(ValueError, match="input_dim"):
        physrc.ESN(units=10, input_dim=0)


def test_ctrl_c_interrupts_a_long_run_within_a_second(sigint_after):
    esn = physrc.ESN(units=10, seed=0)
    u = np.zeros(10_000_000)
    with sigint_after(0.5) as sent:
        with pytest.raises(KeyboardInterrupt):
            esn.run(u)
        latency = time.monotonic() - sent[0]
    assert latency < 1.0, f"KeyboardInterrupt {latency:.3f} s after SIGINT"
    # The reservoir is usable afterwards.
    esn.reset()
    assert esn.run(u[:5]).shape == (5, 10)


def test_a_rig_that_does_not_answer_is_a_timeout_error():
    master, slave = os.openpty()
    try:
        with pytest.raises(TimeoutError):
            physrc.Reservoir.from_config(
                {"kind": "rig", "port": os.ttyname(slave), "timeout": 0.05, "retries": 0,
                 "h_max": 0.08}
            )
    finally:
        os.close(master)
        os.close(slave)


def emulated_rig(**emulator):
    return physrc.Reservoir.from_config(
        {"kind": "rig", "h_min": 0.076, "h_max": 0.086, "retries": 0, "timeout": 0.2,
         "emulator": {"geometry": "square-closed", "size": [4, 4], **emulator}}
    )


def test_a_rig_that_keeps_resetting_is_a_device_error():
    rig = emulated_rig(reset_every=5)
    with pytest.raises(physrc.DeviceError, match="reset"):
        rig.run(np.linspace(-1, 1, 200))
    assert not issubclass(physrc.DeviceError, ValueError)


def test_a_rig_that_drops_requests_is_a_timeout_error():
    rig = emulated_rig(fault_rate=0.5)
    with pytest.raises(TimeoutError, match="did not answer"):
        rig.run(np.linspace(-1, 1, 200))


def test_another_thread_is_refused_while_a_run_holds_the_reservoir():
    esn = physrc.ESN(units=200, seed=0)
    u = np.zeros(150_000)
    errors = []
    worker = threading.Thread(target=lambda: esn.run(u))
    worker.start()
    time.sleep(0.2)
    try:
        esn.step(0.0)
    except RuntimeError as e:
        errors.append(str(e))
    worker.join()
    assert errors and "another thread" in errors[0]


def test_numpy_scalars_are_config_values_and_huge_integers_are_refused():
    esn = physrc.ESN(units=np.int64(40), spectral_radius=np.float32(0.5), seed=0)
    assert (esn.params["units"], esn.params["spectral_radius"]) == (40, 0.5)
    with pytest.raises(ValueError, match="units: the integer .* does not fit in 64 bits"):
        physrc.ESN(units=2**70)


def test_info_is_what_the_report_records_of_the_substrate(root):
    esn = physrc.Reservoir.from_config(root / "configs/esn-narma10.toml")
    report = physrc.run(root / "configs/esn-narma10.toml").report
    info = esn.info
    assert (info["kind"], info["input_dim"], info["state_dim"]) == ("esn", 1, 500)
    assert info["name"] == report["substrate"]["name"]
    assert info["params"] == report["substrate"]["params"] == esn.params


def test_energy_is_the_substrates_estimate_since_reset(root):
    config = root / "configs/esn-narma10.toml"
    report = physrc.run(config).report
    steps = report["energy_breakdown"]["steps"]
    esn = physrc.Reservoir.from_config(config)
    assert esn.energy == 0.0
    # The ESN's energy is its arithmetic, the same whatever the input: after as many steps as
    # the run drove, it is the report's substrate energy.
    esn.run(inputs(steps)[:, 0])
    assert esn.energy == pytest.approx(report["energy_breakdown"]["substrate"]["joules"],
                                       rel=1e-12)
    esn.reset()
    assert esn.energy == 0.0
    # A nanomagnet array dissipates when its bars switch; the delay node has no energy model.
    magnets = physrc.Nanomagnet(geometry="square-closed", size=[4, 4], encoder="loop",
                                h_min=0.076, h_max=0.086, phi=45, readout="spins")
    magnets.run(np.linspace(-1, 1, 50))
    assert magnets.energy > 0.0
    delay = physrc.Oscillator(model="delay", nodes=20, theta=0.2, eta=0.4, gamma=0.05, p=1)
    delay.run(np.linspace(-1, 1, 10))
    assert delay.energy is None


def test_rig_builds_the_emulated_rig_by_its_keys():
    rig = physrc.Rig(h_min=0.076, h_max=0.086,
                     emulator={"geometry": "square-closed", "size": [4, 4]})
    same = emulated_rig()
    u = np.linspace(-1, 1, 40)
    assert rig.kind == "rig" and repr(rig).startswith("Rig(")
    assert rig.run(u).tobytes() == same.run(u).tobytes()
    with pytest.raises(ValueError, match="h_maxx"):
        physrc.Rig(h_min=0.0, h_maxx=0.08)
