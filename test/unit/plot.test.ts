/** Plots: SVG builders (well-formed, labelled, escaped, robust to odd data) and the PNG adapter. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { barChart, heatmap, lineChart, panelGrid, scatterChart, type ScatterPanel } from '../../src/plot/svg.js';
import { formatNumber, linearAxis, logAxis, niceStep } from '../../src/plot/scale.js';
import { escapeXml, textWidth, wrapText } from '../../src/plot/text.js';
import { textColorOn, heatColor } from '../../src/plot/color.js';
import { svgToPng, writePlot } from '../../src/node/plot.js';
import { MobileNetError } from '../../src/errors.js';

// ---------------------------------------------------------------------------------------------
// A small XML well-formedness check: balanced tags, one root, quoted attributes, and no raw `<`
// or bare `&` in text or attribute values.

const ENTITY = /&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g;

function checkEscaped(text: string, where: string): void {
  const withoutEntities = text.replace(ENTITY, '');
  assert.ok(!withoutEntities.includes('&'), `bare & in ${where}: ${JSON.stringify(text.slice(0, 80))}`);
  assert.ok(!withoutEntities.includes('<'), `raw < in ${where}: ${JSON.stringify(text.slice(0, 80))}`);
}

function assertWellFormed(xml: string): void {
  const stack: string[] = [];
  let roots = 0;
  let i = 0;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = lt < 0 ? xml.slice(i) : xml.slice(i, lt);
    checkEscaped(text, 'text');
    if (stack.length === 0) assert.equal(text.trim(), '', `text outside the root element: ${JSON.stringify(text.slice(0, 40))}`);
    if (lt < 0) break;
    if (xml.startsWith('<!--', lt)) {
      const end = xml.indexOf('-->', lt);
      assert.ok(end > 0, 'unterminated comment');
      i = end + 3;
      continue;
    }
    const gt = xml.indexOf('>', lt);
    assert.ok(gt > 0, 'unterminated tag');
    const tag = xml.slice(lt + 1, gt);
    i = gt + 1;
    if (tag.startsWith('?')) continue;
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      assert.equal(stack.pop(), name, `closing </${name}> does not match`);
      continue;
    }
    const selfClosing = tag.endsWith('/');
    const body = selfClosing ? tag.slice(0, -1) : tag;
    const nameMatch = /^([A-Za-z_][\w:.-]*)/.exec(body);
    assert.ok(nameMatch, `bad tag <${tag.slice(0, 40)}>`);
    const name = nameMatch[1]!;
    let rest = body.slice(name.length);
    const seen = new Set<string>();
    const attribute = /^\s+([A-Za-z_][\w:.-]*)="([^"]*)"/;
    for (let m = attribute.exec(rest); m; m = attribute.exec(rest)) {
      assert.ok(!seen.has(m[1]!), `duplicate attribute ${m[1]} on <${name}>`);
      seen.add(m[1]!);
      checkEscaped(m[2]!, `attribute ${m[1]} of <${name}>`);
      rest = rest.slice(m[0].length);
    }
    assert.equal(rest.trim(), '', `malformed attributes on <${name}>: ${JSON.stringify(rest.slice(0, 60))}`);
    if (stack.length === 0) roots++;
    if (!selfClosing) stack.push(name);
  }
  assert.deepEqual(stack, [], 'unclosed elements');
  assert.equal(roots, 1, 'expected exactly one root element');
}

function unescape(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

/** The contents of every <text> element, unescaped. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text\b[^>]*>([^<]*)<\/text>/g)].map((m) => unescape(m[1]!));
}

async function assertRenders(svg: string): Promise<void> {
  const { data, info } = await sharp(Buffer.from(svg)).raw().toBuffer({ resolveWithObject: true });
  assert.ok(info.width > 0 && info.height > 0);
  assert.ok(data.length > 0);
}

const curve = (n: number, f: (i: number) => number): Array<[number, number]> => Array.from({ length: n }, (_, i) => [i + 1, f(i + 1)]);

// ---------------------------------------------------------------------------------------------
// Scales and text

test('niceStep rounds to 1, 2 or 5 times a power of ten', () => {
  assert.equal(niceStep(0.17), 0.2);
  assert.equal(niceStep(0.12), 0.1);
  assert.equal(niceStep(3.9), 5);
  assert.equal(niceStep(380), 500);
  assert.equal(niceStep(8), 10);
  assert.throws(() => niceStep(0), RangeError);
});

test('linear ticks are exact multiples with clean labels', () => {
  const axis = linearAxis({ fixed: [0, 1], length: 300, minSpacing: () => 40 });
  assert.deepEqual(axis.ticks.map((t) => t.label), ['0', '0.2', '0.4', '0.6', '0.8', '1']);
  assert.deepEqual(axis.ticks.map((t) => t.value), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  const widened = linearAxis({ dataMin: 0.23, dataMax: 1.74, length: 300, minSpacing: () => 40 });
  assert.deepEqual(widened.domain, [0, 2]);
  assert.deepEqual(widened.ticks.map((t) => t.label), ['0', '0.5', '1', '1.5', '2']);
  const negative = linearAxis({ dataMin: -3, dataMax: 3, length: 300, minSpacing: () => 40 });
  assert.ok(negative.ticks.some((t) => t.label === '\u22122'), 'negative ticks use a minus sign');
  const big = linearAxis({ dataMin: 0, dataMax: 6e8, length: 300, minSpacing: () => 40 });
  assert.ok(big.ticks.some((t) => t.label === '200M'), big.ticks.map((t) => t.label).join(' '));
  const integers = linearAxis({ dataMin: 1, dataMax: 3, length: 600, minSpacing: () => 40, integer: true });
  assert.ok(integers.ticks.every((t) => Number.isInteger(t.value)));
});

test('log ticks sit on powers of ten, with 2 and 5 added for short ranges', () => {
  const wide = logAxis({ dataMin: 10, dataMax: 1000, length: 500, minSpacing: () => 50, snap: 'pad' });
  assert.deepEqual(wide.ticks.map((t) => t.label), ['10', '100', '1000']);
  const short = logAxis({ dataMin: 11, dataMax: 300, length: 500, minSpacing: () => 50, snap: 'pad' });
  assert.deepEqual(short.ticks.map((t) => t.label), ['10', '20', '50', '100', '200']);
  const huge = logAxis({ dataMin: 1e-6, dataMax: 1e9, length: 300, minSpacing: () => 50, snap: 'pad' });
  assert.ok(huge.ticks.length >= 3 && huge.ticks.length <= 6, huge.ticks.map((t) => t.label).join(' '));
});

test('formatNumber gives three significant digits and SI suffixes', () => {
  assert.equal(formatNumber(1234), '1234');
  assert.equal(formatNumber(56_900_000), '56.9M');
  assert.equal(formatNumber(0.91234), '0.912');
  assert.equal(formatNumber(-2.5), '\u22122.5');
  assert.equal(formatNumber(0), '0');
  assert.equal(formatNumber(12_345), '12.3k');
});

test('text helpers escape XML and wrap words', () => {
  assert.equal(escapeXml(`a < b & "c" 'd' > e`), 'a &lt; b &amp; &quot;c&quot; &apos;d&apos; &gt; e');
  assert.equal(escapeXml('bell\u0007!'), 'bell!');
  assert.ok(textWidth('WWW', 12) > textWidth('iii', 12));
  const { lines } = wrapText('one two three four five', textWidth('one two', 12) + 1, 12);
  assert.equal(lines[0], 'one two');
  assert.equal(lines.join(' '), 'one two three four five');
});

test('text on heat-map cells is white on dark fills and dark on light ones', () => {
  assert.equal(textColorOn(heatColor(1)), '#ffffff');
  assert.equal(textColorOn(heatColor(0)), '#222222');
});

// ---------------------------------------------------------------------------------------------
// Charts

test('lineChart: title, axis labels, legend and ticks 0, 0.2, …, 1', async () => {
  const svg = lineChart({
    title: 'Accuracy',
    xLabel: 'Epoch',
    yLabel: 'Top-1 accuracy',
    yRange: [0, 1],
    series: [
      { name: 'train', points: curve(10, (e) => 1 - 0.5 / e) },
      { name: 'validation', points: curve(10, (e) => 0.9 - 0.5 / e), dashed: true },
    ],
  });
  assertWellFormed(svg);
  const t = texts(svg);
  for (const expected of ['Accuracy', 'Epoch', 'Top-1 accuracy', 'train', 'validation', '0', '0.2', '0.4', '0.6', '0.8', '1']) {
    assert.ok(t.includes(expected), `missing text "${expected}" in ${JSON.stringify(t)}`);
  }
  assert.match(svg, /stroke-dasharray/);
  assert.match(svg, /font-family="DejaVu Sans, Arial, sans-serif"/);
  await assertRenders(svg);
});

test('lineChart: units join the axis labels; one series gets no legend', () => {
  const svg = lineChart({ title: 'Loss', xLabel: 'Time', xUnit: 's', yLabel: 'Loss', series: [{ name: 'only series', points: curve(5, (e) => 1 / e) }] });
  const t = texts(svg);
  assert.ok(t.includes('Time (s)'));
  assert.ok(!t.includes('only series'), 'a single series has no legend');
});

test('lineChart: NaN points are skipped and break the line', () => {
  const points: Array<[number, number]> = [[1, 1], [2, 2], [3, NaN], [4, 3], [5, 4], [NaN, 5], [6, Infinity]];
  const svg = lineChart({ title: 'Gaps', series: [{ name: 's', points }, { name: 't', points: [[1, 2]] }] });
  assertWellFormed(svg);
  assert.ok(!/NaN|Infinity/.test(svg), 'no NaN or Infinity in the output');
  const paths = [...svg.matchAll(/<path d="(M[^"]*)" fill="none" stroke="#/g)].map((m) => m[1]!);
  assert.equal(paths.length, 2, 'two runs of points → two line pieces');
});

test('charts escape text: < and & in titles, labels, legend and categories', async () => {
  const nasty = 'a < b & "c"';
  const svgs = [
    lineChart({ title: nasty, xLabel: nasty, yLabel: nasty, series: [{ name: nasty, points: [[0, 0], [1, 1]] }, { name: 'x&y', points: [] }] }),
    barChart({ title: nasty, yLabel: nasty, categories: [nasty, '<b>'], series: [{ name: nasty, values: [1, 2] }, { name: '&', values: [2, 3] }] }),
    scatterChart({ title: nasty, series: [{ name: nasty, points: [{ x: 1, y: 1, label: '<&>' }] }, { name: '2', points: [] }] }),
    heatmap({ title: nasty, rowLabels: [nasty], colLabels: ['<'], values: [[1]], xLabel: nasty, yLabel: '&' }),
    panelGrid({ title: nasty, panels: [{ title: '<n> & m', points: [[0, 0]] }] }),
  ];
  for (const svg of svgs) {
    assertWellFormed(svg);
    assert.ok(svg.includes('a &lt; b &amp; &quot;c&quot;'), 'escaped title present');
    assert.ok(!svg.includes('a < b'), 'raw title absent');
    assert.ok(texts(svg).includes(nasty) || svg.includes('<title>a &lt; b'), 'title text round-trips');
    await assertRenders(svg);
  }
});

test('empty series and single points do not crash any chart', async () => {
  const svgs = [
    lineChart({ title: 'empty', series: [] }),
    lineChart({ title: 'empty series', series: [{ name: 'a', points: [] }, { name: 'b', points: [] }] }),
    lineChart({ title: 'one point', series: [{ name: 'a', points: [[3, 0.5]] }] }),
    lineChart({ title: 'flat', series: [{ name: 'a', points: [[1, 0], [2, 0]] }] }),
    lineChart({ title: 'log one point', logY: true, series: [{ name: 'a', points: [[0, 1e-3]] }] }),
    barChart({ title: 'empty', categories: [], series: [] }),
    barChart({ title: 'one', categories: ['x'], series: [{ name: 'a', values: [42] }] }),
    barChart({ title: 'log', logY: true, categories: ['x', 'y'], series: [{ name: 'a', values: [0, NaN] }] }),
    scatterChart({ title: 'empty', series: [] }),
    scatterChart({ title: 'one', logX: true, series: [{ name: 'a', points: [{ x: 300, y: 71.8, label: 'V2' }] }] }),
    heatmap({ title: 'empty', rowLabels: [], colLabels: [], values: [] }),
    heatmap({ title: 'one', rowLabels: ['a'], colLabels: ['b'], values: [[0]] }),
    panelGrid({ title: 'none', panels: [] }),
    panelGrid({ title: 'degenerate', panels: [{ title: 'empty', points: [] }, { title: 'one', points: [[1, 1]] }] }),
  ];
  for (const svg of svgs) {
    assertWellFormed(svg);
    assert.ok(!/NaN|Infinity/.test(svg), `non-finite number in ${svg.slice(0, 200)}`);
    await assertRenders(svg);
  }
});

test('the same input gives the same string; different charts get different ids', () => {
  const options = { title: 'Loss', series: [{ name: 'a', points: curve(5, (e) => 1 / e) }, { name: 'b', points: curve(5, (e) => 2 / e) }] };
  const first = lineChart(options);
  assert.equal(lineChart(options), first);
  const other = lineChart({ ...options, title: 'Loss 2' });
  const id = (svg: string): string => /clipPath id="([^"]+)"/.exec(svg)![1]!;
  assert.notEqual(id(first), id(other));
});

test('barChart: grouped bars with value labels, log axis ticks, n/a for NaN', async () => {
  const svg = barChart({
    title: 'Cost',
    yLabel: 'Multiply-adds',
    categories: ['layer 1', 'layer 2'],
    logY: true,
    series: [
      { name: 'full', values: [231e6, 115e6] },
      { name: 'separable', values: [29.3e6, NaN] },
    ],
  });
  assertWellFormed(svg);
  const t = texts(svg);
  for (const expected of ['Cost', 'Multiply-adds', 'layer 1', 'layer 2', 'full', 'separable', '231M', '29.3M', 'n/a', '10M', '100M']) {
    assert.ok(t.includes(expected), `missing "${expected}" in ${JSON.stringify(t)}`);
  }
  assert.equal([...svg.matchAll(/<rect [^>]*fill="#0072B2"\/>/g)].length, 2 + 1, 'two bars + one legend swatch in the first colour');
  await assertRenders(svg);
  assert.throws(
    () => barChart({ title: 'bad', categories: ['a', 'b'], series: [{ name: 's', values: [1] }] }),
    (e: unknown) => e instanceof MobileNetError && e.code === 'INVALID_ARGUMENT' && /1 values, expected one per category \(2\)/.test(e.message),
  );
});

test('scatterChart: log x ticks 10, 100, 1000, labelled points, legend by series', async () => {
  const svg = scatterChart({
    title: 'Accuracy vs MACs',
    xLabel: 'Multiply-adds',
    xUnit: 'millions',
    yLabel: 'Top-1',
    yUnit: '%',
    logX: true,
    series: [
      { name: 'α = 1.0', connect: true, points: [{ x: 10, y: 50, label: '96' }, { x: 1000, y: 72, label: '224' }] },
      { name: 'α = 0.5', points: [{ x: 100, y: 61, label: '160' }, { x: NaN, y: 3 }, { x: -5, y: 60, label: 'skipped' }] },
    ],
  });
  assertWellFormed(svg);
  const t = texts(svg);
  for (const expected of ['10', '100', '1000', 'Multiply-adds (millions)', 'Top-1 (%)', 'α = 1.0', 'α = 0.5', '96', '224', '160']) {
    assert.ok(t.includes(expected), `missing "${expected}" in ${JSON.stringify(t)}`);
  }
  assert.ok(!t.includes('skipped'), 'a point at x ≤ 0 cannot be shown on a log axis');
  await assertRenders(svg);
});

test('heatmap: counts in cells, readable text on dark cells, NaN cells blank', async () => {
  const svg = heatmap({
    title: 'Confusion matrix',
    rowLabels: ['cat', 'dog'],
    colLabels: ['cat', 'dog'],
    values: [[90, 10], [NaN, 85]],
    xLabel: 'Predicted',
    yLabel: 'True',
  });
  assertWellFormed(svg);
  const t = texts(svg);
  for (const expected of ['Confusion matrix', 'Predicted', 'True', 'cat', 'dog', '90', '10', '85']) assert.ok(t.includes(expected), `missing "${expected}"`);
  assert.match(svg, /fill="#ffffff">90<\/text>/, 'the darkest cell has white text');
  assert.match(svg, /fill="#222222">10<\/text>/, 'a light cell has dark text');
  const custom = heatmap({ title: 'rates', rowLabels: ['a'], colLabels: ['b', 'c'], values: [[0.123, 0.877]], format: (v) => `${(v * 100).toFixed(1)}%` });
  assert.ok(texts(custom).includes('87.7%'));
  assert.throws(() => heatmap({ title: 'bad', rowLabels: ['a', 'b'], colLabels: ['x'], values: [[1]] }), MobileNetError);
  await assertRenders(svg);
});

test('panelGrid: one titled panel per n, a dot per finite point coloured along the curve', async () => {
  const spiral: Array<[number, number]> = [];
  const colors: number[] = [];
  for (let i = 0; i < 100; i++) {
    const t = i / 99;
    spiral.push([(0.2 + t) * Math.cos(4 * Math.PI * t), (0.2 + t) * Math.sin(4 * Math.PI * t)]);
    colors.push(t);
  }
  const panels: ScatterPanel[] = [2, 3, 5, 15, 30].map((n) => ({ title: `n = ${n}`, points: spiral.map(([x, y]) => [Math.max(0, x) * n, y] as const), colors }));
  panels.push({ title: 'with NaN', points: [[0, 0], [NaN, 1], [1, 1]] });
  const svg = panelGrid({ title: 'Figure 1', panels, columns: 3 });
  assertWellFormed(svg);
  const t = texts(svg);
  for (const n of [2, 3, 5, 15, 30]) assert.ok(t.includes(`n = ${n}`));
  assert.equal([...svg.matchAll(/<circle /g)].length, 5 * 100 + 2);
  assert.match(svg, /fill="#440154"/, 'the start of the curve is dark purple');
  assert.match(svg, /fill="#fde725"/, 'the end of the curve is yellow');
  await assertRenders(svg);
});

// ---------------------------------------------------------------------------------------------
// PNG

const sample = (): string =>
  lineChart({ title: 'Sample', xLabel: 'x', yLabel: 'y', series: [{ name: 'a', points: curve(8, (e) => e * e) }, { name: 'b', points: curve(8, (e) => 2 * e) }] });

test('svgToPng renders at the requested width, and not blank', async () => {
  const png = await svgToPng(sample(), { width: 400 });
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const meta = await sharp(png).metadata();
  assert.equal(meta.format, 'png');
  assert.equal(meta.width, 400);
  assert.equal(meta.height, 250, 'aspect ratio of the 720 × 450 SVG is kept');
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let dark = 0;
  for (let i = 0; i < data.length; i += info.channels) if (data[i]! < 128 || data[i + 1]! < 128 || data[i + 2]! < 128) dark++;
  assert.ok(dark > 200, `expected drawn pixels, found ${dark}`);

  const natural = await sharp(await svgToPng(sample())).metadata();
  assert.equal(natural.width, 720);
  const doubled = await sharp(await svgToPng(sample(), { density: 144 })).metadata();
  assert.equal(doubled.width, 1440);
  await assert.rejects(svgToPng(sample(), { width: 0 }), MobileNetError);
  await assert.rejects(svgToPng('<svg', {}), (e: unknown) => e instanceof MobileNetError && e.code === 'INVALID_FORMAT');
});

test('writePlot writes PNG or SVG atomically and leaves no temp file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mobilenet-plot-'));
  try {
    const svg = sample();
    await writePlot(join(dir, 'curve.png'), svg, { width: 300 });
    await writePlot(join(dir, 'curve.svg'), svg);
    assert.deepEqual(readdirSync(dir).sort(), ['curve.png', 'curve.svg']);
    assert.equal(readFileSync(join(dir, 'curve.svg'), 'utf8'), svg);
    assert.equal((await sharp(readFileSync(join(dir, 'curve.png'))).metadata()).width, 300);
    // Overwriting replaces the file whole.
    await writePlot(join(dir, 'curve.png'), svg, { width: 200 });
    assert.equal((await sharp(readFileSync(join(dir, 'curve.png'))).metadata()).width, 200);
    await assert.rejects(writePlot(join(dir, 'curve.jpg'), svg), (e: unknown) => e instanceof MobileNetError && e.code === 'INVALID_ARGUMENT');
    await assert.rejects(writePlot(join(dir, 'missing', 'x.png'), svg), (e: unknown) => e instanceof MobileNetError && e.code === 'IO_ERROR');
    assert.deepEqual(readdirSync(dir).sort(), ['curve.png', 'curve.svg'], 'failed writes leave nothing behind');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
