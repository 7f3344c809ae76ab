/**
 * Preprocessing: geometry and normalization against torchvision itself, the Node pipeline (sharp
 * decoding + resampling) against torchvision's standard ImageNet transform on committed images,
 * and the keras/tfjs presets. Fixtures: test/fixtures/images (tools/gen_preprocess_fixtures.py).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fixturePath, maxAbsDiff } from '../helpers.js';
import { parseNpy } from '../../src/io/npy.js';
import { MobileNetError } from '../../src/errors.js';
import {
  centerCropBox,
  cropImage,
  hwcToChw,
  normalizationTable,
  normalizeImage,
  presetConfig,
  toGrayscale,
  preprocessForInput,
  resizedSize,
  resizeShorterSize,
  roundHalfEven,
  validatePreprocessConfig,
  type PreprocessConfig,
} from '../../src/data/preprocess.js';
import { resizeImage } from '../../src/data/resize.js';
import { decodeImage, loadImageTensor, resizeWithSharp, type Resizer } from '../../src/node/image.js';

interface ManifestImage {
  file: string;
  width: number;
  height: number;
  mode: string;
  decoded_rgb_sha256: string;
  resized: { height: number; width: number };
  crop: { top: number; left: number; height: number; width: number };
  torchvision: string;
}

interface Manifest {
  images: ManifestImage[];
  decode_only: Omit<ManifestImage, 'resized' | 'crop' | 'torchvision'>[];
  direct_resize: { source: string; size: { height: number; width: number }; files: Record<'bilinear' | 'nearest', string> };
}

const manifest = JSON.parse(readFileSync(fixturePath('images', 'manifest.json'), 'utf8')) as Manifest;

function loadNpy(name: string): { shape: readonly number[]; data: ArrayLike<number> } {
  const tensor = parseNpy(readFileSync(fixturePath('images', name)));
  return { shape: tensor.shape, data: tensor.data as ArrayLike<number> };
}

function meanAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const f = Math.fround;

// ---- geometry -------------------------------------------------------------------------------

test('roundHalfEven is Python round()', () => {
  const cases: [number, number][] = [
    [16.5, 16],
    [17.5, 18],
    [0.5, 0],
    [1.5, 2],
    [2.4999, 2],
    [2.5001, 3],
    [-0.5, 0],
    [-1.5, -2],
    [7, 7],
  ];
  for (const [x, expected] of cases) assert.equal(roundHalfEven(x), expected, `round(${x})`);
});

test('resizeShorterSize follows torchvision _compute_resized_output_size', () => {
  assert.deepEqual(resizeShorterSize(480, 640, 256), { height: 256, width: 341 }); // int(256·640/480) = 341
  assert.deepEqual(resizeShorterSize(200, 300, 256), { height: 256, width: 384 });
  assert.deepEqual(resizeShorterSize(263, 257, 256), { height: 261, width: 256 }); // int(261.98…) = 261
  assert.deepEqual(resizeShorterSize(500, 500, 256), { height: 256, width: 256 });
  assert.deepEqual(resizeShorterSize(3, 1000, 232), { height: 232, width: 77333 });
  for (const image of manifest.images) {
    assert.deepEqual(resizeShorterSize(image.height, image.width, 256), image.resized, image.file);
  }
});

test('centerCropBox follows torchvision center_crop, half-way offsets rounded to even', () => {
  assert.deepEqual(centerCropBox(256, 341, 224, 224), { top: 16, left: 58, height: 224, width: 224 }); // 58.5 → 58
  assert.deepEqual(centerCropBox(261, 256, 224, 224), { top: 18, left: 16, height: 224, width: 224 }); // 18.5 → 18
  assert.deepEqual(centerCropBox(259, 256, 224, 224), { top: 18, left: 16, height: 224, width: 224 }); // 17.5 → 18
  assert.deepEqual(centerCropBox(224, 224, 224, 224), { top: 0, left: 0, height: 224, width: 224 });
  // Crop larger than the image: torchvision pads (crop − size) // 2 before → negative offsets.
  assert.deepEqual(centerCropBox(100, 51, 224, 224), { top: -62, left: -86, height: 224, width: 224 });
  for (const image of manifest.images) {
    const { height, width } = image.resized;
    assert.deepEqual(centerCropBox(height, width, 224, 224), image.crop, image.file);
  }
});

test('cropImage copies the window and fills outside pixels with 0 (torchvision pads with 0)', () => {
  // 2×3 image, pixel (y, x) = [10y + x, 100 + 10y + x, 200 + x]
  const rgb = new Uint8Array(2 * 3 * 3);
  for (let y = 0; y < 2; y++) for (let x = 0; x < 3; x++) rgb.set([10 * y + x, 100 + 10 * y + x, 200 + x], (y * 3 + x) * 3);
  assert.deepEqual([...cropImage(rgb, 2, 3, { top: 1, left: 1, height: 1, width: 2 })], [11, 111, 201, 12, 112, 202]);
  const padded = cropImage(rgb, 2, 3, centerCropBox(2, 3, 4, 5)); // top −1, left −1
  assert.equal(padded.length, 4 * 5 * 3);
  assert.deepEqual([...padded.subarray(0, 15)], new Array(15).fill(0)); // first row is padding
  assert.deepEqual([...padded.subarray((1 * 5 + 1) * 3, (1 * 5 + 2) * 3)], [0, 100, 200]); // image (0, 0)
  assert.deepEqual([...padded.subarray((2 * 5 + 3) * 3, (2 * 5 + 4) * 3)], [12, 112, 202]); // image (1, 2)
  assert.deepEqual([...padded.subarray((2 * 5 + 4) * 3, (2 * 5 + 5) * 3)], [0, 0, 0]);
});

test('presetConfig: torchvision sizes scale with the input; keras and tfjs resize directly', () => {
  const tv = presetConfig('torchvision', 224);
  assert.deepEqual(tv, {
    preset: 'torchvision',
    resizeShorter: 256,
    crop: { height: 224, width: 224 },
    interpolation: 'bilinear',
    divisor: 255,
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
  });
  const shorter = [96, 128, 160, 192, 224].map((s) => presetConfig('torchvision', s).resizeShorter);
  assert.deepEqual(shorter, [110, 146, 183, 219, 256]);
  assert.equal(presetConfig('torchvision', 224, 224, { resizeShorter: 232 }).resizeShorter, 232);
  assert.equal(presetConfig('torchvision', 160, 224).resizeShorter, 256); // the longer input side decides
  const keras = presetConfig('keras', 96);
  assert.equal(keras.resizeShorter, undefined);
  assert.deepEqual([keras.divisor, keras.mean, keras.std, keras.interpolation], [127.5, [1, 1, 1], [1, 1, 1], 'bilinear']);
  const tfjs = presetConfig('tfjs', 128);
  assert.deepEqual([tfjs.divisor, tfjs.mean, tfjs.std, tfjs.crop], [255, [0, 0, 0], [1, 1, 1], { height: 128, width: 128 }]);
  assert.equal(presetConfig('keras', 96, 96, { interpolation: 'nearest' }).interpolation, 'nearest');
  assert.deepEqual(resizedSize(480, 640, keras), { height: 96, width: 96 });
  assert.deepEqual(resizedSize(480, 640, tv), { height: 256, width: 341 });
});

test('preprocessForInput: a model run at another resolution keeps its resize/crop ratio', () => {
  // torchvision evaluates a 160 crop after resizing to round(160·256/224) = 183, as for 224 → 256.
  const tv = presetConfig('torchvision', 224);
  for (const s of [96, 128, 160, 192, 224]) assert.deepEqual(preprocessForInput(tv, s, s), presetConfig('torchvision', s));
  assert.equal(preprocessForInput(presetConfig('torchvision', 224, 224, { resizeShorter: 232 }), 160, 160).resizeShorter, 166);
  const keras = presetConfig('keras', 224);
  assert.deepEqual(preprocessForInput(keras, 128, 128), presetConfig('keras', 128));
  assert.deepEqual(preprocessForInput(tv, 224, 224), tv);
  assert.throws(() => preprocessForInput(tv, 0, 224), /height/);
});

test('presetConfig and validatePreprocessConfig reject bad values with a message naming them', () => {
  assert.throws(
    () => presetConfig('caffe' as never, 224),
    (e: unknown) => e instanceof MobileNetError && e.code === 'INVALID_ARGUMENT' && /'caffe'.*torchvision, keras, tfjs/.test(e.message),
  );
  assert.throws(() => presetConfig('keras', 0), /input height must be a positive integer, got 0/);
  const good = presetConfig('torchvision', 224);
  assert.deepEqual(validatePreprocessConfig(JSON.parse(JSON.stringify(good))), good); // survives JSON
  const bad: [unknown, RegExp][] = [
    [null, /must be an object/],
    [{ ...good, crop: { height: 224 } }, /crop\.width must be a positive integer, got undefined/],
    [{ ...good, std: [1, 0, 1] }, /std must be positive/],
    [{ ...good, mean: [1, 2] }, /mean must be 3 finite numbers/],
    [{ ...good, interpolation: 'lanczos' }, /interpolation must be one of nearest, bilinear, bicubic, got 'lanczos'/],
    [{ ...good, divisor: -1 }, /divisor must be a positive number/],
    [{ ...good, resizeShorter: 25.5 }, /resizeShorter must be a positive integer/],
    [{ ...good, preset: 'caffe' }, /unknown preset 'caffe'/],
  ];
  for (const [value, message] of bad) {
    assert.throws(() => validatePreprocessConfig(value), (e: unknown) => e instanceof MobileNetError && e.code === 'INVALID_ARGUMENT' && message.test(e.message));
  }
});

// ---- normalization --------------------------------------------------------------------------

test('normalization of every 8-bit value is bit-identical to torchvision ToTensor + Normalize', () => {
  const expected = loadNpy('normalize_torchvision.npy'); // (3, 256)
  assert.deepEqual(expected.shape, [3, 256]);
  const table = normalizationTable(presetConfig('torchvision', 224));
  assert.deepEqual([...table], [...Array.from(expected.data)]);
  assert.equal(table[0], f(-2.117904));
  assert.equal(table[255], f(2.2489083));
});

test("normalization of every 8-bit value is bit-identical to Keras' preprocess_input (x/127.5 − 1)", () => {
  const expected = loadNpy('normalize_keras.npy'); // (256,)
  const table = normalizationTable(presetConfig('keras', 224));
  for (let c = 0; c < 3; c++) assert.deepEqual([...table.subarray(c * 256, (c + 1) * 256)], [...Array.from(expected.data)]);
  assert.deepEqual([table[0], table[255], table[128]], [-1, 1, f(f(128 / 127.5) - 1)]);
});

test('tfjs normalization is x/255 in [0, 1]', () => {
  const table = normalizationTable(presetConfig('tfjs', 224));
  for (let x = 0; x < 256; x++) for (let c = 0; c < 3; c++) assert.equal(table[c * 256 + x], f(x / 255));
  assert.deepEqual([table[0], table[255], table[51]], [0, 1, f(0.2)]);
});

test('normalizeImage writes (H, W, 3) in place, channel by channel', () => {
  // 1×2 image: pixel 0 = (0, 128, 255), pixel 1 = (255, 0, 51)
  const rgb = new Uint8Array([0, 128, 255, 255, 0, 51]);
  const keras = normalizeImage(rgb, 1, 2, presetConfig('keras', 2));
  assert.deepEqual([...keras], [-1, f(f(128 / 127.5) - 1), 1, 1, -1, f(f(51 / 127.5) - 1)]);
  const tv = presetConfig('torchvision', 2);
  const out = new Float32Array(12);
  const result = normalizeImage(rgb, 1, 2, tv, out.subarray(6));
  assert.equal(result.buffer, out.buffer);
  const expectChannel = (x: number, c: number): number => f(f(f(x / 255) - f(tv.mean[c]!)) / f(tv.std[c]!));
  assert.deepEqual([...out.subarray(6)], [expectChannel(0, 0), expectChannel(128, 1), expectChannel(255, 2), expectChannel(255, 0), expectChannel(0, 1), expectChannel(51, 2)]);
  assert.deepEqual([...out.subarray(0, 6)], [0, 0, 0, 0, 0, 0]);
  assert.throws(() => normalizeImage(rgb, 2, 2, tv), (e: unknown) => e instanceof MobileNetError && e.code === 'SHAPE_MISMATCH' && /6 bytes; expected 2×2×3 = 12/.test(e.message));
  assert.throws(() => normalizeImage(rgb, 1, 2, tv, new Float32Array(5)), /out must be a Float32Array of 1×2×3 = 6 floats, got 5 floats/);
  assert.deepEqual([...hwcToChw(new Float32Array([1, 2, 3, 4, 5, 6]), 1, 2)], [1, 4, 2, 5, 3, 6]);
});

// ---- the Node pipeline vs torchvision -------------------------------------------------------

test('sharp decodes the fixtures to the same pixels as PIL (convert("RGB"))', async (t) => {
  for (const image of [...manifest.images, ...manifest.decode_only]) {
    const decoded = await decodeImage(fixturePath('images', image.file));
    assert.equal(decoded.width, image.width, image.file);
    assert.equal(decoded.height, image.height, image.file);
    assert.equal(decoded.data.length, image.width * image.height * 3);
    assert.equal(sha256(decoded.data), image.decoded_rgb_sha256, `${image.file}: decoded pixels differ from PIL's`);
    t.diagnostic(`${image.file} (${image.mode}, ${image.width}×${image.height}): decoded pixels identical to PIL`);
  }
});

/**
 * Tolerances of the 'sharp' resizer, in normalized units (1 level of 8 bits = 1/(255·0.229) ≈ 0.017
 * in the red channel). Measured on these fixtures: the photo and the grayscale image (both shrunk
 * to 256) reach mean 0.0025–0.0029 and max 0.035 (2 levels); the two enlarged images go through the
 * reference resampler in that mode and match exactly.
 */
const SHARP_MEAN_TOLERANCE = 0.01;
const SHARP_MAX_TOLERANCE = 0.06;

test("loadImageTensor matches torchvision's Resize(256), CenterCrop(224), ToTensor, Normalize", async (t) => {
  const config = presetConfig('torchvision', 224);
  for (const image of manifest.images) {
    const expected = loadNpy(image.torchvision); // (1, 3, 224, 224)
    assert.deepEqual(expected.shape, [1, 3, 224, 224]);
    for (const resizer of ['reference', 'sharp'] as Resizer[]) {
      const hwc = await loadImageTensor(fixturePath('images', image.file), config, { resizer });
      assert.equal(hwc.length, 224 * 224 * 3);
      const chw = hwcToChw(hwc, 224, 224);
      const { max } = maxAbsDiff(chw, expected.data);
      const mean = meanAbsDiff(chw, expected.data);
      t.diagnostic(`${image.file} [${resizer}]: max |Δ| ${max.toExponential(3)}, mean |Δ| ${mean.toExponential(3)}`);
      if (resizer === 'reference') {
        assert.ok(max <= 1e-6, `${image.file}: the reference resampler differs from torchvision by ${max}`);
      } else {
        assert.ok(mean < SHARP_MEAN_TOLERANCE, `${image.file}: mean |Δ| ${mean} ≥ ${SHARP_MEAN_TOLERANCE}`);
        assert.ok(max < SHARP_MAX_TOLERANCE, `${image.file}: max |Δ| ${max} ≥ ${SHARP_MAX_TOLERANCE}`);
      }
    }
  }
});

test("for the record: sharp's own enlargement is off by half an output pixel, hence the fallback", async (t) => {
  const config = presetConfig('torchvision', 224);
  for (const image of manifest.images) {
    const decoded = await decodeImage(fixturePath('images', image.file));
    const { height, width } = image.resized;
    const resized = await resizeWithSharp(decoded.data, decoded.height, decoded.width, height, width, 'bilinear');
    const hwc = normalizeImage(cropImage(resized, height, width, image.crop), 224, 224, config);
    const expected = loadNpy(image.torchvision).data;
    const chw = hwcToChw(hwc, 224, 224);
    const direction = height > decoded.height ? 'enlarged' : 'shrunk';
    t.diagnostic(`${image.file} ${direction} by sharp alone: max |Δ| ${maxAbsDiff(chw, expected).max.toFixed(4)}, mean |Δ| ${meanAbsDiff(chw, expected).toFixed(4)}`);
  }
});

test('torchvision IMAGENET1K_V2 geometry (resize 232) and small inputs crop the right window', async () => {
  // Compare against our own pieces: decode → resize → crop → normalize, all spelled out.
  const image = manifest.images.find((i) => i.file === 'photo_640x480.jpg')!;
  const decoded = await decodeImage(fixturePath('images', image.file));
  const config = presetConfig('torchvision', 224, 224, { resizeShorter: 232 });
  const size = resizedSize(decoded.height, decoded.width, config);
  assert.deepEqual(size, { height: 232, width: 309 });
  const box = centerCropBox(size.height, size.width, 224, 224);
  assert.deepEqual(box, { top: 4, left: 42, height: 224, width: 224 }); // 42.5 → 42
  const resized = resizeImage(decoded.data, decoded.height, decoded.width, size.height, size.width, 'bilinear');
  const manual = normalizeImage(cropImage(resized, size.height, size.width, box), 224, 224, config);
  assert.deepEqual(await loadImageTensor(fixturePath('images', image.file), config), manual);
  // Input 96: resize 110, crop 96.
  const small = await loadImageTensor(fixturePath('images', image.file), presetConfig('torchvision', 96));
  assert.equal(small.length, 96 * 96 * 3);
});

test('direct resizes (keras/tfjs geometry) match PIL exactly with the reference resampler', async (t) => {
  const { source, size, files } = manifest.direct_resize;
  const decoded = await decodeImage(fixturePath('images', source));
  for (const interpolation of ['bilinear', 'nearest'] as const) {
    const expected = loadNpy(files[interpolation]); // (96, 96, 3) uint8
    assert.deepEqual(expected.shape, [size.height, size.width, 3]);
    const ours = resizeImage(decoded.data, decoded.height, decoded.width, size.height, size.width, interpolation);
    assert.deepEqual([...ours], [...Array.from(expected.data)], `${interpolation}: differs from PIL`);
    const viaSharp = await resizeWithSharp(decoded.data, decoded.height, decoded.width, size.height, size.width, interpolation);
    const { max } = maxAbsDiff(viaSharp, expected.data);
    t.diagnostic(`${source} → 96×96 ${interpolation}: reference identical to PIL; sharp max |Δ| ${max} levels, mean ${meanAbsDiff(viaSharp, expected.data).toFixed(3)}`);
    assert.ok(max <= 2, `sharp ${interpolation} differs from PIL by ${max} levels`);
  }
});

test('keras and tfjs presets: PIL-resized pixels scaled to [−1, 1] and [0, 1]', async () => {
  const { source, files } = manifest.direct_resize;
  const bilinear = Array.from(loadNpy(files.bilinear).data);
  const nearest = Array.from(loadNpy(files.nearest).data);
  const path = fixturePath('images', source);
  const keras = await loadImageTensor(path, presetConfig('keras', 96));
  assert.deepEqual([...keras], bilinear.map((x) => f(f(x / 127.5) - 1)));
  // Keras' load_img(target_size=(96, 96)) default: nearest.
  const kerasNearest = await loadImageTensor(path, presetConfig('keras', 96, 96, { interpolation: 'nearest' }));
  assert.deepEqual([...kerasNearest], nearest.map((x) => f(f(x / 127.5) - 1)));
  const tfjs = await loadImageTensor(path, presetConfig('tfjs', 96));
  assert.deepEqual([...tfjs], bilinear.map((x) => f(x / 255)));
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of keras) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  assert.ok(lo >= -1 && hi <= 1);
});

// ---- resampler details ------------------------------------------------------------------------

test('resizeImage keeps constant images constant and validates its arguments', () => {
  const rgb = new Uint8Array(7 * 5 * 3);
  for (let i = 0; i < rgb.length; i += 3) rgb.set([12, 200, 255], i);
  for (const interpolation of ['nearest', 'bilinear', 'bicubic'] as const) {
    for (const [h, w] of [
      [3, 2],
      [20, 11],
      [7, 5],
      [1, 30],
    ] as const) {
      const out = resizeImage(rgb, 7, 5, h, w, interpolation);
      assert.equal(out.length, h * w * 3);
      for (let i = 0; i < out.length; i += 3) assert.deepEqual([out[i], out[i + 1], out[i + 2]], [12, 200, 255], `${interpolation} ${h}×${w}`);
    }
  }
  const same = resizeImage(rgb, 7, 5, 7, 5);
  assert.notEqual(same, rgb);
  assert.deepEqual(same, rgb);
  assert.throws(() => resizeImage(rgb, 7, 5, 0, 5), /output height must be a positive integer, got 0/);
  assert.throws(() => resizeImage(rgb, 5, 5, 2, 2), (e: unknown) => e instanceof MobileNetError && e.code === 'SHAPE_MISMATCH');
});

// ---- errors -----------------------------------------------------------------------------------

test('files that are not decodable images give INVALID_FORMAT naming the file', async () => {
  const config: PreprocessConfig = presetConfig('torchvision', 224);
  for (const name of ['not_an_image.png', 'truncated.png']) {
    const path = fixturePath('images', name);
    for (const attempt of [() => decodeImage(path), () => loadImageTensor(path, config)]) {
      await assert.rejects(attempt, (e: unknown) => {
        assert.ok(e instanceof MobileNetError, String(e));
        assert.equal(e.code, 'INVALID_FORMAT');
        assert.ok(e.message.includes(name), e.message);
        assert.match(e.message, /not an image \(/);
        return true;
      });
    }
  }
  await assert.rejects(decodeImage(fixturePath('images', 'truncated.png')), /corrupt or truncated/);
  await assert.rejects(decodeImage(fixturePath('images', 'not_an_image.png')), /expected JPEG, PNG, WebP, GIF or TIFF/);
  const jpeg = readFileSync(fixturePath('images', 'photo_640x480.jpg'));
  await assert.rejects(decodeImage(jpeg.subarray(0, jpeg.length >> 1), { name: 'half.jpg' }), (e: unknown) => e instanceof MobileNetError && e.code === 'INVALID_FORMAT' && e.message.startsWith('half.jpg: not an image'));
  await assert.rejects(decodeImage(new Uint8Array(0)), /<buffer>: not an image \(the file is empty\)/);
});

test('a missing file gives IO_ERROR naming the path', async () => {
  const path = fixturePath('images', 'no_such_image.jpg');
  await assert.rejects(loadImageTensor(path, presetConfig('tfjs', 224)), (e: unknown) => e instanceof MobileNetError && e.code === 'IO_ERROR' && e.message.includes(path) && /no such file/.test(e.message));
});

test("toGrayscale is PIL's convert('L'): red 76, green 150, blue 29, white 255", () => {
  const rgb = Uint8Array.of(255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 10, 20, 30, 0, 0, 0);
  toGrayscale(rgb);
  assert.deepEqual([...rgb], [76, 76, 76, 150, 150, 150, 29, 29, 29, 255, 255, 255, 18, 18, 18, 0, 0, 0]);
  assert.throws(() => toGrayscale(new Uint8Array(4)), /not a whole number of RGB pixels/);
  assert.equal(validatePreprocessConfig({ ...presetConfig('tfjs', 8), grayscale: true }).grayscale, true);
  assert.equal(validatePreprocessConfig({ ...presetConfig('tfjs', 8), grayscale: false }).grayscale, undefined);
  assert.throws(() => validatePreprocessConfig({ ...presetConfig('tfjs', 8), grayscale: 'yes' }), /grayscale must be true or false, got/);
});
