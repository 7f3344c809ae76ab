#!/usr/bin/env python3
"""End-to-end reference: torchvision's standard transform + the tv_v2_035 model on the test images.

Run with Debian's python3 after tools/gen_parity_fixtures.py and tools/gen_preprocess_fixtures.py:
    /usr/bin/python3 tools/gen_pipeline_fixture.py
Writes test/fixtures/parity/pipeline.json: for each image, torch's softmax probabilities.
"""
import json
import os

import torch
import torchvision
from PIL import Image
from torchvision import transforms

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, '..', 'test', 'fixtures')


def main():
    model = torchvision.models.mobilenet_v2(width_mult=0.35, num_classes=10)
    model.load_state_dict(torch.load(os.path.join(FIX, 'parity', 'tv_v2_035.pth')))
    model.eval()
    t = transforms.Compose([
        transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(),
        transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    ])
    out = {'generator': 'tools/gen_pipeline_fixture.py', 'torch': torch.__version__, 'model': 'parity/tv_v2_035.pth', 'images': {}}
    for name in ['photo_640x480.jpg', 'scene_300x200.png', 'gray_257x263.png']:
        img = Image.open(os.path.join(FIX, 'images', name)).convert('RGB')
        with torch.no_grad():
            probs = torch.softmax(model(t(img).unsqueeze(0)), 1)[0]
        out['images'][name] = [float(p) for p in probs]
    with open(os.path.join(FIX, 'parity', 'pipeline.json'), 'w') as f:
        json.dump(out, f, indent=1)
    print('wrote pipeline.json')


if __name__ == '__main__':
    main()
