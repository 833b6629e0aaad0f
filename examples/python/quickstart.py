"""Quick start: a nanomagnet reservoir learns NARMA10 with a ridge readout, from numpy.

Run from the checkout after `pip install .`:

    python examples/python/quickstart.py

Prints the test NRMSE of square spin ice and of a 100-unit echo-state network on the same
inputs; with matplotlib installed it also writes quickstart.png (targets against predictions).
"""

import numpy as np

import physrc

WASHOUT, TRAIN, TEST = 200, 2000, 500


def score(reservoir, u, y):
    """Drives the reservoir through the whole sequence from reset, fits a ridge readout on the
    training part and returns the test NRMSE and predictions."""
    reservoir.reset()
    states = reservoir.run(u)
    train = slice(WASHOUT, WASHOUT + TRAIN)
    test = slice(WASHOUT + TRAIN, WASHOUT + TRAIN + TEST)
    readout = physrc.Ridge(1e-6).fit(states[train], y[train])
    predictions = readout.predict(states[test])
    return physrc.nrmse(predictions, y[test]), predictions


def main():
    u, y = physrc.tasks.narma10(WASHOUT + TRAIN + TEST, seed=0)
    # Substrates take inputs in [-1, 1]; NARMA's u lies in [0, 0.5].
    u = 4.0 * u - 1.0

    ice = physrc.Nanomagnet(
        geometry="square-closed", size=[10, 10], disorder=0.05, random_seed=0,
        encoder="loop", h_min=0.076, h_max=0.086, phi=45, readout="spins",
    )
    esn = physrc.ESN(units=100, spectral_radius=0.9, input_scaling=0.25, bias_scaling=0.25,
                     seed=0)
    print(ice)
    ice_nrmse, ice_pred = score(ice, u, y)
    esn_nrmse, _ = score(esn, u, y)
    print(f"NARMA10 test NRMSE: square spin ice {ice_nrmse:.3f}, 100-unit ESN {esn_nrmse:.3f}")

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    t = np.arange(200)
    test_y = y[WASHOUT + TRAIN:WASHOUT + TRAIN + 200, 0]
    plt.figure(figsize=(8, 3))
    plt.plot(t, test_y, label="target")
    plt.plot(t, ice_pred[:200, 0], label=f"spin ice (NRMSE {ice_nrmse:.2f})")
    plt.xlabel("test step")
    plt.legend()
    plt.tight_layout()
    plt.savefig("quickstart.png", dpi=120)
    print("wrote quickstart.png")


if __name__ == "__main__":
    main()
