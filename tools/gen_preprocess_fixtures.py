#!/usr/bin/python3
"""Test images and torchvision's preprocessing of them, for test/data/preprocess.test.ts.

Run from the repository root with Debian's Python (torch, torchvision, PIL, numpy from Debian):
    /usr/bin/python3 tools/gen_preprocess_fixtures.py
Deterministic (fixed seeds; PIL's encoders are deterministic for fixed settings). Rewrites
test/fixtures/images/.

For every decodable image it writes
  <name>.torchvision.npy   float32 (1, 3, 224, 224): torchvision's standard ImageNet transform
                           Compose([Resize(256), CenterCrop(224), ToTensor(), Normalize(mean, std)])
                           applied to Image.open(path).convert('RGB') (what torchvision's ImageFolder
                           loader does: alpha dropped, grayscale replicated).
and manifest.json with the PIL-decoded pixel hash, the resize/crop geometry and versions.
normalize_torchvision.npy / normalize_keras.npy hold the normalization of every 8-bit value.
For one image it also writes PIL's plain resizes to 96×96 (uint8, (96, 96, 3)) with BILINEAR and
NEAREST: what the keras/tfjs presets and Keras' load_img(target_size=(96, 96)) produce before scaling.
"""
import hashlib
import io
import json
import os

import numpy as np
import PIL
import torch
import torchvision
from PIL import Image
from torchvision import transforms
from torchvision.transforms import functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "images")
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def smooth_scene(width: int, height: int, seed: int) -> np.ndarray:
    """A synthetic 'photo': colour gradients, soft discs, a few sharp edges and a fine stripe patch."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    u, v = x / (width - 1), y / (height - 1)
    r = 40 + 180 * u + 20 * np.sin(6.0 * v)
    g = 60 + 150 * v + 25 * np.cos(5.0 * u)
    b = 200 - 120 * u * v
    img = np.stack([r, g, b], axis=-1)
    for _ in range(5):
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        radius = rng.uniform(0.08, 0.25) * min(width, height)
        colour = rng.uniform(0, 255, size=3)
        d = np.sqrt((x - cx) ** 2 + (y - cy) ** 2)
        alpha = np.clip((radius - d) / 3.0, 0, 1)[..., None]  # soft edge, 3 px
        img = img * (1 - alpha) + colour * alpha
    # a hard-edged rectangle and a patch of 2-px stripes: stress the antialiasing filters
    x0, y0 = width // 5, height // 6
    img[y0 : y0 + height // 4, x0 : x0 + width // 4] = (250, 240, 30)
    sx, sy = width // 2, height // 2
    stripes = ((np.arange(width // 4) // 2) % 2 * 200 + 25)[None, :, None]
    img[sy : sy + height // 5, sx : sx + width // 4] = stripes
    img += rng.normal(0, 2.0, size=img.shape)  # mild sensor noise
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def save(name: str, image: Image.Image, **params) -> str:
    path = os.path.join(OUT, name)
    image.save(path, **params)
    return path


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f != "README.md":
            os.remove(os.path.join(OUT, f))

    images = []
    # 1. JPEG, 640×480: downscaled by 1.875 (480 → 256), 4:2:0 chroma subsampling (PIL's default).
    images.append(save("photo_640x480.jpg", Image.fromarray(smooth_scene(640, 480, 1)), quality=85))
    # 2. PNG, odd-sized non-square 300×200: upscaled (200 → 256, 300 → 384).
    images.append(save("scene_300x200.png", Image.fromarray(smooth_scene(300, 200, 2)), optimize=True))
    # 3. Grayscale PNG (mode L), portrait 257×263: resized to 256×261, so the crop offset
    #    (261 − 224) / 2 = 18.5 rounds half-to-even to 18.
    gray = Image.fromarray(smooth_scene(257, 263, 3)).convert("L")
    images.append(save("gray_257x263.png", gray, optimize=True))
    # 4. RGBA PNG 96×72 with a varying alpha channel (alpha is dropped by convert('RGB')).
    rgb = smooth_scene(96, 72, 4)
    a = np.tile(np.linspace(0, 255, 96).astype(np.uint8)[None, :], (72, 1))
    a[:, :8] = 0  # fully transparent columns whose colour must still come through
    images.append(save("alpha_96x72.png", Image.fromarray(np.dstack([rgb, a]), "RGBA"), optimize=True))
    webp = save("scene_120x90.webp", Image.fromarray(smooth_scene(120, 90, 5)), lossless=True, quality=100)

    transform = transforms.Compose(
        [transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(), transforms.Normalize(MEAN, STD)]
    )
    manifest = {
        "generator": "tools/gen_preprocess_fixtures.py",
        "versions": {"torch": torch.__version__, "torchvision": torchvision.__version__, "PIL": PIL.__version__, "numpy": np.__version__},
        "transform": "Resize(256), CenterCrop(224), ToTensor(), Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))",
        "images": [],
    }
    for path in images:
        name = os.path.basename(path)
        with Image.open(path) as opened:
            mode = opened.mode
            fmt = opened.format
            img = opened.convert("RGB")
        w, h = img.size
        pixels = np.asarray(img, dtype=np.uint8)
        resized_h, resized_w = F._compute_resized_output_size((h, w), [256])
        crop_top = int(round((resized_h - 224) / 2.0))
        crop_left = int(round((resized_w - 224) / 2.0))
        tensor = transform(img).unsqueeze(0).numpy().astype(np.float32)  # (1, 3, 224, 224)
        assert tensor.shape == (1, 3, 224, 224)
        stem = os.path.splitext(name)[0]
        np.save(os.path.join(OUT, f"{stem}.torchvision.npy"), tensor)
        manifest["images"].append(
            {
                "file": name,
                "format": fmt,
                "mode": mode,
                "width": w,
                "height": h,
                "decoded_rgb_sha256": hashlib.sha256(pixels.tobytes()).hexdigest(),
                "resized": {"height": resized_h, "width": resized_w},
                "crop": {"top": crop_top, "left": crop_left, "height": 224, "width": 224},
                "torchvision": f"{stem}.torchvision.npy",
            }
        )

    # 5. Lossless WebP 120×90: checked for decoding only (no tensor, to keep the fixtures small).
    with Image.open(webp) as opened:
        manifest["decode_only"] = [
            {
                "file": os.path.basename(webp),
                "format": opened.format,
                "mode": opened.mode,
                "width": opened.size[0],
                "height": opened.size[1],
                "decoded_rgb_sha256": hashlib.sha256(np.asarray(opened.convert("RGB"), dtype=np.uint8).tobytes()).hexdigest(),
            }
        ]

    # PIL's direct resizes (keras/tfjs geometry) of the PNG scene, 96×96.
    with Image.open(images[1]) as opened:
        scene = opened.convert("RGB")
    for label, method in (("bilinear", Image.BILINEAR), ("nearest", Image.NEAREST)):
        out = np.asarray(scene.resize((96, 96), method), dtype=np.uint8)
        np.save(os.path.join(OUT, f"scene_300x200.pil_{label}_96.npy"), out)
    manifest["direct_resize"] = {
        "source": os.path.basename(images[1]),
        "size": {"height": 96, "width": 96},
        "files": {"bilinear": "scene_300x200.pil_bilinear_96.npy", "nearest": "scene_300x200.pil_nearest_96.npy"},
    }

    # The normalization of every 8-bit value, computed by torchvision and by Keras' preprocess_input.
    ramp = np.tile(np.arange(256, dtype=np.uint8)[None, :, None], (1, 1, 3))  # (1, 256, 3) HWC
    tv = transforms.Normalize(MEAN, STD)(transforms.ToTensor()(ramp))  # (3, 1, 256)
    np.save(os.path.join(OUT, "normalize_torchvision.npy"), tv.numpy().reshape(3, 256).astype(np.float32))
    keras = np.arange(256, dtype=np.float32)
    keras /= 127.5  # keras.applications.imagenet_utils, mode 'tf' (MobileNet, MobileNetV2)
    keras -= 1.0
    np.save(os.path.join(OUT, "normalize_keras.npy"), keras)
    manifest["normalize"] = {
        "torchvision": "normalize_torchvision.npy: (3, 256) float32, Normalize(mean, std)(ToTensor()(x)) for x = 0..255",
        "keras": "normalize_keras.npy: (256,) float32, x /= 127.5; x -= 1. (float32) for x = 0..255",
    }

    # Files that are not decodable images.
    with open(os.path.join(OUT, "not_an_image.png"), "wb") as f:
        f.write(b"This is a text file with a .png name, not an image.\n")
    with open(images[3], "rb") as f:
        png = f.read()
    with open(os.path.join(OUT, "truncated.png"), "wb") as f:
        f.write(png[: len(png) // 2])
    # Confirm PIL refuses both, as our decoder must.
    for bad in ("not_an_image.png", "truncated.png"):
        try:
            with Image.open(os.path.join(OUT, bad)) as im:
                im.load()
        except Exception as error:  # noqa: BLE001 - any failure is the expected outcome
            manifest.setdefault("undecodable", {})[bad] = f"PIL: {type(error).__name__}: {error}"
        else:
            raise SystemExit(f"PIL decoded {bad}; expected a failure")

    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    for f in sorted(os.listdir(OUT)):
        print(f"{os.path.getsize(os.path.join(OUT, f)):>9}  {f}")


if __name__ == "__main__":
    main()
