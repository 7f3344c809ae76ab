#!/usr/bin/env python3
"""Write the backward-kernel fixtures in test/fixtures/backward/ from PyTorch autograd.

Run from anywhere with Debian's Python (it has torch; the pyenv `python3` on PATH does not):

    /usr/bin/python3 tools/gen_backward_fixtures.py

Each case draws float32 inputs and a float32 upstream gradient from a seeded torch generator,
converts them to PyTorch's layouts (NCHW activations, OIHW weights), runs the op forward and
torch.autograd backward, and converts every gradient back to our layouts (NHWC; HWIO conv weights;
(kh, kw, C, multiplier) depthwise weights; (in, out) dense weights). As in gen_kernel_fixtures.py the
torch computation runs in float64 on the float32 values and each result is rounded to float32 once,
so the expected values are the correctly rounded gradients rather than one float32 summation order;
the script prints how far PyTorch's own float32 gradients are from them.

Batch norm runs torch.nn.BatchNorm2d / BatchNorm1d in training mode (momentum 0.1) from random
running statistics, and records the output, the saved mean and inverse standard deviation
(torch.ops.aten.native_batch_norm), the unbiased batch variance, the running statistics after the
step, and the gradients of input, gamma and beta. Dropout records torch's own mask (F.dropout in
training mode, seeded). Cross-entropy uses F.cross_entropy (reduction 'mean', and 'none' for the
per-row losses) with and without label_smoothing.

JSON numbers are the shortest decimals that round back to the same float32 (checked for each).
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

SEED = 4321
OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'backward')

gen = torch.Generator().manual_seed(SEED)
worst_float32 = {}  # file -> max |torch float32 gradient - float64 gradient rounded| / max(1, |gradient|)


def randn(*shape, scale=1.0):
    return (torch.randn(*shape, generator=gen, dtype=torch.float32) * scale).to(torch.float32)


def uniform(*shape, low=0.0, high=1.0):
    return (torch.rand(*shape, generator=gen, dtype=torch.float32) * (high - low) + low).to(torch.float32)


def nhwc_to_nchw(t):
    return t.permute(0, 3, 1, 2)


def nchw_to_nhwc(t):
    return t.permute(0, 2, 3, 1)


def pad_nchw(x, top, bottom, left, right):
    """Zero padding; a negative amount crops rows/columns no window reaches."""
    x = F.pad(x, (max(left, 0), max(right, 0), max(top, 0), max(bottom, 0)))
    h, w = x.shape[2], x.shape[3]
    return x[:, :, max(-top, 0):h - max(-bottom, 0), max(-left, 0):w - max(-right, 0)]


def out_size(size, kernel, stride, dilation, before, after):
    return (size + before + after - (kernel - 1) * dilation - 1) // stride + 1


def implied_after(size, kernel, stride, dilation, before, out):
    return (out - 1) * stride + (kernel - 1) * dilation + 1 - size - before


def autograd(kernel, fn, inputs, grad_output):
    """Runs fn(*inputs) forward and backward with grad_output, in float64 (the fixture) and in float32
    (for the printed comparison). inputs: list of float32 tensors or None. Returns (output, grads) in
    float64, grads[i] None where inputs[i] is None."""
    results = {}
    for dtype in (torch.float64, torch.float32):
        leaves = [None if t is None else t.detach().to(dtype).requires_grad_() for t in inputs]
        y = fn(*leaves)
        y.backward(grad_output.to(dtype))
        results[dtype] = (y.detach(), [None if t is None else t.grad.detach() for t in leaves])
    out64, grads64 = results[torch.float64]
    _, grads32 = results[torch.float32]
    for g64, g32 in zip(grads64, grads32):
        if g64 is None:
            continue
        diff = (g64.float() - g32).abs().max().item() / max(1.0, g64.abs().max().item())
        worst_float32[kernel] = max(worst_float32.get(kernel, 0.0), diff)
    return out64, grads64


def f32_token(v):
    v = np.float32(v)
    assert np.isfinite(v), v
    s = str(v)  # numpy's shortest repr that round-trips as float32
    if s.endswith('.0'):
        s = s[:-2]
    if np.float32(float(s)) != v or (v == 0 and math.copysign(1.0, float(v)) < 0):
        s = repr(float(v))
    return s


def tensor_json(t, shape):
    t = t.detach().to(torch.float32).contiguous()
    assert t.numel() == math.prod(shape), (tuple(t.shape), shape)
    return '{"shape": [%s], "data": [%s]}' % (
        ', '.join(str(d) for d in shape), ', '.join(f32_token(v) for v in t.reshape(-1).numpy()))


def case_json(name, desc, tensors, extra=None):
    parts = ['"name": %s' % json.dumps(name), '"desc": %s' % json.dumps(desc)]
    for key, value in (extra or {}).items():
        parts.append('"%s": %s' % (key, json.dumps(value)))
    lines = []
    for key, value in tensors.items():
        lines.append('  "%s": %s' % (key, 'null' if value is None else tensor_json(*value)))
    parts.append('"tensors": {\n' + ',\n'.join(lines) + '\n}')
    return '{' + ', '.join(parts) + '}'


def write(kernel, cases):
    header = '"kernel": %s, "generator": "tools/gen_backward_fixtures.py", "torch": %s, "seed": %d' % (
        json.dumps(kernel), json.dumps(torch.__version__), SEED)
    text = '{' + header + ',\n"cases": [\n' + ',\n'.join(cases) + '\n]}\n'
    with open(os.path.join(OUT_DIR, kernel + '.json'), 'w') as f:
        f.write(text)
    print('%-28s %2d cases %7d bytes  torch float32 vs float64 gradients: %.3g' % (
        kernel, len(cases), len(text), worst_float32.get(kernel, 0.0)))


# ---------------------------------------------------------------------------------------------------
def geometry(h, w, kh, kw, sh, sw, dh, dw, pad):
    """pad: 'same' (TensorFlow rule) or (top, bottom, left, right)."""
    if pad == 'same':
        hout, wout = -(-h // sh), -(-w // sw)
        top = max((hout - 1) * sh + (kh - 1) * dh + 1 - h, 0) // 2
        left = max((wout - 1) * sw + (kw - 1) * dw + 1 - w, 0) // 2
    else:
        top, bottom, left, right = pad
        hout, wout = out_size(h, kh, sh, dh, top, bottom), out_size(w, kw, sw, dw, left, right)
    bottom = implied_after(h, kh, sh, dh, top, hout)
    right = implied_after(w, kw, sw, dw, left, wout)
    return top, bottom, left, right, hout, wout


def conv2d_case(name, n, h, w, cin, cout, kh, kw, sh=1, sw=1, dh=1, dw=1, groups=1, pad='same', bias=True):
    top, bottom, left, right, hout, wout = geometry(h, w, kh, kw, sh, sw, dh, dw, pad)
    x = randn(n, h, w, cin)  # (N, H, W, Cin)
    weight = randn(kh, kw, cin // groups, cout, scale=1.0 / math.sqrt(kh * kw * cin // groups))  # HWIO
    b = randn(cout) if bias else None
    g = randn(n, hout, wout, cout)

    def op(x_, w_, b_):
        w_oihw = w_.permute(3, 2, 0, 1)
        y = F.conv2d(pad_nchw(nhwc_to_nchw(x_), top, bottom, left, right), w_oihw, b_,
                     stride=(sh, sw), dilation=(dh, dw), groups=groups)
        return nchw_to_nhwc(y)

    y, (gx, gw, gb) = autograd('conv2dBackward', op, [x, weight, b], g)
    assert tuple(y.shape) == (n, hout, wout, cout), (name, tuple(y.shape))
    desc = dict(batch=n, inHeight=h, inWidth=w, inChannels=cin, outHeight=hout, outWidth=wout,
                outChannels=cout, kernelHeight=kh, kernelWidth=kw, strideHeight=sh, strideWidth=sw,
                dilationHeight=dh, dilationWidth=dw, padTop=top, padLeft=left, groups=groups)
    return case_json(name, desc, {
        'input': (x, [n, h, w, cin]),
        'weight': (weight, [kh, kw, cin // groups, cout]),
        'bias': (b, [cout]) if bias else None,
        'gradOutput': (g, [n, hout, wout, cout]),
        'gradInput': (gx, [n, h, w, cin]),
        'gradWeight': (gw, [kh, kw, cin // groups, cout]),
        'gradBias': (gb, [cout]) if bias else None,
    }, {'padBottom': bottom, 'padRight': right})


def depthwise_case(name, n, h, w, c, m, kh, kw, sh=1, sw=1, dh=1, dw=1, pad='same', bias=True):
    top, bottom, left, right, hout, wout = geometry(h, w, kh, kw, sh, sw, dh, dw, pad)
    x = randn(n, h, w, c)
    weight = randn(kh, kw, c, m, scale=1.0 / math.sqrt(kh * kw))  # (kh, kw, C, multiplier)
    b = randn(c * m) if bias else None
    g = randn(n, hout, wout, c * m)

    def op(x_, w_, b_):
        # torch groups=C weight (C·M, 1, kh, kw): output channel c·M + m is filter m of channel c.
        w_torch = w_.permute(2, 3, 0, 1).reshape(c * m, 1, kh, kw)
        y = F.conv2d(pad_nchw(nhwc_to_nchw(x_), top, bottom, left, right), w_torch, b_,
                     stride=(sh, sw), dilation=(dh, dw), groups=c)
        return nchw_to_nhwc(y)

    y, (gx, gw, gb) = autograd('depthwiseConv2dBackward', op, [x, weight, b], g)
    assert tuple(y.shape) == (n, hout, wout, c * m), (name, tuple(y.shape))
    desc = dict(batch=n, inHeight=h, inWidth=w, channels=c, multiplier=m, outHeight=hout, outWidth=wout,
                kernelHeight=kh, kernelWidth=kw, strideHeight=sh, strideWidth=sw,
                dilationHeight=dh, dilationWidth=dw, padTop=top, padLeft=left)
    return case_json(name, desc, {
        'input': (x, [n, h, w, c]),
        'weight': (weight, [kh, kw, c, m]),
        'bias': (b, [c * m]) if bias else None,
        'gradOutput': (g, [n, hout, wout, c * m]),
        'gradInput': (gx, [n, h, w, c]),
        'gradWeight': (gw, [kh, kw, c, m]),
        'gradBias': (gb, [c * m]) if bias else None,
    }, {'padBottom': bottom, 'padRight': right})


def pointwise_case(name, n, h, w, cin, cout, bias=True):
    x = randn(n, h, w, cin)
    weight = randn(cin, cout, scale=1.0 / math.sqrt(cin))  # (Cin, Cout)
    b = randn(cout) if bias else None
    g = randn(n, h, w, cout)

    def op(x_, w_, b_):
        return nchw_to_nhwc(F.conv2d(nhwc_to_nchw(x_), w_.t().reshape(cout, cin, 1, 1), b_))

    _, (gx, gw, gb) = autograd('pointwiseConv2dBackward', op, [x, weight, b], g)
    p = n * h * w
    return case_json(name, dict(pixels=p, inChannels=cin, outChannels=cout), {
        'input': (x, [p, cin]),
        'weight': (weight, [cin, cout]),
        'bias': (b, [cout]) if bias else None,
        'gradOutput': (g, [p, cout]),
        'gradInput': (gx, [p, cin]),
        'gradWeight': (gw, [cin, cout]),
        'gradBias': (gb, [cout]) if bias else None,
    }, {'nhwc': [n, h, w, cin]})


def dense_case(name, n, fin, fout, bias=True):
    x = randn(n, fin)
    weight = randn(fin, fout, scale=1.0 / math.sqrt(fin))  # (in, out)
    b = randn(fout) if bias else None
    g = randn(n, fout)
    _, (gx, gw, gb) = autograd('denseBackward', lambda x_, w_, b_: F.linear(x_, w_.t(), b_), [x, weight, b], g)
    return case_json(name, dict(batch=n, inFeatures=fin, outFeatures=fout), {
        'input': (x, [n, fin]),
        'weight': (weight, [fin, fout]),
        'bias': (b, [fout]) if bias else None,
        'gradOutput': (g, [n, fout]),
        'gradInput': (gx, [n, fin]),
        'gradWeight': (gw, [fin, fout]),
        'gradBias': (gb, [fout]) if bias else None,
    })


def batchnorm_case(name, shape_nhwc, eps, momentum=0.1):
    c = shape_nhwc[-1]
    count = math.prod(shape_nhwc[:-1])
    x = randn(*shape_nhwc, scale=1.5) + randn(c, scale=2.0)  # a different mean per channel
    gamma = randn(c)
    beta = randn(c)
    running_mean = randn(c)
    running_var = uniform(c, low=0.5, high=2.0)
    g = randn(*shape_nhwc)
    four_d = len(shape_nhwc) == 4
    to_torch = nhwc_to_nchw if four_d else (lambda t: t)
    from_torch = nchw_to_nhwc if four_d else (lambda t: t)
    reduce_dims = (0, 2, 3) if four_d else (0,)

    results = {}
    for dtype in (torch.float64, torch.float32):
        bn = (torch.nn.BatchNorm2d if four_d else torch.nn.BatchNorm1d)(c, eps=eps, momentum=momentum).to(dtype)
        with torch.no_grad():
            bn.weight.copy_(gamma)
            bn.bias.copy_(beta)
            bn.running_mean.copy_(running_mean)
            bn.running_var.copy_(running_var)
        bn.train()
        xt = x.to(dtype).requires_grad_()
        y = from_torch(bn(to_torch(xt)))
        y.backward(g.to(dtype))
        with torch.no_grad():
            _, save_mean, save_invstd = torch.ops.aten.native_batch_norm(
                to_torch(x.to(dtype)), None, None, None, None, True, 0.0, eps)
            unbiased = to_torch(x.to(dtype)).var(dim=reduce_dims, unbiased=True)
        results[dtype] = dict(output=y.detach(), gradInput=xt.grad, gradGamma=bn.weight.grad, gradBeta=bn.bias.grad,
                              mean=save_mean, invStd=save_invstd, unbiasedVariance=unbiased,
                              runningMean=bn.running_mean.detach().clone(), runningVar=bn.running_var.detach().clone())
    r = results[torch.float64]
    for key in ('gradInput', 'gradGamma', 'gradBeta'):
        diff = (r[key].float() - results[torch.float32][key]).abs().max().item() / max(1.0, r[key].abs().max().item())
        worst_float32['batchNormTraining'] = max(worst_float32.get('batchNormTraining', 0.0), diff)
    # The running variance is the unbiased one (Bessel), the normalization uses the biased one.
    assert torch.allclose(r['runningVar'], (1 - momentum) * running_var.double() + momentum * r['unbiasedVariance'])
    return case_json(name, dict(count=count, channels=c), {
        'input': (x, [count, c]),
        'gamma': (gamma, [c]),
        'beta': (beta, [c]),
        'runningMeanBefore': (running_mean, [c]),
        'runningVarBefore': (running_var, [c]),
        'gradOutput': (g, [count, c]),
        'output': (r['output'], [count, c]),
        'mean': (r['mean'], [c]),
        'invStd': (r['invStd'], [c]),
        'unbiasedVariance': (r['unbiasedVariance'], [c]),
        'runningMean': (r['runningMean'], [c]),
        'runningVar': (r['runningVar'], [c]),
        'gradInput': (r['gradInput'], [count, c]),
        'gradGamma': (r['gradGamma'], [c]),
        'gradBeta': (r['gradBeta'], [c]),
    }, {'epsilon': eps, 'momentum': momentum, 'decay': 1 - momentum, 'nhwc': list(shape_nhwc)})


def activation_case(name, fn, x):
    torch_fn = {'relu': F.relu, 'relu6': F.relu6, 'linear': lambda t: t * 1}[fn]
    g = randn(x.numel())
    _, (gx,) = autograd('activationBackward', torch_fn, [x], g)
    return case_json(name, dict(fn=fn, length=x.numel()), {
        'input': (x, [x.numel()]),
        'gradOutput': (g, [x.numel()]),
        'gradInput': (gx, [x.numel()]),
    })


def pool_case(kernel, name, x):
    n, h, w, c = x.shape
    torch_pool = F.adaptive_avg_pool2d if kernel == 'globalAvgPoolBackward' else F.adaptive_max_pool2d
    g = randn(n, c)
    _, (gx,) = autograd(kernel, lambda x_: torch_pool(nhwc_to_nchw(x_), 1).reshape(n, c), [x], g)
    return case_json(name, dict(batch=n, height=h, width=w, channels=c), {
        'input': (x, [n, h, w, c]),
        'gradOutput': (g, [n, c]),
        'gradInput': (gx, [n, h, w, c]),
    })


def dropout_case(name, length, rate, seed):
    x = uniform(length, low=0.1, high=2.0) * torch.where(uniform(length) < 0.5, -1.0, 1.0)  # never 0
    g = randn(length)
    xt = x.double().requires_grad_()
    torch.manual_seed(seed)
    y = F.dropout(xt, p=rate, training=True)
    y.backward(g.double())
    mask = (y.detach() != 0).double()
    assert torch.equal(y.detach(), xt.detach() * mask / (1 - rate))
    return case_json(name, dict(length=length, rate=rate), {
        'input': (x, [length]),
        'mask': (mask, [length]),
        'output': (y, [length]),
        'gradOutput': (g, [length]),
        'gradInput': (xt.grad, [length]),
    }, {'torchSeed': seed})


def cross_entropy_case(name, logits, labels, smoothing):
    rows, cols = logits.shape
    xt = logits.double().requires_grad_()
    loss = F.cross_entropy(xt, labels, label_smoothing=smoothing)
    loss.backward()
    with torch.no_grad():
        row_loss = F.cross_entropy(xt, labels, label_smoothing=smoothing, reduction='none')
        probabilities = F.softmax(xt, dim=1)
    x32 = logits.clone().requires_grad_()
    F.cross_entropy(x32, labels, label_smoothing=smoothing).backward()
    diff = (xt.grad.float() - x32.grad).abs().max().item()
    worst_float32['softmaxCrossEntropy'] = max(worst_float32.get('softmaxCrossEntropy', 0.0), diff)
    return case_json(name, dict(rows=rows, cols=cols, labelSmoothing=smoothing), {
        'logits': (logits, [rows, cols]),
        'rowLoss': (row_loss, [rows]),
        'probabilities': (probabilities, [rows, cols]),
        'gradLogits': (xt.grad, [rows, cols]),
    }, {'labels': labels.tolist(), 'meanLoss': loss.item()})


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    print('torch', torch.__version__, 'seed', SEED)

    write('conv2dBackward', [
        conv2d_case('3x3 stride 1 same, batch 2', 2, 5, 4, 3, 4, 3, 3),
        conv2d_case('3x3 stride 2 same on even size (pads 0 top/left, 1 bottom/right)', 1, 6, 8, 3, 5, 3, 3, sh=2, sw=2),
        conv2d_case('3x3 stride 2 same on odd size, no bias', 2, 5, 5, 4, 3, 3, 3, sh=2, sw=2, bias=False),
        conv2d_case('dilation 2 same', 1, 6, 6, 3, 4, 3, 3, dh=2, dw=2),
        conv2d_case('groups 2, 2x3 kernel, stride (1, 2)', 2, 5, 6, 4, 6, 2, 3, sw=2, groups=2),
        conv2d_case('groups 3 (depthwise-like), 3x3', 1, 4, 5, 3, 6, 3, 3, groups=3),
        conv2d_case('valid stride 2 that crops the last row and column', 1, 6, 6, 2, 3, 3, 3, sh=2, sw=2, pad=(0, 0, 0, 0)),
        conv2d_case('custom asymmetric padding 2/0 rows, 0/2 columns', 1, 5, 5, 2, 3, 3, 3, pad=(2, 0, 0, 2)),
        conv2d_case('mixed: stride (2, 1), dilation (1, 2), 3x2 kernel', 2, 7, 6, 2, 3, 3, 2, sh=2, dw=2),
        conv2d_case('1x1 stride 2', 1, 5, 6, 3, 4, 1, 1, sh=2, sw=2, pad=(0, 0, 0, 0)),
    ])

    write('depthwiseConv2dBackward', [
        depthwise_case('3x3 multiplier 1 stride 1 same, batch 2', 2, 5, 5, 4, 1, 3, 3),
        depthwise_case('3x3 multiplier 2 stride 2 same on even size', 1, 6, 6, 3, 2, 3, 3, sh=2, sw=2),
        depthwise_case('3x3 multiplier 1 dilation 2 same', 1, 7, 6, 3, 1, 3, 3, dh=2, dw=2),
        depthwise_case('5x5 multiplier 3 stride 2, odd size, no bias', 1, 7, 7, 2, 3, 5, 5, sh=2, sw=2, bias=False),
        depthwise_case('2x3 multiplier 2, asymmetric padding 1/0/0/2, stride (1, 2), batch 2', 2, 4, 7, 2, 2, 2, 3, sw=2,
                       pad=(1, 0, 0, 2)),
    ])

    write('pointwiseConv2dBackward', [
        pointwise_case('batch 2, 3x4 pixels, 5 -> 7', 2, 3, 4, 5, 7),
        pointwise_case('2x2 pixels, 9 -> 4, no bias', 1, 2, 2, 9, 4, bias=False),
    ])

    write('denseBackward', [
        dense_case('batch 3, 11 -> 6', 3, 11, 6),
        dense_case('batch 1, 16 -> 5, no bias', 1, 16, 5, bias=False),
    ])

    write('batchNormTraining', [
        batchnorm_case('NHWC (2, 3, 4, 5), eps 1e-3', (2, 3, 4, 5), 1e-3),
        batchnorm_case('NHWC (1, 5, 5, 3), eps 1e-5', (1, 5, 5, 3), 1e-5),
        batchnorm_case('(4, 6) dense features, eps 1e-5 (Bessel factor 4/3 is visible)', (4, 6), 1e-5),
    ])

    spread = uniform(48, low=-9.0, high=9.0)
    spread[:8] = torch.tensor([0.0, -0.0, 6.0, -6.0, 5.9999995, 6.0000005, 1.4e-45, -1.4e-45], dtype=torch.float32)
    write('activationBackward', [
        activation_case('relu6 on [-9, 9] with 0, -0, 6, the float32 neighbours of 6 and of 0', 'relu6', spread),
        activation_case('relu on the same values', 'relu', spread),
        activation_case('linear', 'linear', randn(13)),
    ])

    max_input = randn(2, 3, 4, 5)
    max_input[0, 1, 2, 0] = max_input[0, :, :, 0].max()  # a tie for the maximum of (0, c=0)
    max_input[0, 2, 3, 0] = max_input[0, 1, 2, 0]  # a third tied pixel, later
    max_input[1, :, :, 3] = 0.5  # a whole channel tied
    write('globalAvgPoolBackward', [pool_case('globalAvgPoolBackward', 'batch 2, 3x4, 5 channels', randn(2, 3, 4, 5))])
    write('globalMaxPoolBackward', [pool_case('globalMaxPoolBackward', 'batch 2, 3x4, 5 channels, with ties', max_input)])

    write('dropout', [
        dropout_case('rate 0.2, 64 values', 64, 0.2, 11),
        dropout_case('rate 0.5, 40 values', 40, 0.5, 12),
    ])

    logits = randn(6, 7, scale=2.0)
    logits[4] = logits[4] * 200.0 + 1000.0  # large logits: exp overflows without the max shift
    logits[5] = -800.0
    logits[5, 2] = -790.0
    labels = torch.tensor([0, 6, 3, 3, 1, 5])
    write('softmaxCrossEntropy', [
        cross_entropy_case('6 rows of 7, no smoothing, large logits', logits, labels, 0.0),
        cross_entropy_case('same, label smoothing 0.1', logits, labels, 0.1),
        cross_entropy_case('10 classes, batch 4, label smoothing 0.25', randn(4, 10, scale=3.0),
                           torch.tensor([9, 0, 4, 4]), 0.25),
    ])

    total = sum(os.path.getsize(os.path.join(OUT_DIR, f)) for f in os.listdir(OUT_DIR))
    print('total %d bytes in %s' % (total, os.path.normpath(OUT_DIR)))


if __name__ == '__main__':
    sys.exit(main())
