#!/usr/bin/env python3
"""Reference outputs from PyTorch for the parity tests (test/parity/), written to test/fixtures/parity/.

Run with Debian's python3 (python3-torch, python3-torchvision, python3-h5py, python3-onnx):
    /usr/bin/python3 tools/gen_parity_fixtures.py

Every model has random weights, random BN γ and β, BN statistics measured on random inputs and then
perturbed (far from identity, so that BN folding mistakes show, yet matched to the activations, so
that no layer saturates and the outputs depend on the input), 10 classes, and is run in eval mode on
a fixed random batch of 2 images.

- tv_v2_035:  torchvision.models.mobilenet_v2(width_mult=0.35, num_classes=10), 64×64.
              .pth (torch.save state_dict), .onnx (torch.onnx.export, opset 13), input (NCHW),
              logits, pooled embedding, and the feature taps (outputs of features[1, 3, 6, 13, 17]).
- tv_v1_025:  MobileNetV1 α=0.25 in the torchvision style mobilenet-ts documents (docs/formats.md),
              written here from the paper's Table 1 (ReLU6, symmetric padding, BN eps 1e-5), 64×64.
- keras_v2_035: the same network as tv_v2_035 run with TensorFlow's conventions (asymmetric 'SAME'
              padding (0 top, 1 bottom at stride 2), BN eps 1e-3), its weights written with h5py in
              keras-applications' weights-only layout (Conv1, bn_Conv1, expanded_conv_*, block_N_*,
              Conv_1, Conv_1_bn, predictions), 64×64.
- keras_v1_025: MobileNetV1 α=0.25 with Keras' conventions (ZeroPadding2D((0,1),(0,1)) before every
              stride-2 depthwise conv, 'SAME' for the stem conv as keras/src/applications/mobilenet.py
              builds it, BN eps 1e-3, conv_preds as a 1×1 conv), at 65×65 so that Keras' fixed
              padding differs from 'SAME'; weights in keras-applications' layout (conv1, conv_dw_N, …).
"""
import json
import os

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'parity')
SEED = 20261129


def randomize_bn(model, gen):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            m.weight.data = 0.5 + torch.rand(c, generator=gen)
            m.bias.data = 0.2 * torch.randn(c, generator=gen)
            m.running_mean.data = 0.2 * torch.randn(c, generator=gen)
            m.running_var.data = 0.5 + 1.5 * torch.rand(c, generator=gen)


def calibrate_bn(model, run, size, gen):
    """BN statistics measured on random inputs, then perturbed (mean ± 0.1 σ, variance × 0.8–1.2).

    Random statistics that do not match the activations make them grow layer after layer until every
    ReLU6 saturates: the logits then no longer depend on the input, and a parity test on them checks
    little. Calibrated statistics keep the whole network input-dependent; γ and β stay random.
    """
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # a cumulative average over the calibration batches
    model.train()
    with torch.no_grad():
        for _ in range(4):
            run(torch.randn(8, 3, size, size, generator=gen))
    model.eval()
    for m in bns:
        c = m.num_features
        m.running_mean += 0.1 * m.running_var.sqrt() * torch.randn(c, generator=gen)
        m.running_var *= 0.8 + 0.4 * torch.rand(c, generator=gen)
        m.momentum = 0.1


def save_npy(name, array):
    np.save(os.path.join(OUT, name), np.ascontiguousarray(array, dtype=np.float32))


# ---------------------------------------------------------------- MobileNetV1, torchvision style
V1_BODY = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]


def cna(cin, cout, k, s, groups=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout), nn.ReLU6(inplace=False))


class MobileNetV1(nn.Module):
    def __init__(self, alpha, num_classes, min_depth=8):
        super().__init__()
        depth = lambda c: max(int(c * alpha), min_depth)
        layers = [cna(3, depth(32), 3, 2)]
        cin = depth(32)
        for c, s in V1_BODY:
            cout = depth(c)
            layers.append(nn.Sequential(cna(cin, cin, 3, s, groups=cin), cna(cin, cout, 1, 1)))
            cin = cout
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(0.001), nn.Linear(cin, num_classes))

    def forward(self, x):
        x = self.features(x)
        return self.classifier(x.mean((2, 3)))


# ---------------------------------------------------------------- TensorFlow-convention forward passes
def conv_tf(conv, x, keras_v1=False):
    """Conv2d with TF 'SAME' padding (or Keras V1's fixed (0, 1) before stride-2 convs)."""
    k, s = conv.kernel_size[0], conv.stride[0]
    if k == 1:
        pads = (0, 0, 0, 0)
    elif s == 2 and keras_v1:
        pads = (0, 1, 0, 1)
    else:
        h, w = x.shape[2], x.shape[3]
        def same(n):
            out = -(-n // s)
            total = max((out - 1) * s + k - n, 0)
            return total // 2, total - total // 2
        (t, b), (l, r) = same(h), same(w)
        pads = (l, r, t, b)
    return F.conv2d(F.pad(x, pads), conv.weight, conv.bias, s, 0, conv.dilation, conv.groups)


def bn_tf(bn, x):
    return F.batch_norm(x, bn.running_mean, bn.running_var, bn.weight, bn.bias, False, 0.0, 1e-3)


def cna_tf(seq, x, keras_v1=False, act=True):
    x = bn_tf(seq[1], conv_tf(seq[0], x, keras_v1))
    return F.relu6(x) if act else x


def v2_forward_tf(model, x):
    feats = model.features
    x = cna_tf(feats[0], x)
    for block in feats[1:-1]:
        layers = list(block.conv)
        y = x
        for cn in layers[:-2]:
            y = cna_tf(cn, y)
        y = bn_tf(layers[-1], conv_tf(layers[-2], y))
        x = x + y if block.use_res_connect else y
    x = cna_tf(feats[-1], x)
    return model.classifier[1](x.mean((2, 3)))


def v1_forward_keras(model, x):
    feats = model.features
    x = cna_tf(feats[0], x)  # the stem: Conv2D(padding='same')
    for block in feats[1:]:
        x = cna_tf(block[1], cna_tf(block[0], x, keras_v1=True), keras_v1=True)
    return model.classifier[1](x.mean((2, 3)))


# ---------------------------------------------------------------- Keras h5 in keras-applications' layout
def write_keras_h5(path, layers):
    """layers: list of (layer_name, [(weight_name, array)]) in model order (weights-only layout)."""
    with h5py.File(path, 'w') as f:
        f.attrs['layer_names'] = np.array([n.encode() for n, _ in layers])
        f.attrs['backend'] = b'tensorflow'
        f.attrs['keras_version'] = b'2.2.4'
        for name, weights in layers:
            g = f.create_group(name)
            g.attrs['weight_names'] = np.array([f'{name}/{w}:0'.encode() for w, _ in weights])
            sub = g.create_group(name)
            for w, a in weights:
                sub.create_dataset(f'{w}:0', data=np.asarray(a, dtype=np.float32))


def k_conv(conv):  # torch (Cout, Cin, kh, kw) → Keras (kh, kw, Cin, Cout)
    return conv.weight.detach().numpy().transpose(2, 3, 1, 0)


def k_dw(conv):  # torch (C, 1, kh, kw) → Keras DepthwiseConv2D (kh, kw, C, 1)
    return conv.weight.detach().numpy().transpose(2, 3, 0, 1)


def k_bn(bn):
    return [('gamma', bn.weight.detach().numpy()), ('beta', bn.bias.detach().numpy()),
            ('moving_mean', bn.running_mean.numpy()), ('moving_variance', bn.running_var.numpy())]


def keras_v2_layers(model):
    f = model.features
    layers = [('input_1', []), ('Conv1', [('kernel', k_conv(f[0][0]))]), ('bn_Conv1', k_bn(f[0][1])), ('Conv1_relu', [])]
    for i, block in enumerate(f[1:-1]):
        prefix = 'expanded_conv_' if i == 0 else f'block_{i}_'
        conv = list(block.conv)
        if len(conv) == 4:
            layers += [(prefix + 'expand', [('kernel', k_conv(conv[0][0]))]), (prefix + 'expand_BN', k_bn(conv[0][1]))]
            dw = conv[1]
        else:
            dw = conv[0]
        layers += [(prefix + 'depthwise', [('depthwise_kernel', k_dw(dw[0]))]), (prefix + 'depthwise_BN', k_bn(dw[1])),
                   (prefix + 'project', [('kernel', k_conv(conv[-2]))]), (prefix + 'project_BN', k_bn(conv[-1]))]
        if block.use_res_connect:
            layers.append((prefix + 'add', []))
    lin = model.classifier[1]
    layers += [('Conv_1', [('kernel', k_conv(f[-1][0]))]), ('Conv_1_bn', k_bn(f[-1][1])), ('out_relu', []),
               ('global_average_pooling2d_1', []),
               ('predictions', [('kernel', lin.weight.detach().numpy().T), ('bias', lin.bias.detach().numpy())])]
    return layers


def keras_v1_layers(model):
    f = model.features
    layers = [('input_1', []), ('conv1', [('kernel', k_conv(f[0][0]))]), ('conv1_bn', k_bn(f[0][1])), ('conv1_relu', [])]
    for j, block in enumerate(f[1:], start=1):
        layers += [(f'conv_dw_{j}', [('depthwise_kernel', k_dw(block[0][0]))]), (f'conv_dw_{j}_bn', k_bn(block[0][1])),
                   (f'conv_pw_{j}', [('kernel', k_conv(block[1][0]))]), (f'conv_pw_{j}_bn', k_bn(block[1][1]))]
    lin = model.classifier[1]
    kernel = lin.weight.detach().numpy().T.reshape(1, 1, lin.in_features, lin.out_features)
    layers += [('global_average_pooling2d_1', []), ('reshape_1', []), ('dropout', []),
               ('conv_preds', [('kernel', kernel), ('bias', lin.bias.detach().numpy())]), ('act_softmax', []), ('reshape_2', [])]
    return layers


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(SEED)
    gen = torch.Generator().manual_seed(SEED)
    meta = {'generator': 'tools/gen_parity_fixtures.py', 'torch': torch.__version__, 'torchvision': torchvision.__version__, 'seed': SEED, 'models': {}}

    # torchvision MobileNetV2 α = 0.35
    v2 = torchvision.models.mobilenet_v2(width_mult=0.35, num_classes=10)
    randomize_bn(v2, gen)
    calibrate_bn(v2, v2, 64, gen)
    x = torch.randn(2, 3, 64, 64, generator=gen)
    with torch.no_grad():
        taps, h = {}, x
        for i, layer in enumerate(v2.features):
            h = layer(h)
            if i in (1, 3, 6, 13, 17):
                taps[i] = h
        logits = v2(x)
        embedding = h.mean((2, 3))
    torch.save(v2.state_dict(), os.path.join(OUT, 'tv_v2_035.pth'))
    save_npy('tv_v2_035_input_nchw.npy', x.numpy())
    save_npy('tv_v2_035_logits.npy', logits.numpy())
    save_npy('tv_v2_035_embedding.npy', embedding.numpy())
    for i, (reduction) in zip((1, 3, 6, 13, 17), (2, 4, 8, 16, 32)):
        save_npy(f'tv_v2_035_tap{reduction}_nchw.npy', taps[i].numpy())
    torch.onnx.export(v2, x, os.path.join(OUT, 'tv_v2_035.onnx'), opset_version=13, input_names=['input'], output_names=['logits'],
                      dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}})
    meta['models']['tv_v2_035'] = {'arch': 'mobilenet_v2', 'alpha': 0.35, 'resolution': 64, 'classes': 10, 'convention': 'torchvision'}

    # The same network under TensorFlow's conventions, as a Keras .h5
    with torch.no_grad():
        keras_logits = v2_forward_tf(v2, x)
    write_keras_h5(os.path.join(OUT, 'keras_v2_035.h5'), keras_v2_layers(v2))
    save_npy('keras_v2_035_input_nhwc.npy', x.numpy().transpose(0, 2, 3, 1))
    save_npy('keras_v2_035_logits.npy', keras_logits.numpy())
    meta['models']['keras_v2_035'] = {'arch': 'mobilenet_v2', 'alpha': 0.35, 'resolution': 64, 'classes': 10, 'convention': 'keras'}

    # MobileNetV1 α = 0.25, torchvision style
    v1 = MobileNetV1(0.25, 10)
    randomize_bn(v1, gen)
    calibrate_bn(v1, v1, 64, gen)
    x1 = torch.randn(2, 3, 64, 64, generator=gen)
    with torch.no_grad():
        v1_logits = v1(x1)
    torch.save(v1.state_dict(), os.path.join(OUT, 'tv_v1_025.pth'))
    save_npy('tv_v1_025_input_nchw.npy', x1.numpy())
    save_npy('tv_v1_025_logits.npy', v1_logits.numpy())
    meta['models']['tv_v1_025'] = {'arch': 'mobilenet_v1', 'alpha': 0.25, 'resolution': 64, 'classes': 10, 'convention': 'torchvision'}

    # MobileNetV1 α = 0.25 with Keras' conventions at 65×65
    x2 = torch.randn(2, 3, 65, 65, generator=gen)
    with torch.no_grad():
        kv1_logits = v1_forward_keras(v1, x2)
    write_keras_h5(os.path.join(OUT, 'keras_v1_025.h5'), keras_v1_layers(v1))
    save_npy('keras_v1_025_input_nhwc.npy', x2.numpy().transpose(0, 2, 3, 1))
    save_npy('keras_v1_025_logits.npy', kv1_logits.numpy())
    meta['models']['keras_v1_025'] = {'arch': 'mobilenet_v1', 'alpha': 0.25, 'resolution': 65, 'classes': 10, 'convention': 'keras'}

    with open(os.path.join(OUT, 'meta.json'), 'w') as fh:
        json.dump(meta, fh, indent=1)
    print('wrote', sorted(os.listdir(OUT)))


if __name__ == '__main__':
    main()
