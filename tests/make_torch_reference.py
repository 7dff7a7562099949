"""Regenerate tests/data/torch_reference.npz: torch.optim's paths for every case (and those of the
reference packages built on torch, OTHER_SOURCES: lion-pytorch, schedulefree,
prodigyopt).

    pip install torch==2.13.0 lion-pytorch==0.2.5 schedulefree==1.4.1 prodigyopt==1.1.2 && python tests/make_torch_reference.py

torch's own optimizer steps the parameters; the gradients come from the same
NumPy objectives descend is tested on, so only the optimizers are compared.
"""

import importlib
from pathlib import Path

import numpy as np
import torch
from torch_cases import (
    CASES,
    CLOSURE_STEPS,
    ESTIMATED,
    MATRIX_SHAPES,
    N_STEPS,
    OBJECTIVES,
    OTHER_SOURCES,
    SPARSE_GRADIENTS,
    as_matrix,
    case_id,
    objectives_for,
)

# The reference classes without torch's foreach switch.
WITHOUT_FOREACH = {"Lion", "Prodigy", "SparseAdam", "LBFGS", "Muon"}

OUT = Path(__file__).parent / "data" / "torch_reference.npz"


def newton_schulz_in_float64(grad, ns_coefficients, ns_steps, eps):
    """torch.optim._muon's Newton-Schulz iteration, line for line, but in the gradient's dtype (float64
    here) where torch casts to bfloat16."""
    a, b, c = ns_coefficients
    ortho_grad = grad.clone()
    if grad.size(0) > grad.size(1):
        ortho_grad = ortho_grad.T
    ortho_grad.div_(ortho_grad.norm().clamp(min=eps))
    for _ in range(ns_steps):
        gram_matrix = ortho_grad @ ortho_grad.T
        gram_update = torch.addmm(gram_matrix, gram_matrix, gram_matrix, beta=b, alpha=c)
        ortho_grad = torch.addmm(ortho_grad, gram_update, ortho_grad, beta=a)
    if grad.size(0) > grad.size(1):
        ortho_grad = ortho_grad.T
    return ortho_grad


def reference_class(name):
    """torch.optim.<name>, or the class OTHER_SOURCES names for it."""
    if name in OTHER_SOURCES:
        module, attribute = OTHER_SOURCES[name]
        return getattr(importlib.import_module(module), attribute)
    return getattr(torch.optim, name)


def torch_path(objective, name, hyperparameters, n_steps=N_STEPS, with_estimate=False):
    """The iterates of torch.optim.<name> on ``objective``, x0 first, in float64; with ``with_estimate``
    also the point a fit returns after the last step, where it is not the last iterate (ESTIMATED)."""
    # Scalar state (NAdam's mu_product, step counters) takes the default dtype.
    torch.set_default_dtype(torch.float64)
    fun, x0 = OBJECTIVES[objective]()
    shape = MATRIX_SHAPES[objective] if as_matrix(name, objective) else x0.shape
    if name == "Muon":
        muon_module = importlib.import_module("torch.optim._muon")
        muon_module._zeropower_via_newtonschulz = newton_schulz_in_float64
    param = torch.tensor(x0.reshape(shape), dtype=torch.float64, requires_grad=True)
    options = {} if name in WITHOUT_FOREACH else {"foreach": False}
    opt = reference_class(name)([param], **options, **hyperparameters)
    if hasattr(opt, "train"):  # schedulefree's optimizers step only in "train" mode
        opt.train()
    path = [x0.copy()]
    for _ in range(n_steps):
        if name in CLOSURE_STEPS:

            def closure():
                value, gradient = fun(param.detach().numpy().copy())
                param.grad = torch.tensor(gradient, dtype=torch.float64)
                return value

            opt.step(closure)
            path.append(param.detach().numpy().copy())
            continue
        _, grad = fun(param.detach().numpy().ravel().copy())
        param.grad = torch.tensor(grad.reshape(shape), dtype=torch.float64)
        if name in SPARSE_GRADIENTS:  # its non-zeros, as a sparse tensor
            param.grad = param.grad.to_sparse()
        opt.step()
        path.append(param.detach().numpy().ravel().copy())
    if with_estimate:
        if name == "ASGD":
            return np.array(path), opt.state[param]["ax"].numpy().copy()
        opt.eval()  # schedulefree: the parameters become the average x
        return np.array(path), param.detach().numpy().copy()
    return np.array(path)


def main():
    arrays = {"torch_version": np.array(torch.__version__)}
    for name, hyperparameters in CASES:
        for objective in objectives_for(name, hyperparameters):
            key = f"{objective}/{case_id(name, hyperparameters)}"
            if name in ESTIMATED:
                arrays[key], arrays[key + "/estimate"] = torch_path(
                    objective, name, hyperparameters, with_estimate=True
                )
            else:
                arrays[key] = torch_path(objective, name, hyperparameters)
    tmp = OUT.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    tmp.replace(OUT)
    print(f"wrote {len(arrays) - 1} arrays with torch {torch.__version__} to {OUT}")


if __name__ == "__main__":
    main()
