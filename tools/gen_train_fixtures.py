#!/usr/bin/env python3
"""Three training steps of a small torchvision MobileNetV2 in PyTorch, as a reference for the
trainer (test/unit/train/torch-steps.test.ts).

Run with Debian's python3 (python3-torch, python3-torchvision):
    /usr/bin/python3 tools/gen_train_fixtures.py
Writes test/fixtures/train/: initial.pth and final.pth (state_dicts), input (4, 3, 32, 32) NCHW,
labels, and the losses of each step, for
  torchvision.models.mobilenet_v2(width_mult=0.25, num_classes=10,
      inverted_residual_setting=[[1, 8, 1, 1], [6, 16, 2, 2], [6, 24, 1, 2]])
with dropout off, BN γ/β randomized, in train mode (batch statistics, running stats with momentum
0.1), loss CrossEntropyLoss(label_smoothing=0.1), optimizer SGD(lr=0.05, momentum=0.9,
nesterov=True, weight_decay=4e-5 on every parameter).
"""
import json
import os

import numpy as np
import torch
import torchvision

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'train')
SEED = 7
SETTING = [[1, 8, 1, 1], [6, 16, 2, 2], [6, 24, 1, 2]]


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(SEED)
    gen = torch.Generator().manual_seed(SEED)
    model = torchvision.models.mobilenet_v2(width_mult=0.25, num_classes=10, inverted_residual_setting=SETTING)
    model.classifier[0].p = 0.0
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.weight.data = 0.5 + torch.rand(m.num_features, generator=gen)
            m.bias.data = 0.2 * torch.randn(m.num_features, generator=gen)
    torch.save(model.state_dict(), os.path.join(OUT, 'initial.pth'))
    x = torch.randn(4, 3, 32, 32, generator=gen)
    y = torch.randint(0, 10, (4,), generator=gen)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=4e-5)
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=0.1)
    model.train()
    losses = []
    for _ in range(3):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        losses.append(float(loss))
    torch.save(model.state_dict(), os.path.join(OUT, 'final.pth'))
    np.save(os.path.join(OUT, 'input_nchw.npy'), x.numpy().astype(np.float32))
    with open(os.path.join(OUT, 'steps.json'), 'w') as f:
        json.dump({'generator': 'tools/gen_train_fixtures.py', 'torch': torch.__version__, 'seed': SEED,
                   'setting': SETTING, 'labels': [int(v) for v in y], 'losses': losses,
                   'lr': 0.05, 'momentum': 0.9, 'nesterov': True, 'weight_decay': 4e-5, 'label_smoothing': 0.1}, f, indent=1)
    print('losses', losses)


if __name__ == '__main__':
    main()
