#!/usr/bin/env python3
"""Reference trajectories of torch.optim.AdamW and torch.optim.SGD for OptimTests.

Run by hand (needs torch): .venv-bench/bin/python Tests/Fixtures/generate_optim_fixture.py
Writes Tests/Fixtures/optim_reference.json: the initial parameter, the gradient fed at each step
(fixed, seeded) and the parameter after each step, for several optimiser settings.
"""
import json
import pathlib

import torch

torch.manual_seed(0)
p0 = torch.randn(6)
grads = [torch.randn(6) for _ in range(5)]

cases = {
    "adamw_default": (torch.optim.AdamW, dict(lr=1e-2)),
    "adamw_wd": (torch.optim.AdamW, dict(lr=5e-2, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1)),
    "sgd_plain": (torch.optim.SGD, dict(lr=0.1)),
    "sgd_momentum": (torch.optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    "sgd_nesterov": (torch.optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True)),
}
out = {"torch": torch.__version__, "initial": p0.tolist(), "grads": [g.tolist() for g in grads], "cases": {}}
for name, (cls, kw) in cases.items():
    p = torch.nn.Parameter(p0.clone())
    opt = cls([p], **kw)
    traj = []
    for g in grads:
        p.grad = g.clone()
        opt.step()
        traj.append(p.detach().clone().tolist())
    out["cases"][name] = {"settings": {k: (list(v) if isinstance(v, tuple) else v) for k, v in kw.items()}, "trajectory": traj}

path = pathlib.Path(__file__).with_name("optim_reference.json")
path.write_text(json.dumps(out, indent=1))
print("wrote", path)
