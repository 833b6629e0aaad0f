"""`physrc.run` gives the bits `physrc run` gives, from a file or from a dict."""

import json
import time
import tomllib

import numpy as np
import pytest

import physrc

CONFIGS = ["configs/esn-narma10.toml", "configs/nanomagnet-square-transform.toml"]


def without_timing(report):
    """The report without the wall-clock timing, the only part that differs between runs."""
    return {k: v for k, v in report.items() if k != "timing"}


def assert_same_bits(a, b):
    assert a.dtype == b.dtype and a.shape == b.shape
    assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("config", CONFIGS)
def test_run_is_bit_identical_to_the_cli(config, root, physrc_cli, tmp_path):
    cli_out = tmp_path / "cli"
    physrc_cli("run", root / config, "--out", cli_out)
    cli_report = json.loads((cli_out / "report.json").read_text())

    result = physrc.run(root / config)

    assert_same_bits(result.predictions, np.load(cli_out / "predictions.npy"))
    assert_same_bits(result.targets, np.load(cli_out / "targets.npy"))
    assert without_timing(result.report) == without_timing(cli_report)
    # Compared as bits, not as floats that might be equal while differing in the last place.
    for name, value in cli_report["metrics"].items():
        assert np.float64(result.metrics[name]).tobytes() == np.float64(value).tobytes(), name


def test_a_dict_config_runs_as_its_file(root):
    path = root / CONFIGS[0]
    table = tomllib.loads(path.read_text())
    from_file = physrc.run(path)
    from_dict = physrc.run(table)
    assert_same_bits(from_dict.predictions, from_file.predictions)
    assert from_dict.metrics == from_file.metrics
    assert from_dict.report["config"] == "<dict>"


def test_out_writes_the_files_of_the_cli(root, tmp_path):
    result = physrc.run(root / CONFIGS[0], out=tmp_path / "run")
    assert_same_bits(np.load(tmp_path / "run" / "predictions.npy"), result.predictions)
    written = json.loads((tmp_path / "run" / "report.json").read_text())
    assert written["metrics"] == result.metrics


def test_seed_changes_the_run_as_the_cli_flag_does(root):
    table = tomllib.loads((root / CONFIGS[0]).read_text())
    table["split"] = {"washout": 50, "train": 400, "test": 100}
    table["substrate"]["units"] = 50
    a = physrc.run(table, seed=1)
    table["substrate"]["seed"] = 1
    table["task"]["seed"] = 1
    b = physrc.run(table)
    assert_same_bits(a.predictions, b.predictions)
    c = physrc.run(table, seed=2)
    assert not np.array_equal(a.predictions, c.predictions)


def test_config_errors_are_value_errors_naming_the_key(root):
    table = tomllib.loads((root / CONFIGS[0]).read_text())
    table["substrate"]["unitz"] = 3
    with pytest.raises(ValueError, match="unitz"):
        physrc.run(table)
    del table["substrate"]["unitz"]
    del table["task"]
    with pytest.raises(ValueError, match=r"\[task\] or \[data\]"):
        physrc.run(table)


def test_a_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(OSError, match="nope.toml"):
        physrc.run(tmp_path / "nope.toml")


def test_a_config_of_the_wrong_type_is_a_type_error():
    with pytest.raises(TypeError, match="dict or the path"):
        physrc.run(42)


def test_ctrl_c_interrupts_a_long_run_within_a_second(root, tmp_path, sigint_after):
    table = tomllib.loads((root / CONFIGS[0]).read_text())
    # Two million steps of a 100-unit network: several seconds, far more than the 0.5 s wait.
    table["substrate"]["units"] = 100
    table["split"] = {"washout": 100, "train": 1_800_000, "test": 200_000}
    with sigint_after(0.5) as sent:
        with pytest.raises(KeyboardInterrupt):
            physrc.run(table, out=tmp_path / "run")
        latency = time.monotonic() - sent[0]
    assert latency < 1.0, f"KeyboardInterrupt {latency:.3f} s after SIGINT"
    # An interrupted run writes nothing.
    assert not (tmp_path / "run" / "report.json").exists()


def test_states_are_returned_when_asked_and_are_the_substrates(root):
    table = tomllib.loads((root / CONFIGS[0]).read_text())
    table["split"] = {"washout": 20, "train": 300, "test": 80}
    table["substrate"]["units"] = 30
    assert physrc.run(table).states is None
    result = physrc.run(table, states=True)
    assert result.states.shape == (400, 30)
    # The states are the substrate's own on the runner's normalised inputs (NARMA's u mapped
    # to [-1, 1] over the range the report records).
    u, _ = physrc.tasks.narma10(400, seed=0)
    norm = result.report["normalization"]
    lo, hi = norm["min"][0], norm["max"][0]
    esn = physrc.Reservoir.from_config(table)
    expected = esn.run(2 * (u - lo) / (hi - lo) - 1)
    np.testing.assert_allclose(result.states, expected, rtol=0, atol=1e-12)
