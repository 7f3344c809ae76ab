#!/usr/bin/env python3
"""Dump torchvision's MobileNetV2 structure for several width multipliers, as an independent check
of our spec and graph builder (channel rounding, strides, padding, groups, parameter counts).

Run with Debian's python3 (python3-torch, python3-torchvision):
    /usr/bin/python3 tools/gen_arch_fixtures.py
Writes test/fixtures/arch/torchvision_mobilenet_v2.json.
"""
import json
import os

import torch
import torchvision

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'arch', 'torchvision_mobilenet_v2.json')


def describe(model):
    convs = []
    for name, m in model.named_modules():
        if isinstance(m, torch.nn.Conv2d):
            convs.append({
                'name': name,
                'in': m.in_channels, 'out': m.out_channels,
                'kernel': m.kernel_size[0], 'stride': m.stride[0], 'padding': m.padding[0],
                'dilation': m.dilation[0], 'groups': m.groups, 'bias': m.bias is not None,
            })
    linear = model.classifier[1]
    return {
        'convs': convs,
        'classifier': {'in': linear.in_features, 'out': linear.out_features},
        'dropout': model.classifier[0].p,
        'trainable': sum(p.numel() for p in model.parameters() if p.requires_grad),
        'buffers': sum(b.numel() for n, b in model.named_buffers() if not n.endswith('num_batches_tracked')),
    }


def main():
    cases = []
    for alpha in [0.1, 0.35, 0.5, 0.75, 1.0, 1.3, 1.4, 2.0]:
        for classes in [1000, 10]:
            model = torchvision.models.mobilenet_v2(width_mult=alpha, num_classes=classes)
            cases.append({'alpha': alpha, 'classes': classes, **describe(model)})
    doc = {
        'generator': 'tools/gen_arch_fixtures.py',
        'torch': torch.__version__,
        'torchvision': torchvision.__version__,
        'cases': cases,
    }
    with open(OUT + '.tmp', 'w') as f:
        json.dump(doc, f, separators=(',', ':'))
    os.replace(OUT + '.tmp', OUT)
    print('wrote', OUT, len(cases), 'cases')


if __name__ == '__main__':
    main()
