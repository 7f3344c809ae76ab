#!/usr/bin/env python3
"""Training throughput of PyTorch on the CPU for the Fashion-MNIST recipes' models, to compare with
mobilenet-ts (`npm run bench:train -- <threads> 64 <arch> <alpha>`; docs/results/README.md). 10 classes,
the small-input variant (stem stride 1, first stride-2 stage at stride 1), 28×28×3 input, batch 64,
SGD Nesterov, label smoothing 0.1.

    /usr/bin/python3 tools/bench_torch_training.py [threads] [v1|v2] [alpha]

v2 (default α 0.35): torchvision's MobileNetV2. v1 (default α 0.25): MobileNetV1 written out here
(torchvision has none): 3×3 conv + BN + ReLU6, then 13 depthwise separable blocks, channels
max(int(c·α), 8) as in TF-slim, average pool, a linear classifier.
"""
import sys
import time

import torch
import torchvision
from torch import nn

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
arch = sys.argv[2] if len(sys.argv) > 2 else 'v2'
torch.set_num_threads(threads)


def v1(alpha):
    def ch(c):
        return max(int(c * alpha), 8)

    def conv_bn(cin, cout, stride, groups=1, k=3):
        return [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout), nn.ReLU6(inplace=True)]

    # (output channels, stride) of the 13 separable blocks (MobileNetV1 Table 1); small input: the
    # first stride-2 block runs at stride 1.
    rows = [(64, 1), (128, 1), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]
    layers = conv_bn(3, ch(32), 1)
    cin = ch(32)
    for c, s in rows:
        layers += conv_bn(cin, cin, s, groups=cin) + conv_bn(cin, ch(c), 1, k=1)
        cin = ch(c)
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, 10))


if arch == 'v1':
    alpha = float(sys.argv[3]) if len(sys.argv) > 3 else 0.25
    model = v1(alpha)
else:
    alpha = float(sys.argv[3]) if len(sys.argv) > 3 else 0.35
    setting = [[1, 16, 1, 1], [6, 24, 2, 1], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]]
    model = torchvision.models.mobilenet_v2(width_mult=alpha, num_classes=10, inverted_residual_setting=setting)
    model.features[0][0].stride = (1, 1)
model.train()
params = sum(p.numel() for p in model.parameters())
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=4e-5)
loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=0.1)
x = torch.randn(64, 3, 28, 28)
y = torch.randint(0, 10, (64,))
for _ in range(3):
    opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
steps = 20
t0 = time.perf_counter()
for _ in range(steps):
    opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
dt = time.perf_counter() - t0
print(f'torch {torch.__version__}, {arch} α={alpha} ({params} parameters), {threads} thread(s): {64 * steps / dt:.1f} images/s ({dt / steps * 1000:.1f} ms per step of 64)')
