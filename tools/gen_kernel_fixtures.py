#!/usr/bin/env python3
"""Write the reference-kernel fixtures in test/fixtures/kernels/ from PyTorch.

Run from anywhere with Debian's Python (it has torch):

    /usr/bin/python3 tools/gen_kernel_fixtures.py

Every case draws float32 data from a seeded torch generator, converts it to PyTorch's own layouts
(NCHW activations, OIHW weights), runs the PyTorch op, and converts the result back to our layouts
(NHWC, HWIO weights, (kh, kw, C, multiplier) depthwise weights, (in, out) dense weights). The torch
op runs in float64 on the float32 inputs and the result is rounded to float32 once, so the expected
values are the correctly rounded answers rather than one float32 summation order; the script also
prints how far PyTorch's own float32 result is from them.

Asymmetric padding (TensorFlow 'SAME' with stride 2) is applied with F.pad before an unpadded torch
op; the bottom/right amount is whatever the chosen output size implies, and a negative amount crops
rows/columns the windows never reach ('VALID' with a stride that does not divide the size).

JSON numbers are written with the shortest decimal that rounds back to the same float32 (checked
for every value), so Float32Array.from(json) reproduces the exact bits.
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

SEED = 1234
OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'kernels')

gen = torch.Generator().manual_seed(SEED)
worst_float32 = {}  # kernel -> max |torch float32 result - float64 result rounded|


def randn(*shape, scale=1.0):
    return (torch.randn(*shape, generator=gen, dtype=torch.float32) * scale).to(torch.float32)


def uniform(*shape, low=0.0, high=1.0):
    return (torch.rand(*shape, generator=gen, dtype=torch.float32) * (high - low) + low).to(torch.float32)


def run_both(kernel, fn, *tensors):
    """fn on float64 copies (the fixture) and on float32 (for the printed comparison)."""
    exact = fn(*[t.double() if isinstance(t, torch.Tensor) else t for t in tensors]).float()
    fast = fn(*[t.float() if isinstance(t, torch.Tensor) else t for t in tensors]).float()
    diff = (exact - fast).abs().max().item() if exact.numel() else 0.0
    worst_float32[kernel] = max(worst_float32.get(kernel, 0.0), diff)
    return exact


def nchw_to_nhwc(t):
    return t.permute(0, 2, 3, 1).contiguous()


def nhwc_to_nchw(t):
    return t.permute(0, 3, 1, 2).contiguous()


def pad_amounts(size, kernel, stride, dilation, pad_before, out):
    """Bottom/right padding implied by the output size (negative: rows to crop)."""
    extent = (kernel - 1) * dilation + 1
    return (out - 1) * stride + extent - size - pad_before


def pad_nchw(x, top, bottom, left, right):
    # F.pad with negative amounts crops; spell both out so the intent is visible.
    x = F.pad(x, (max(left, 0), max(right, 0), max(top, 0), max(bottom, 0)))
    h, w = x.shape[2], x.shape[3]
    return x[:, :, max(-top, 0):h - max(-bottom, 0), max(-left, 0):w - max(-right, 0)]


def same(size, kernel, stride, dilation):
    out = -(-size // stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, out


def tensor_json(t, shape):
    t = t.detach().to(torch.float32).contiguous()
    assert list(t.shape) == list(shape) or t.numel() == math.prod(shape), (t.shape, shape)
    values = t.reshape(-1).numpy()
    tokens = []
    for v in values:
        v = np.float32(v)
        assert np.isfinite(v), v
        s = str(v)  # numpy's shortest repr that round-trips as float32
        if s.endswith('.0'):
            s = s[:-2]
        if np.float32(float(s)) != v or (v == 0 and math.copysign(1.0, float(v)) < 0):
            s = repr(float(v))  # exact double repr of the float32 value; also keeps -0.0
        tokens.append(s)
    return '{"shape": [%s], "data": [%s]}' % (', '.join(str(d) for d in shape), ', '.join(tokens))


def case_json(name, desc, tensors, extra=None):
    parts = ['"name": %s' % json_str(name), '"desc": %s' % json_obj(desc)]
    for key, value in (extra or {}).items():
        parts.append('"%s": %s' % (key, json_scalar(value)))
    tensor_parts = []
    for key, value in tensors.items():
        if value is None:
            tensor_parts.append('  "%s": null' % key)
        else:
            t, shape = value
            tensor_parts.append('  "%s": %s' % (key, tensor_json(t, shape)))
    parts.append('"tensors": {\n' + ',\n'.join(tensor_parts) + '\n}')
    return '{' + ', '.join(parts) + '}'


def json_str(s):
    return json.dumps(s)


def json_scalar(v):
    if isinstance(v, float):
        return repr(v)
    return json.dumps(v)


def json_obj(d):
    return '{' + ', '.join('%s: %s' % (json_str(k), json_scalar(v)) for k, v in d.items()) + '}'


def write(kernel, cases):
    header = '"kernel": %s, "generator": "tools/gen_kernel_fixtures.py", "torch": %s, "seed": %d' % (
        json_str(kernel), json_str(torch.__version__), SEED)
    text = '{' + header + ',\n"cases": [\n' + ',\n'.join(cases) + '\n]}\n'
    path = os.path.join(OUT_DIR, kernel + '.json')
    with open(path, 'w') as f:
        f.write(text)
    print('%-20s %2d cases %7d bytes  torch float32 vs float64: %.3g' % (
        kernel, len(cases), len(text), worst_float32.get(kernel, 0.0)))


# ---------------------------------------------------------------------------------------------------
def conv2d_case(name, n, h, w, cin, cout, kh, kw, sh=1, sw=1, dh=1, dw=1, groups=1,
                pad=None, out=None, bias=True):
    """pad: (top, left) or 'same'; out: (Hout, Wout), default from symmetric/same padding."""
    if pad == 'same':
        top, hout = same(h, kh, sh, dh)
        left, wout = same(w, kw, sw, dw)
    else:
        top, left = pad
        hout, wout = out
    bottom = pad_amounts(h, kh, sh, dh, top, hout)
    right = pad_amounts(w, kw, sw, dw, left, wout)
    x = randn(n, h, w, cin)  # (N, H, W, Cin)
    weight = randn(kh, kw, cin // groups, cout, scale=1.0 / math.sqrt(kh * kw * cin // groups))  # HWIO
    b = randn(cout) if bias else None
    w_oihw = weight.permute(3, 2, 0, 1).contiguous()

    def op(x_, w_, b_):
        y = F.conv2d(pad_nchw(nhwc_to_nchw(x_), top, bottom, left, right), w_, b_,
                     stride=(sh, sw), dilation=(dh, dw), groups=groups)
        return nchw_to_nhwc(y)

    y = run_both('conv2d', op, x, w_oihw, b)
    assert tuple(y.shape) == (n, hout, wout, cout), (name, y.shape)
    desc = dict(batch=n, inHeight=h, inWidth=w, inChannels=cin, outHeight=hout, outWidth=wout,
                outChannels=cout, kernelHeight=kh, kernelWidth=kw, strideHeight=sh, strideWidth=sw,
                dilationHeight=dh, dilationWidth=dw, padTop=top, padLeft=left, groups=groups)
    return case_json(name, desc, {
        'input': (x, [n, h, w, cin]),
        'weight': (weight, [kh, kw, cin // groups, cout]),
        'bias': (b, [cout]) if bias else None,
        'output': (y, [n, hout, wout, cout]),
    }, {'padding': 'same' if pad == 'same' else 'explicit', 'padBottom': bottom, 'padRight': right})


def depthwise_case(name, n, h, w, c, m, kh, kw, sh=1, sw=1, dh=1, dw=1, pad='same', out=None, bias=True):
    if pad == 'same':
        top, hout = same(h, kh, sh, dh)
        left, wout = same(w, kw, sw, dw)
    else:
        top, left = pad
        hout, wout = out
    bottom = pad_amounts(h, kh, sh, dh, top, hout)
    right = pad_amounts(w, kw, sw, dw, left, wout)
    x = randn(n, h, w, c)  # (N, H, W, C)
    weight = randn(kh, kw, c, m, scale=1.0 / math.sqrt(kh * kw))  # (kh, kw, C, multiplier)
    b = randn(c * m) if bias else None
    # torch groups=C weight (C·M, 1, kh, kw): output channel c·M + m is filter m of channel c.
    w_torch = weight.permute(2, 3, 0, 1).reshape(c * m, 1, kh, kw).contiguous()

    def op(x_, w_, b_):
        y = F.conv2d(pad_nchw(nhwc_to_nchw(x_), top, bottom, left, right), w_, b_,
                     stride=(sh, sw), dilation=(dh, dw), groups=c)
        return nchw_to_nhwc(y)

    y = run_both('depthwiseConv2d', op, x, w_torch, b)
    assert tuple(y.shape) == (n, hout, wout, c * m), (name, y.shape)
    desc = dict(batch=n, inHeight=h, inWidth=w, channels=c, multiplier=m, outHeight=hout, outWidth=wout,
                kernelHeight=kh, kernelWidth=kw, strideHeight=sh, strideWidth=sw,
                dilationHeight=dh, dilationWidth=dw, padTop=top, padLeft=left)
    return case_json(name, desc, {
        'input': (x, [n, h, w, c]),
        'weight': (weight, [kh, kw, c, m]),
        'bias': (b, [c * m]) if bias else None,
        'output': (y, [n, hout, wout, c * m]),
    }, {'padding': 'same' if pad == 'same' else 'explicit', 'padBottom': bottom, 'padRight': right})


def pointwise_case(name, n, h, w, cin, cout, bias=True):
    x = randn(n, h, w, cin)
    weight = randn(cin, cout, scale=1.0 / math.sqrt(cin))  # (Cin, Cout)
    b = randn(cout) if bias else None
    w_oihw = weight.t().reshape(cout, cin, 1, 1).contiguous()
    y = run_both('pointwiseConv2d', lambda x_, w_, b_: nchw_to_nhwc(F.conv2d(nhwc_to_nchw(x_), w_, b_)), x, w_oihw, b)
    p = n * h * w
    return case_json(name, dict(pixels=p, inChannels=cin, outChannels=cout), {
        'input': (x, [p, cin]),
        'weight': (weight, [cin, cout]),
        'bias': (b, [cout]) if bias else None,
        'output': (y, [p, cout]),
    }, {'nhwc': [n, h, w, cin]})


def dense_case(name, n, fin, fout, bias=True):
    x = randn(n, fin)
    weight = randn(fin, fout, scale=1.0 / math.sqrt(fin))  # (in, out)
    b = randn(fout) if bias else None
    y = run_both('dense', lambda x_, w_, b_: F.linear(x_, w_, b_), x, weight.t().contiguous(), b)
    return case_json(name, dict(batch=n, inFeatures=fin, outFeatures=fout), {
        'input': (x, [n, fin]),
        'weight': (weight, [fin, fout]),
        'bias': (b, [fout]) if bias else None,
        'output': (y, [n, fout]),
    })


def batchnorm_case(name, shape_nhwc, eps):
    c = shape_nhwc[-1]
    x = randn(*shape_nhwc, scale=2.0)
    mean = randn(c)
    var = uniform(c, low=0.05, high=3.0)
    gamma = randn(c)
    beta = randn(c)
    count = math.prod(shape_nhwc[:-1])

    def op(x_, mean_, var_, gamma_, beta_):
        if len(shape_nhwc) == 4:
            return nchw_to_nhwc(F.batch_norm(nhwc_to_nchw(x_), mean_, var_, gamma_, beta_, training=False, eps=eps))
        return F.batch_norm(x_, mean_, var_, gamma_, beta_, training=False, eps=eps)

    y = run_both('batchNormInference', op, x, mean, var, gamma, beta)
    return case_json(name, dict(count=count, channels=c), {
        'input': (x, [count, c]),
        'mean': (mean, [c]),
        'variance': (var, [c]),
        'gamma': (gamma, [c]),
        'beta': (beta, [c]),
        'output': (y, [count, c]),
    }, {'epsilon': eps, 'nhwc': list(shape_nhwc)})


def activation_case(name, fn, x):
    torch_fn = {'relu': F.relu, 'relu6': F.relu6, 'linear': lambda t: t.clone()}[fn]
    y = run_both('activation', torch_fn, x)
    return case_json(name, dict(fn=fn, length=x.numel()), {
        'input': (x, [x.numel()]),
        'output': (y, [x.numel()]),
    })


def add_case(name, shape):
    a = randn(*shape)
    b = randn(*shape)
    y = run_both('add', torch.add, a, b)
    length = a.numel()
    return case_json(name, dict(length=length), {
        'a': (a, [length]), 'b': (b, [length]), 'output': (y, [length]),
    })


def pool_case(kernel, name, n, h, w, c):
    x = randn(n, h, w, c)
    if kernel == 'globalAvgPool':
        op = lambda x_: F.adaptive_avg_pool2d(nhwc_to_nchw(x_), 1).reshape(n, c)
    else:
        op = lambda x_: F.adaptive_max_pool2d(nhwc_to_nchw(x_), 1).reshape(n, c)
    y = run_both(kernel, op, x)
    return case_json(name, dict(batch=n, height=h, width=w, channels=c), {
        'input': (x, [n, h, w, c]),
        'output': (y, [n, c]),
    })


def softmax_case(name, x):
    rows, cols = x.shape
    y = run_both('softmax', lambda x_: F.softmax(x_, dim=1), x)
    return case_json(name, dict(rows=rows, cols=cols), {
        'input': (x, [rows, cols]),
        'output': (y, [rows, cols]),
    })


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    print('torch', torch.__version__, 'seed', SEED)

    write('conv2d', [
        conv2d_case('3x3 stride 1 same, odd size', 1, 5, 7, 3, 5, 3, 3, pad='same'),
        conv2d_case('3x3 stride 2 same, even size (pads 0 top/left, 1 bottom/right), batch 2', 2, 8, 6, 3, 7, 3, 3,
                    sh=2, sw=2, pad='same'),
        conv2d_case('3x3 stride 2 same, odd size (pads 1/1)', 1, 7, 9, 5, 6, 3, 3, sh=2, sw=2, pad='same'),
        conv2d_case('stem-like 3x3 stride 2, 3 -> 8, no bias', 1, 10, 10, 3, 8, 3, 3, sh=2, sw=2, pad='same', bias=False),
        conv2d_case('dilation 2 same', 1, 7, 7, 5, 6, 3, 3, dh=2, dw=2, pad='same'),
        conv2d_case('groups 2', 2, 6, 5, 6, 10, 3, 3, groups=2, pad='same'),
        conv2d_case('groups 3, stride 2, 2x3 kernel', 1, 7, 8, 9, 6, 2, 3, sh=2, sw=2, groups=3, pad='same'),
        conv2d_case('valid stride 2 on even size (crops last row/column)', 1, 6, 6, 4, 3, 3, 3, sh=2, sw=2,
                    pad=(0, 0), out=(2, 2)),
        conv2d_case('custom asymmetric padding: 2 top, 0 bottom, 0 left, 2 right', 1, 5, 5, 2, 3, 3, 3,
                    pad=(2, 0), out=(5, 5)),
        conv2d_case('mixed: stride (1, 2), dilation (2, 1), 5x3 kernel', 2, 9, 7, 3, 5, 5, 3, sh=1, sw=2, dh=2, dw=1,
                    pad='same'),
        conv2d_case('1x1 stride 2, 5 -> 11', 1, 5, 6, 5, 11, 1, 1, sh=2, sw=2, pad=(0, 0), out=(3, 3)),
    ])

    write('depthwiseConv2d', [
        depthwise_case('3x3 multiplier 1 stride 1 same, batch 2', 2, 6, 5, 5, 1, 3, 3),
        depthwise_case('3x3 multiplier 2 stride 2 same, even size', 1, 8, 8, 3, 2, 3, 3, sh=2, sw=2),
        depthwise_case('3x3 multiplier 1 dilation 2', 1, 9, 9, 7, 1, 3, 3, dh=2, dw=2),
        depthwise_case('5x5 multiplier 3 stride 2, odd size, no bias', 1, 7, 7, 2, 3, 5, 5, sh=2, sw=2, bias=False),
        depthwise_case('3x3 multiplier 1 stride 2, 9x7, 6 channels, batch 2', 2, 9, 7, 6, 1, 3, 3, sh=2, sw=2),
        depthwise_case('3x3 multiplier 2 dilation 2 stride 2, valid', 1, 9, 8, 3, 2, 3, 3, sh=2, sw=2, dh=2, dw=2,
                       pad=(0, 0), out=(3, 2)),
    ])

    write('pointwiseConv2d', [
        pointwise_case('batch 2, 4x5 pixels, 7 -> 9', 2, 4, 5, 7, 9),
        pointwise_case('3x3 pixels, 13 -> 6, no bias', 1, 3, 3, 13, 6, bias=False),
        pointwise_case('1 -> 1 channel', 1, 2, 3, 1, 1),
    ])

    write('dense', [
        dense_case('batch 3, 13 -> 10', 3, 13, 10),
        dense_case('batch 1, 32 -> 5, no bias', 1, 32, 5, bias=False),
        dense_case('batch 4, 1 -> 3', 4, 1, 3),
    ])

    write('batchNormInference', [
        batchnorm_case('NHWC (2, 3, 4, 5), eps 1e-3', (2, 3, 4, 5), 1e-3),
        batchnorm_case('(6, 7), eps 1e-5', (6, 7), 1e-5),
    ])

    spread = uniform(61, low=-10.0, high=10.0)
    spread[:5] = torch.tensor([0.0, 6.0, -6.0, 5.9999995, 6.0000005], dtype=torch.float32)
    write('activation', [
        activation_case('relu6 on [-10, 10] with 0 and 6', 'relu6', spread),
        activation_case('relu on [-10, 10]', 'relu', spread),
        activation_case('linear', 'linear', randn(17)),
    ])

    write('add', [add_case('(2, 3, 3, 5)', (2, 3, 3, 5))])

    write('globalAvgPool', [
        pool_case('globalAvgPool', 'batch 2, 5x3, 7 channels', 2, 5, 3, 7),
        pool_case('globalAvgPool', 'batch 1, 7x7, 10 channels', 1, 7, 7, 10),
    ])
    write('globalMaxPool', [
        pool_case('globalMaxPool', 'batch 2, 5x3, 7 channels', 2, 5, 3, 7),
        pool_case('globalMaxPool', 'batch 1, 7x7, 10 channels', 1, 7, 7, 10),
    ])

    logits = randn(5, 11, scale=3.0)
    logits[1] = logits[1] * 300.0 + 1000.0  # large positive logits: exp would overflow without the max shift
    logits[2] = logits[2] * 30.0 - 1000.0  # all large negative: exp underflows to 0/0 without the max shift
    logits[3] = 42.0  # a flat row
    logits[4, 7] = 95.0  # one dominant logit (exp(95) overflows float32)
    write('softmax', [
        softmax_case('5 rows of 11, large logits', logits),
        softmax_case('1001 classes (TF-style head)', randn(1, 1001, scale=4.0)),
    ])

    total = sum(os.path.getsize(os.path.join(OUT_DIR, f)) for f in os.listdir(OUT_DIR))
    print('total %d bytes in %s' % (total, os.path.normpath(OUT_DIR)))


if __name__ == '__main__':
    sys.exit(main())
