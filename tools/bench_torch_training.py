#!/usr/bin/env python3
"""Training throughput of PyTorch on the CPU for the Fashion-MNIST recipe's model, to compare with
mobilenet-ts (docs/results/README.md). MobileNetV2 α=0.35, 10 classes, the small-input variant
(stem stride 1, first stride-2 stage at stride 1), 28×28×3 input, batch 64, SGD Nesterov.

    /usr/bin/python3 tools/bench_torch_training.py [threads]
"""
import sys
import time

import torch
import torchvision

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
torch.set_num_threads(threads)
setting = [[1, 16, 1, 1], [6, 24, 2, 1], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]]
model = torchvision.models.mobilenet_v2(width_mult=0.35, num_classes=10, inverted_residual_setting=setting)
model.features[0][0].stride = (1, 1)
model.train()
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
print(f'torch {torch.__version__}, {threads} thread(s): {64 * steps / dt:.1f} images/s ({dt / steps * 1000:.1f} ms per step of 64)')
