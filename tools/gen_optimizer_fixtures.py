#!/usr/bin/env python3
"""Reference trajectories for src/train/optimizers.ts.

A tiny parameter set (one tensor of each kind the weight-decay rule distinguishes) is updated for
five steps with fixed random gradients and a learning rate that changes every step:
  - by torch.optim itself: SGD (plain, momentum, dampening, Nesterov), AdamW (plain, amsgrad) and
    RMSprop (momentum, centered, plain), with weight decay only on the parameters our default rule
    decays (torch param groups);
  - for TensorFlow-style RMSprop, by a NumPy transcription of the update equations documented for
    tf.raw_ops.ApplyRMSProp / ApplyCenteredRMSProp (TensorFlow is not installed here):
        ms  <- rho * ms + (1 - rho) * g^2              [mg <- rho * mg + (1 - rho) * g]
        mom <- momentum * mom + lr * g / sqrt(ms + eps) [sqrt(ms - mg^2 + eps) when centered]
        var <- var - mom
    with ms started at initial_mean_square (TF1's RMSPropOptimizer creates it with ones) and the
    L2 regularizer's gradient weight_decay * var added to g, as slim's l2_regularizer gives.
    This is a transcription of TF's documentation, not TensorFlow itself.
Both run in float64 on the float32 initial values and gradients and are rounded to float32 once for
the file; the script prints how far the float32 runs of the same code are from them.

Run with Debian's python3 (python3-torch, python3-numpy):
    /usr/bin/python3 tools/gen_optimizer_fixtures.py
Writes test/fixtures/optim/trajectories.json.
"""
import json
import math
import os

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'optim', 'trajectories.json')
SEED = 1234
STEPS = 5
LRS = [0.05, 0.1, 0.02, 0.08, 0.04]

# name, kind, owning op, shape (our layouts; every update here is elementwise)
PARAMS = [
    ('stem.conv.weight', 'weight', 'conv2d', [3, 3, 1, 2]),
    ('blocks.0.dw.conv.weight', 'weight', 'depthwiseConv2d', [3, 3, 2, 1]),
    ('blocks.0.dw.bn.gamma', 'gamma', 'batchNorm', [2]),
    ('blocks.0.dw.bn.beta', 'beta', 'batchNorm', [2]),
    ('blocks.0.project.conv.weight', 'weight', 'pointwiseConv2d', [2, 4]),
    ('classifier.weight', 'weight', 'dense', [4, 3]),
    ('classifier.bias', 'bias', 'dense', [3]),
]
# What the default rule decays (conv and dense weights except depthwise filters), written out here
# rather than derived, so the fixture checks the rule.
DEFAULT_DECAYED = {'stem.conv.weight', 'blocks.0.project.conv.weight', 'classifier.weight'}
ALL_NAMES = {p[0] for p in PARAMS}


def make_data():
    gen = torch.Generator().manual_seed(SEED)
    params = {}
    for name, kind, _, shape in PARAMS:
        x = torch.randn(*shape, generator=gen, dtype=torch.float32)
        params[name] = 1 + 0.1 * x if kind == 'gamma' else 0.5 * x
    grads = []
    for _ in range(STEPS):
        grads.append({name: 0.5 * torch.randn(*shape, generator=gen, dtype=torch.float32) for name, _, _, shape in PARAMS})
    return params, grads


# ---- torch ----

def run_torch(params, grads, make, decayed, weight_decay, dtype=torch.float64):
    """torch.optim on copies of the float32 values in `dtype` (float64 for the fixture)."""
    tensors = {name: params[name].to(dtype, copy=True).requires_grad_(True) for name, *_ in PARAMS}
    groups = [
        {'params': [tensors[n] for n, *_ in PARAMS if n in decayed], 'weight_decay': weight_decay},
        {'params': [tensors[n] for n, *_ in PARAMS if n not in decayed], 'weight_decay': 0.0},
    ]
    groups = [g for g in groups if g['params']]
    opt = make(groups)
    trajectory = []
    for step in range(STEPS):
        for group in opt.param_groups:
            group['lr'] = LRS[step]
        for name, t in tensors.items():
            t.grad = grads[step][name].to(dtype)
        opt.step()
        trajectory.append({name: t.detach().clone() for name, t in tensors.items()})
    slot_names = {
        'momentum_buffer': 'momentum', 'square_avg': 'ms', 'grad_avg': 'mg',
        'exp_avg': 'exp_avg', 'exp_avg_sq': 'exp_avg_sq', 'max_exp_avg_sq': 'max_exp_avg_sq',
    }
    state, scalars = {}, {}
    for name, t in tensors.items():
        for key, value in opt.state[t].items():
            if key == 'step':
                if isinstance(opt, torch.optim.AdamW):
                    scalars[name + '/step'] = int(value)
            elif value is not None:
                state[name + '/' + slot_names[key]] = value.detach().clone()
    return trajectory, state, scalars


# ---- TensorFlow's documented RMSProp, in NumPy ----

def run_tf_rmsprop(params, grads, rho, momentum, eps, initial_ms, centered, decayed, weight_decay, dtype=np.float64):
    """The documented equations in NumPy `dtype` arithmetic (float64 for the fixture)."""
    f = dtype
    var = {n: params[n].numpy().astype(dtype) for n, *_ in PARAMS}
    ms = {n: np.full_like(var[n], f(initial_ms)) for n in var}
    mg = {n: np.zeros_like(var[n]) for n in var}
    mom = {n: np.zeros_like(var[n]) for n in var}
    trajectory = []
    for step in range(STEPS):
        lr = f(LRS[step])
        for n in var:
            g = grads[step][n].numpy().astype(dtype)
            if n in decayed:
                g = g + f(weight_decay) * var[n]
            ms[n] = f(rho) * ms[n] + (f(1) - f(rho)) * g * g
            if centered:
                mg[n] = f(rho) * mg[n] + (f(1) - f(rho)) * g
                denom = ms[n] - mg[n] * mg[n] + f(eps)
            else:
                denom = ms[n] + f(eps)
            mom[n] = f(momentum) * mom[n] + lr * g / np.sqrt(denom)
            var[n] = var[n] - mom[n]
            assert var[n].dtype == dtype
        trajectory.append({n: torch.from_numpy(v.copy()) for n, v in var.items()})
    state = {}
    for n in var:
        state[n + '/ms'] = torch.from_numpy(ms[n])
        if centered:
            state[n + '/mg'] = torch.from_numpy(mg[n])
        if momentum != 0:
            state[n + '/momentum'] = torch.from_numpy(mom[n])
    return trajectory, state, {}


# ---- cases ----

def torch_cases():
    sgd = torch.optim.SGD
    rms = torch.optim.RMSprop
    adamw = torch.optim.AdamW
    wd = 0.05
    return [
        ('sgd', {'type': 'sgd', 'weightDecay': wd}, DEFAULT_DECAYED, wd, lambda g: sgd(g, lr=0.1)),
        ('sgd_momentum', {'type': 'sgd', 'momentum': 0.9, 'weightDecay': wd}, DEFAULT_DECAYED, wd,
         lambda g: sgd(g, lr=0.1, momentum=0.9)),
        ('sgd_momentum_dampening', {'type': 'sgd', 'momentum': 0.9, 'dampening': 0.3, 'weightDecay': wd}, DEFAULT_DECAYED, wd,
         lambda g: sgd(g, lr=0.1, momentum=0.9, dampening=0.3)),
        ('sgd_nesterov', {'type': 'sgd', 'momentum': 0.9, 'nesterov': True, 'weightDecay': wd}, DEFAULT_DECAYED, wd,
         lambda g: sgd(g, lr=0.1, momentum=0.9, nesterov=True)),
        ('sgd_momentum_decay_everything',
         {'type': 'sgd', 'momentum': 0.9, 'weightDecay': wd, 'decayDepthwise': True, 'decayBatchNorm': True, 'decayBias': True},
         ALL_NAMES, wd, lambda g: sgd(g, lr=0.1, momentum=0.9)),
        ('adamw', {'type': 'adamw', 'weightDecay': 0.1}, DEFAULT_DECAYED, 0.1, lambda g: adamw(g, lr=0.1)),
        ('adamw_amsgrad', {'type': 'adamw', 'weightDecay': 0.1, 'beta1': 0.8, 'beta2': 0.99, 'epsilon': 1e-6, 'amsgrad': True},
         DEFAULT_DECAYED, 0.1, lambda g: adamw(g, lr=0.1, betas=(0.8, 0.99), eps=1e-6, amsgrad=True)),
        ('rmsprop_pytorch_momentum', {'type': 'rmsprop', 'style': 'pytorch', 'rho': 0.9, 'momentum': 0.9, 'epsilon': 1e-8, 'weightDecay': wd},
         DEFAULT_DECAYED, wd, lambda g: rms(g, lr=0.1, alpha=0.9, momentum=0.9, eps=1e-8)),
        ('rmsprop_pytorch_centered', {'type': 'rmsprop', 'style': 'pytorch', 'rho': 0.9, 'momentum': 0.9, 'epsilon': 1e-3, 'centered': True, 'weightDecay': wd},
         DEFAULT_DECAYED, wd, lambda g: rms(g, lr=0.1, alpha=0.9, momentum=0.9, eps=1e-3, centered=True)),
        ('rmsprop_pytorch_plain', {'type': 'rmsprop', 'style': 'pytorch', 'rho': 0.99, 'momentum': 0},
         set(), 0.0, lambda g: rms(g, lr=0.1)),
    ]


def tf_cases():
    # name, our config, rho, momentum, eps, initial ms, centered, decayed set, weight decay
    return [
        ('rmsprop_tensorflow_slim', {'type': 'rmsprop', 'style': 'tensorflow', 'weightDecay': 4e-5},
         0.9, 0.9, 1.0, 1.0, False, DEFAULT_DECAYED, 4e-5),
        ('rmsprop_tensorflow_slim_strong_decay', {'type': 'rmsprop', 'style': 'tensorflow', 'weightDecay': 0.05},
         0.9, 0.9, 1.0, 1.0, False, DEFAULT_DECAYED, 0.05),
        ('rmsprop_tensorflow_keras', {'type': 'rmsprop', 'style': 'tensorflow', 'epsilon': 1e-7, 'initialMeanSquare': 0, 'weightDecay': 0.05},
         0.9, 0.9, 1e-7, 0.0, False, DEFAULT_DECAYED, 0.05),
        ('rmsprop_tensorflow_centered', {'type': 'rmsprop', 'style': 'tensorflow', 'epsilon': 1e-10, 'centered': True, 'weightDecay': 0.05},
         0.9, 0.9, 1e-10, 1.0, True, DEFAULT_DECAYED, 0.05),
        ('rmsprop_tensorflow_no_momentum', {'type': 'rmsprop', 'style': 'tensorflow', 'rho': 0.95, 'momentum': 0, 'epsilon': 1e-10},
         0.95, 0.0, 1e-10, 1.0, False, set(), 0.0),
    ]


# ---- JSON ----

def float32_token(v):
    v = np.float32(v)
    assert np.isfinite(v), v
    s = str(v)  # numpy's shortest decimal that reads back as this float32
    if s.endswith('.0'):
        s = s[:-2]
    if np.float32(float(s)) != v or (v == 0 and math.copysign(1.0, float(v)) < 0):
        s = repr(float(v))  # the float32 value's exact double; keeps -0.0
    assert np.float32(float(s)) == v
    return s


def tensor_json(t):
    values = t.detach().to(torch.float32).reshape(-1).numpy()
    return '[' + ', '.join(float32_token(v) for v in values) + ']'


def named_json(tensors, indent):
    pad = ' ' * indent
    return '{\n' + ',\n'.join('%s%s: %s' % (pad, json.dumps(n), tensor_json(t)) for n, t in tensors.items()) + '\n' + ' ' * (indent - 2) + '}'


def case_json(name, reference, config, trajectory, state, scalars):
    steps = ',\n'.join('      ' + named_json(p, 8) for p in trajectory)
    return (
        '    {"name": %s, "reference": %s, "config": %s,\n' % (json.dumps(name), json.dumps(reference), json.dumps(config))
        + '     "params": [\n' + steps + '\n     ],\n'
        + '     "state": ' + named_json(state, 8) + ',\n'
        + '     "scalars": ' + json.dumps(scalars) + '}'
    )


def scaled_distance(a, b):
    """Largest |a - b| relative to max(|b|, the largest |b| in that tensor), over a trajectory."""
    worst = 0.0
    for x, y in zip(a, b):
        for n in y:
            x64, y64 = x[n].to(torch.float64), y[n].to(torch.float64)
            scale = torch.clamp(y64.abs(), min=float(y64.abs().max()))
            worst = max(worst, float(((x64 - y64).abs() / scale).max()))
    return worst


def main():
    params, grads = make_data()
    cases = []
    for name, config, decayed, wd, make in torch_cases():
        trajectory, state, scalars = run_torch(params, grads, make, decayed, wd)
        in_float32, _, _ = run_torch(params, grads, make, decayed, wd, torch.float32)
        print('%-40s torch float32 vs float64: %.2e' % (name, scaled_distance(in_float32, trajectory)))
        cases.append(case_json(name, 'torch.optim ' + torch.__version__, config, trajectory, state, scalars))
    for name, config, rho, mu, eps, ms0, centered, decayed, wd in tf_cases():
        trajectory, state, scalars = run_tf_rmsprop(params, grads, rho, mu, eps, ms0, centered, decayed, wd)
        in_float32, _, _ = run_tf_rmsprop(params, grads, rho, mu, eps, ms0, centered, decayed, wd, np.float32)
        print('%-40s numpy float32 vs float64: %.2e' % (name, scaled_distance(in_float32, trajectory)))
        cases.append(case_json(name, 'numpy transcription of the tf.raw_ops.ApplyRMSProp docs', config, trajectory, state, scalars))
    header = {
        'generator': 'tools/gen_optimizer_fixtures.py', 'torch': torch.__version__, 'numpy': np.__version__,
        'seed': SEED, 'lrs': LRS,
    }
    text = '{\n'
    for key, value in header.items():
        text += '  %s: %s,\n' % (json.dumps(key), json.dumps(value))
    text += '  "params": [\n' + ',\n'.join(
        '    {"name": %s, "kind": %s, "op": %s, "shape": %s, "data": %s}' % (
            json.dumps(n), json.dumps(k), json.dumps(op), json.dumps(shape), tensor_json(params[n]))
        for n, k, op, shape in PARAMS) + '\n  ],\n'
    text += '  "grads": [\n' + ',\n'.join('    ' + named_json(g, 6) for g in grads) + '\n  ],\n'
    text += '  "cases": [\n' + ',\n'.join(cases) + '\n  ]\n}\n'
    json.loads(text)  # well-formed
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT + '.tmp', 'w') as f:
        f.write(text)
    os.replace(OUT + '.tmp', OUT)
    print('wrote', os.path.normpath(OUT), len(cases), 'cases', len(text), 'bytes')


if __name__ == '__main__':
    main()
