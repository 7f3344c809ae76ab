import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  convOutputSize,
  samePadding,
  type Conv2dDesc,
  type DepthwiseConv2dDesc,
} from '../../../src/kernels/ref/index.js';
import { assertInvalid, loadFixture } from './support.js';

test('samePadding follows TensorFlow SAME', () => {
  // [in, kernel, stride, dilation] → { before, after, out }, worked out by hand from TF's rule.
  const table: [number, number, number, number, { before: number; after: number; out: number }][] = [
    [224, 3, 2, 1, { before: 0, after: 1, out: 112 }], // MobileNet stem: the odd pixel goes after
    [225, 3, 2, 1, { before: 1, after: 1, out: 113 }],
    [7, 3, 2, 1, { before: 1, after: 1, out: 4 }],
    [8, 3, 1, 1, { before: 1, after: 1, out: 8 }],
    [8, 3, 1, 2, { before: 2, after: 2, out: 8 }],
    [7, 2, 2, 1, { before: 0, after: 1, out: 4 }],
    [6, 5, 2, 1, { before: 1, after: 2, out: 3 }],
    [5, 1, 1, 1, { before: 0, after: 0, out: 5 }],
    [5, 1, 2, 1, { before: 0, after: 0, out: 3 }], // total would be negative: clamped to 0
    [1, 3, 2, 1, { before: 1, after: 1, out: 1 }],
    [96, 3, 2, 1, { before: 0, after: 1, out: 48 }],
  ];
  for (const [inSize, kernel, stride, dilation, expected] of table) {
    assert.deepEqual(samePadding(inSize, kernel, stride, dilation), expected, `in ${inSize} k ${kernel} s ${stride} d ${dilation}`);
    assert.equal(convOutputSize(inSize, kernel, stride, dilation, expected.before, expected.after), expected.out);
  }
});

test('convOutputSize counts window positions (floor mode)', () => {
  assert.equal(convOutputSize(224, 3, 2, 1, 1, 1), 112); // PyTorch padding=1
  assert.equal(convOutputSize(6, 3, 2, 1, 0, 0), 2); // VALID: the last row is never reached
  assert.equal(convOutputSize(7, 7, 1, 1, 0, 0), 1);
  assert.equal(convOutputSize(9, 3, 1, 4, 0, 0), 1); // dilation 4 makes a 3-tap kernel span 9
  assert.equal(convOutputSize(1, 1, 1, 1, 0, 0), 1);
});

test('padding helpers agree with the geometry of every torch fixture case', () => {
  type Geometry = Conv2dDesc | DepthwiseConv2dDesc;
  const cases = [
    ...loadFixture<Conv2dDesc>('conv2d').cases,
    ...loadFixture<DepthwiseConv2dDesc>('depthwiseConv2d').cases,
  ] as { name: string; desc: Geometry; padding?: 'same' | 'explicit'; padBottom?: number; padRight?: number }[];
  for (const c of cases) {
    const d = c.desc;
    // A negative implied padding means cropped rows: convOutputSize sees them as padding 0.
    const bottom = Math.max(c.padBottom!, 0);
    const right = Math.max(c.padRight!, 0);
    assert.equal(convOutputSize(d.inHeight, d.kernelHeight, d.strideHeight, d.dilationHeight, d.padTop, bottom), d.outHeight, c.name);
    assert.equal(convOutputSize(d.inWidth, d.kernelWidth, d.strideWidth, d.dilationWidth, d.padLeft, right), d.outWidth, c.name);
    if (c.padding === 'same') {
      assert.deepEqual(samePadding(d.inHeight, d.kernelHeight, d.strideHeight, d.dilationHeight), { before: d.padTop, after: c.padBottom, out: d.outHeight }, c.name);
      assert.deepEqual(samePadding(d.inWidth, d.kernelWidth, d.strideWidth, d.dilationWidth), { before: d.padLeft, after: c.padRight, out: d.outWidth }, c.name);
    }
  }
});

test('padding helpers reject bad sizes', () => {
  assertInvalid(() => convOutputSize(2, 3, 1, 1, 0, 0), /padded input size 2/, /kernel extent 3/);
  assertInvalid(() => convOutputSize(4, 3, 1, 2, 0, 0), /kernel extent 5/); // dilation 2 widens 3 taps to 5
  assertInvalid(() => convOutputSize(5, 3, 0, 1, 0, 0), /stride = 0/);
  assertInvalid(() => convOutputSize(5, 3, 1, 1, -1, 0), /padBefore = -1/);
  assertInvalid(() => samePadding(0, 3, 1, 1), /inSize = 0/);
  assertInvalid(() => samePadding(5, 2.5, 1, 1), /kernel = 2.5/);
  assertInvalid(() => samePadding(5, 3, 1, 0), /dilation = 0/);
});
