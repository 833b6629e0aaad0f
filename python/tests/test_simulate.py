"""`physrc.simulate_nanomagnet` is `physrc simulate nanomagnet`, under flatspin's names."""

import tomllib

import numpy as np
import pytest

import physrc

CONFIG = "configs/simulate/square-ice-field-loop.toml"


def test_the_simulation_is_the_clis_bit_for_bit(root, physrc_cli, tmp_path):
    physrc_cli("simulate", "nanomagnet", root / CONFIG, "--out", tmp_path)
    result = physrc.simulate_nanomagnet(root / CONFIG)
    # flatspin's names: the spins of a run's dataset, its relax steps, and the model's pos,
    # angle and threshold.
    for ours, cli in [("spin", "spins"), ("steps", "flips"), ("pos", "positions"),
                      ("angle", "angles"), ("threshold", "thresholds")]:
        expected = np.load(tmp_path / f"{cli}.npy")
        assert result[ours].dtype == expected.dtype, ours
        assert result[ours].tobytes() == expected.tobytes(), ours
    assert result["spin"].shape == (200, 840)


def test_fields_can_be_given_as_an_array(root):
    table = tomllib.loads((root / CONFIG).read_text())
    h = np.load(root / "configs/simulate" / table["h_ext"])
    from_file = physrc.simulate_nanomagnet(root / CONFIG)
    table["h_ext"] = h
    given = physrc.simulate_nanomagnet(table)
    assert given["spin"].tobytes() == from_file["spin"].tobytes()
    # A per-magnet sequence that is the global field at every magnet is the same simulation.
    n = from_file["spin"].shape[1]
    table["h_ext"] = np.repeat(h[:, None, :], n, axis=1)
    assert physrc.simulate_nanomagnet(table)["spin"].tobytes() == from_file["spin"].tobytes()


def test_bad_simulation_configs_are_value_errors_naming_the_problem(root):
    table = tomllib.loads((root / CONFIG).read_text())
    table["h_ext"] = np.zeros((10, 2))
    with pytest.raises(ValueError, match="hc_typo"):
        physrc.simulate_nanomagnet({**table, "hc_typo": 0.1})
    with pytest.raises(ValueError, match=r"\(T, 2\) or \(T, 840, 2\)"):
        physrc.simulate_nanomagnet({**table, "h_ext": np.zeros((10, 3))})
    with pytest.raises(ValueError, match="h_ext"):
        physrc.simulate_nanomagnet({**table, "h_ext": np.full((10, 2), np.nan)})
    with pytest.raises(ValueError, match="T × 2"):
        physrc.simulate_nanomagnet({**table, "h_ext": np.zeros(10)})
    with pytest.raises(OSError, match="missing.npy"):
        physrc.simulate_nanomagnet({**table, "h_ext": "missing.npy"})
