"""Regenerate tests/data/torch_reference.npz: torch.optim's paths for every case.

    pip install torch==2.13.0 && python tests/make_torch_reference.py

torch's own optimizer steps the parameters; the gradients come from the same
NumPy objectives descend is tested on, so only the optimizers are compared.
"""

from pathlib import Path

import numpy as np
import torch

from torch_cases import CASES, N_STEPS, OBJECTIVES, case_id

OUT = Path(__file__).parent / "data" / "torch_reference.npz"


def torch_path(objective, name, hyperparameters, n_steps=N_STEPS):
    """The iterates of torch.optim.<name> on ``objective``, x0 first, in float64."""
    # Scalar state (NAdam's mu_product, step counters) takes the default dtype.
    torch.set_default_dtype(torch.float64)
    fun, x0 = OBJECTIVES[objective]()
    param = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    opt = getattr(torch.optim, name)([param], foreach=False, **hyperparameters)
    path = [x0.copy()]
    for _ in range(n_steps):
        _, grad = fun(param.detach().numpy().copy())
        param.grad = torch.tensor(grad, dtype=torch.float64)
        opt.step()
        path.append(param.detach().numpy().copy())
    return np.array(path)


def main():
    arrays = {"torch_version": np.array(torch.__version__)}
    for objective in OBJECTIVES:
        for name, hyperparameters in CASES:
            arrays[f"{objective}/{case_id(name, hyperparameters)}"] = torch_path(objective, name, hyperparameters)
    tmp = OUT.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    tmp.replace(OUT)
    print(f"wrote {len(arrays) - 1} paths with torch {torch.__version__} to {OUT}")


if __name__ == "__main__":
    main()
