/**
 * SVG charts as strings, with no dependencies and no browser: line charts (training curves),
 * grouped bar charts (cost comparisons), scatter plots (accuracy vs MACs, log x), heat maps
 * (confusion matrices) and grids of small scatter panels (MobileNetV2's Figure 1).
 *
 * Every chart has a title, tick labels on 1–2–5 steps (powers of ten on log axes), axis labels
 * (with units when given), a legend when there is more than one series, colour-blind-safe colours
 * and margins computed from the label sizes. Text is XML-escaped; non-finite values (and values
 * ≤ 0 on log axes) are skipped. The same input always gives the same string.
 * Rasterize with `svgToPng` / `writePlot` (src/node/plot.ts).
 */
import { invalidArgument } from '../errors.js';
import { darken, heatColor, paletteColor, sequentialColor, textColorOn } from './color.js';
import { centredBaseline, markerElement, markerShape, num, svgDocument, textElement } from './elements.js';
import {
  LABEL_SIZE,
  PAD,
  TICK_SIZE,
  TITLE_SIZE,
  layoutFrame,
  plotClip,
  renderTitle,
  titleBlockHeight,
  titleLines,
  withUnit,
  type LegendEntry,
} from './frame.js';
import { axisToPixels, formatNumber, linearAxis, logAxis, type Axis } from './scale.js';
import { escapeXml, textWidth } from './text.js';

export type Point = readonly [x: number, y: number];

const DEFAULT_WIDTH = 720;
const DEFAULT_HEIGHT = 450;
const VERTICAL_TICK_SPACING = 40;

function horizontalSpacing(labels: readonly string[]): number {
  return Math.max(50, Math.max(0, ...labels.map((l) => textWidth(l, TICK_SIZE))) + 20);
}

function checkSize(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < min) throw invalidArgument(`${name} must be a number ≥ ${min}, got ${value}`);
  return value;
}

function checkRange(name: string, range: readonly [number, number] | undefined, log: boolean): void {
  if (range === undefined) return;
  const [lo, hi] = range;
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi) || (log && !(lo > 0))) {
    throw invalidArgument(`${name} must be [min, max] with finite min < max${log ? ' and min > 0 (log axis)' : ''}, got [${lo}, ${hi}]`);
  }
}

/** Smallest and largest of the values that can be shown (finite, and > 0 on a log axis). */
function extent(values: Iterable<number>, log: boolean): { min?: number; max?: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v) || (log && v <= 0)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min <= max ? { min, max } : {};
}

function usable(v: number, log: boolean): boolean {
  return Number.isFinite(v) && (!log || v > 0);
}

/** An axis builder: a fixed range, or the data range (optionally padded by a fraction of its span). */
function numericAxis(
  data: { min?: number; max?: number },
  options: { log: boolean; fixed?: readonly [number, number]; horizontal: boolean; integer?: boolean; pad?: number },
): (length: number) => Axis {
  const minSpacing = options.horizontal ? horizontalSpacing : () => VERTICAL_TICK_SPACING;
  return (length) => {
    if (options.log) {
      return logAxis({ dataMin: data.min, dataMax: data.max, fixed: options.fixed, length, minSpacing, snap: 'pad' });
    }
    let { min, max } = data;
    if (options.pad && min !== undefined && max !== undefined && max > min) {
      const pad = (max - min) * options.pad;
      min -= pad;
      max += pad;
    }
    return linearAxis({ dataMin: min, dataMax: max, fixed: options.fixed, length, minSpacing, integer: options.integer });
  };
}

function seriesColor(color: string | undefined, index: number): string {
  return color ?? paletteColor(index);
}

// ---------------------------------------------------------------------------------------------
// Line chart

export interface LineSeries {
  readonly name: string;
  readonly points: readonly Point[];
  readonly dashed?: boolean;
  /** A CSS colour; default: the palette colour for the series' position. */
  readonly color?: string;
  /** Draw a marker on every point; default: when the series has at most 40 points. */
  readonly markers?: boolean;
}

export interface LineChartOptions {
  readonly title: string;
  readonly xLabel?: string;
  readonly yLabel?: string;
  /** Units, appended to the axis labels in parentheses. */
  readonly xUnit?: string;
  readonly yUnit?: string;
  readonly series: readonly LineSeries[];
  readonly xRange?: readonly [number, number];
  readonly yRange?: readonly [number, number];
  readonly logY?: boolean;
  readonly width?: number;
  readonly height?: number;
}

/** Lines through (x, y) points, e.g. loss or accuracy per epoch for training and validation.
 * A non-finite point breaks the line; x ticks are whole numbers when every x is. */
export function lineChart(options: LineChartOptions): string {
  const width = checkSize('width', options.width, DEFAULT_WIDTH, 120);
  const height = checkSize('height', options.height, DEFAULT_HEIGHT, 100);
  const logY = options.logY ?? false;
  checkRange('xRange', options.xRange, false);
  checkRange('yRange', options.yRange, logY);
  const shown = (p: Point): boolean => usable(p[0], false) && usable(p[1], logY);
  const points = options.series.flatMap((s) => s.points.filter(shown));
  const xData = extent(points.map((p) => p[0]), false);
  const yData = extent(points.map((p) => p[1]), logY);
  const integerX = points.length > 0 && points.every((p) => Number.isInteger(p[0]));
  const legend: LegendEntry[] =
    options.series.length > 1
      ? options.series.map((s, i) => ({ name: s.name, color: seriesColor(s.color, i), kind: 'line', dashed: s.dashed ?? false, marker: markerShape(i) }))
      : [];
  const frame = layoutFrame({
    width,
    height,
    title: options.title,
    xLabel: withUnit(options.xLabel, options.xUnit),
    yLabel: withUnit(options.yLabel, options.yUnit),
    legend,
    x: { kind: 'numeric', build: numericAxis(xData, { log: false, fixed: options.xRange, horizontal: true, integer: integerX }) },
    buildY: numericAxis(yData, { log: logY, fixed: options.yRange, horizontal: false }),
  });
  const clip = plotClip(frame.plot, 0, 'lines');
  const lines: string[] = [];
  const marks: string[] = [];
  options.series.forEach((series, i) => {
    const color = escapeXml(seriesColor(series.color, i));
    const finite = series.points.filter(shown).length;
    const withMarkers = series.markers ?? finite <= 40;
    const dash = series.dashed ? ' stroke-dasharray="7 5"' : '';
    // Split into runs of consecutive usable points.
    const runs: Point[][] = [];
    let run: Point[] = [];
    for (const p of series.points) {
      if (shown(p)) run.push(p);
      else if (run.length > 0) {
        runs.push(run);
        run = [];
      }
    }
    if (run.length > 0) runs.push(run);
    for (const r of runs) {
      if (r.length > 1) {
        const d = r.map((p, j) => `${j === 0 ? 'M' : 'L'}${num(frame.xPixel(p[0]))},${num(frame.yPixel(p[1]))}`).join('');
        lines.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2.2" stroke-linejoin="round" stroke-linecap="round"${dash}/>`);
      }
      if (withMarkers || r.length === 1) {
        for (const p of r) marks.push(markerElement(markerShape(i), frame.xPixel(p[0]), frame.yPixel(p[1]), 7, seriesColor(series.color, i)));
      }
    }
  });
  const clipMarkers = plotClip(frame.plot, 5, 'markers');
  const body = [
    clip.defs,
    clipMarkers.defs,
    frame.background,
    `<g ${clip.attribute}>`,
    ...lines,
    '</g>',
    `<g ${clipMarkers.attribute}>`,
    ...marks,
    '</g>',
    frame.foreground,
  ];
  return svgDocument(width, height, options.title, body.join('\n'));
}

// ---------------------------------------------------------------------------------------------
// Bar chart

export interface BarSeries {
  readonly name: string;
  /** One value per category; NaN leaves a gap. */
  readonly values: readonly number[];
  readonly color?: string;
}

export interface BarChartOptions {
  readonly title: string;
  readonly xLabel?: string;
  readonly yLabel?: string;
  readonly yUnit?: string;
  readonly categories: readonly string[];
  readonly series: readonly BarSeries[];
  /** Log-scale value axis (bars start at a power of ten below the smallest value). */
  readonly logY?: boolean;
  /** Write each bar's value at its end (default true). */
  readonly valueLabels?: boolean;
  /** Text of value labels; default `formatNumber` (three significant digits, k/M/G). */
  readonly formatValue?: (value: number) => string;
  readonly width?: number;
  readonly height?: number;
}

const VALUE_SIZE = 11;

/** Grouped bars: one group per category, one bar per series, values written on the bars' ends. */
export function barChart(options: BarChartOptions): string {
  const width = checkSize('width', options.width, DEFAULT_WIDTH, 120);
  const height = checkSize('height', options.height, DEFAULT_HEIGHT, 100);
  const logY = options.logY ?? false;
  const nCategories = options.categories.length;
  options.series.forEach((s) => {
    if (s.values.length !== nCategories) {
      throw invalidArgument(`bar series "${s.name}" has ${s.values.length} values, expected one per category (${nCategories})`);
    }
  });
  const format = options.formatValue ?? formatNumber;
  const showValues = options.valueLabels ?? true;
  const nSeries = Math.max(1, options.series.length);
  const all = options.series.flatMap((s) => s.values);
  const data = extent(all, logY);
  const labelled = (v: number): boolean => usable(v, logY);
  const labels = options.series.map((s) => s.values.map((v) => (labelled(v) ? format(v) : '')));
  const widestLabel = Math.max(0, ...labels.flat().map((l) => textWidth(l, VALUE_SIZE)));
  const hasNegative = !logY && (data.min ?? 0) < 0;

  // Whether value labels are written sideways (bars too thin) is decided from the plot width of
  // the frame's previous layout pass; the value axis leaves room for them at the bars' ends.
  let slot = ((width - 2 * PAD - 80) * 0.8) / nSeries / Math.max(1, nCategories);
  let rotateValues = false;
  const buildY = (length: number): Axis => {
    rotateValues = widestLabel > slot - 2;
    const room = showValues ? (rotateValues ? widestLabel + 8 : VALUE_SIZE + 8) : 4;
    const usableFraction = Math.max(0.3, 1 - (room * (hasNegative ? 2 : 1)) / length);
    if (logY) {
      if (data.min === undefined || data.max === undefined) return logAxis({ length, minSpacing: () => VERTICAL_TICK_SPACING, snap: 'decade' });
      const lo = Math.floor(Math.log10(data.min) + 1e-9);
      const hi = lo + (Math.log10(data.max) - lo) / usableFraction;
      return logAxis({ dataMin: data.min, dataMax: 10 ** hi, length, minSpacing: () => VERTICAL_TICK_SPACING, snap: 'decade' });
    }
    const lo = Math.min(0, data.min ?? 0);
    const hi = Math.max(0, data.max ?? 1);
    const span = (hi - lo) / usableFraction;
    const extra = span - (hi - lo);
    return linearAxis({
      dataMin: hasNegative ? lo - extra / 2 : lo,
      dataMax: hasNegative ? hi + extra / 2 : lo + span,
      length,
      minSpacing: () => VERTICAL_TICK_SPACING,
    });
  };
  const legend: LegendEntry[] = options.series.length > 1 ? options.series.map((s, i) => ({ name: s.name, color: seriesColor(s.color, i), kind: 'swatch' })) : [];
  const frame = layoutFrame({
    width,
    height,
    title: options.title,
    xLabel: options.xLabel,
    yLabel: withUnit(options.yLabel, options.yUnit),
    legend,
    x: { kind: 'bands', categories: options.categories },
    buildY,
  });
  slot = (frame.bandWidth * 0.8) / nSeries;
  const baseValue = logY ? frame.yAxis.domain[0] : Math.min(Math.max(0, frame.yAxis.domain[0]), frame.yAxis.domain[1]);
  const base = frame.yPixel(baseValue);
  const bars: string[] = [];
  const values: string[] = [];
  const groupWidth = frame.bandWidth * 0.8;
  const barWidth = groupWidth / nSeries;
  const gap = Math.min(2, barWidth * 0.1);
  options.series.forEach((series, s) => {
    const color = escapeXml(seriesColor(series.color, s));
    series.values.forEach((v, c) => {
      const x = frame.xPixel(c) - groupWidth / 2 + s * barWidth;
      if (!labelled(v)) {
        // Say that the value is missing rather than leave a gap that reads as zero.
        if (showValues && !(logY && v <= 0)) values.push(textElement(x + barWidth / 2, base - 4, 'n/a', { size: VALUE_SIZE, anchor: 'middle', fill: '#888888' }));
        return;
      }
      const y = frame.yPixel(v);
      const top = Math.min(y, base);
      const h = Math.abs(base - y);
      bars.push(`<rect x="${num(x + gap / 2)}" y="${num(top)}" width="${num(Math.max(barWidth - gap, 0.5))}" height="${num(h)}" fill="${color}"/>`);
      if (!showValues) return;
      const cx = x + barWidth / 2;
      const up = logY || v >= 0;
      const label = labels[s]![c]!;
      if (rotateValues) {
        const yEnd = up ? y - 4 : y + 4;
        values.push(textElement(cx + VALUE_SIZE * 0.36, yEnd, label, { size: VALUE_SIZE, anchor: up ? 'start' : 'end', fill: '#333333', rotate: -90 }));
      } else {
        values.push(textElement(cx, up ? y - 4 : y + 4 + VALUE_SIZE * 0.8, label, { size: VALUE_SIZE, anchor: 'middle', fill: '#333333' }));
      }
    });
  });
  const zeroLine = !logY && frame.yAxis.domain[0] < 0 ? `<line x1="${num(frame.plot.left)}" y1="${num(base)}" x2="${num(frame.plot.left + frame.plot.width)}" y2="${num(base)}" stroke="#555555" stroke-width="1"/>` : '';
  const body = [frame.background, ...bars, zeroLine, frame.foreground, ...values].filter((s) => s !== '');
  return svgDocument(width, height, options.title, body.join('\n'));
}

// ---------------------------------------------------------------------------------------------
// Scatter chart

export interface ScatterPoint {
  readonly x: number;
  readonly y: number;
  /** Written next to the point, placed where it overlaps least. */
  readonly label?: string;
}

export interface ScatterSeries {
  readonly name: string;
  readonly points: readonly ScatterPoint[];
  readonly color?: string;
  /** Join the points with a thin line in the order given. */
  readonly connect?: boolean;
}

export interface ScatterChartOptions {
  readonly title: string;
  readonly xLabel?: string;
  readonly yLabel?: string;
  readonly xUnit?: string;
  readonly yUnit?: string;
  readonly logX?: boolean;
  readonly logY?: boolean;
  readonly series: readonly ScatterSeries[];
  readonly xRange?: readonly [number, number];
  readonly yRange?: readonly [number, number];
  readonly width?: number;
  readonly height?: number;
}

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

function overlap(a: Box, b: Box): number {
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

const POINT_LABEL_SIZE = 11;
const MARKER_SIZE = 10;

/** Points, one colour and marker shape per series, optionally labelled and joined. */
export function scatterChart(options: ScatterChartOptions): string {
  const width = checkSize('width', options.width, DEFAULT_WIDTH, 120);
  const height = checkSize('height', options.height, 480, 100);
  const logX = options.logX ?? false;
  const logY = options.logY ?? false;
  checkRange('xRange', options.xRange, logX);
  checkRange('yRange', options.yRange, logY);
  const shown = (p: ScatterPoint): boolean => usable(p.x, logX) && usable(p.y, logY);
  const points = options.series.flatMap((s) => s.points.filter(shown));
  const legend: LegendEntry[] =
    options.series.length > 1 ? options.series.map((s, i) => ({ name: s.name, color: seriesColor(s.color, i), kind: s.connect ? 'line' : 'marker', marker: markerShape(i) })) : [];
  const frame = layoutFrame({
    width,
    height,
    title: options.title,
    xLabel: withUnit(options.xLabel, options.xUnit),
    yLabel: withUnit(options.yLabel, options.yUnit),
    legend,
    x: { kind: 'numeric', build: numericAxis(extent(points.map((p) => p.x), logX), { log: logX, fixed: options.xRange, horizontal: true, pad: 0.05 }) },
    buildY: numericAxis(extent(points.map((p) => p.y), logY), { log: logY, fixed: options.yRange, horizontal: false, pad: 0.05 }),
  });
  const clip = plotClip(frame.plot, 6, 'points');
  const lines: string[] = [];
  const marks: string[] = [];
  const obstacles: Box[] = [];
  const toLabel: Array<{ px: number; py: number; text: string; color: string }> = [];
  options.series.forEach((series, i) => {
    const color = seriesColor(series.color, i);
    const visible = series.points.filter(shown);
    const pixels = visible.map((p) => [frame.xPixel(p.x), frame.yPixel(p.y)] as const);
    if (series.connect && pixels.length > 1) {
      const d = pixels.map(([x, y], j) => `${j === 0 ? 'M' : 'L'}${num(x)},${num(y)}`).join('');
      lines.push(`<path d="${d}" fill="none" stroke="${escapeXml(color)}" stroke-width="1.5" stroke-opacity="0.7"/>`);
    }
    visible.forEach((p, j) => {
      const [px, py] = pixels[j]!;
      marks.push(markerElement(markerShape(i), px, py, MARKER_SIZE, color));
      obstacles.push({ x: px - MARKER_SIZE / 2 - 1, y: py - MARKER_SIZE / 2 - 1, w: MARKER_SIZE + 2, h: MARKER_SIZE + 2 });
      if (p.label !== undefined && p.label !== '') toLabel.push({ px, py, text: p.label, color: darken(color, 0.35) });
    });
  });
  const labels = placePointLabels(toLabel, obstacles, frame.plot);
  const body = [clip.defs, frame.background, `<g ${clip.attribute}>`, ...lines, ...marks, '</g>', ...labels, frame.foreground];
  return svgDocument(width, height, options.title, body.join('\n'));
}

/** Greedy label placement (labels take their series' colour, darkened for contrast): for each point in turn, the first of eight positions around it that
 * stays inside the plot and overlaps nothing placed so far, else the one that overlaps least. */
function placePointLabels(
  items: ReadonlyArray<{ px: number; py: number; text: string; color: string }>,
  obstacles: Box[],
  plot: { left: number; top: number; width: number; height: number },
): string[] {
  const out: string[] = [];
  const h = POINT_LABEL_SIZE;
  const d = MARKER_SIZE / 2 + 3;
  for (const { px, py, text, color } of items) {
    const w = textWidth(text, POINT_LABEL_SIZE);
    const candidates: Box[] = [
      { x: px + d, y: py - h / 2, w, h }, // right
      { x: px - d - w, y: py - h / 2, w, h }, // left
      { x: px - w / 2, y: py - d - h, w, h }, // above
      { x: px - w / 2, y: py + d, w, h }, // below
      { x: px + d - 2, y: py - d - h + 2, w, h }, // upper right
      { x: px + d - 2, y: py + d - 2, w, h }, // lower right
      { x: px - d - w + 2, y: py - d - h + 2, w, h }, // upper left
      { x: px - d - w + 2, y: py + d - 2, w, h }, // lower left
    ];
    let best = candidates[0]!;
    let bestScore = Infinity;
    for (const box of candidates) {
      const outside =
        Math.max(0, plot.left - box.x) + Math.max(0, box.x + box.w - (plot.left + plot.width)) + Math.max(0, plot.top - box.y) + Math.max(0, box.y + box.h - (plot.top + plot.height));
      let score = outside * 1000;
      for (const o of obstacles) score += overlap(box, o);
      if (score < bestScore) {
        best = box;
        bestScore = score;
        if (score === 0) break;
      }
    }
    obstacles.push(best);
    out.push(textElement(best.x, best.y + h * 0.82, text, { size: POINT_LABEL_SIZE, fill: color }));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Heat map

export interface HeatmapOptions {
  readonly title: string;
  /** One label per row of `values` (a confusion matrix: the true classes). */
  readonly rowLabels: readonly string[];
  /** One label per column (the predicted classes). */
  readonly colLabels: readonly string[];
  /** values[row][col]; NaN cells are drawn grey without a number. */
  readonly values: ReadonlyArray<readonly number[]>;
  readonly xLabel?: string;
  readonly yLabel?: string;
  /** Text written in each cell; default: integers as they are, other values with three significant digits. */
  readonly format?: (value: number) => string;
  /** Values mapped to the lightest and darkest colour; default [min(0, smallest), largest]. */
  readonly colorRange?: readonly [number, number];
  /** Cell side in pixels; default chosen from the matrix size (56 px for up to 8 rows/columns). */
  readonly cellSize?: number;
  /** Draw a colour scale to the right (default true). */
  readonly colorbar?: boolean;
}

/** A matrix of coloured cells with the value written in each; light for small values, dark for large. */
export function heatmap(options: HeatmapOptions): string {
  const rows = options.rowLabels.length;
  const cols = options.colLabels.length;
  if (options.values.length !== rows) throw invalidArgument(`heatmap has ${options.values.length} rows of values, expected ${rows} (one per row label)`);
  options.values.forEach((row, r) => {
    if (row.length !== cols) throw invalidArgument(`heatmap row ${r} has ${row.length} values, expected ${cols} (one per column label)`);
  });
  const cell = checkSize('cellSize', options.cellSize, Math.max(10, Math.min(56, Math.floor(480 / Math.max(1, rows, cols)))), 2);
  const format = options.format ?? ((v: number) => (Number.isInteger(v) ? String(v) : formatNumber(v)));
  const data = extent(options.values.flat(), false);
  if (options.colorRange) checkRange('colorRange', options.colorRange, false);
  const colorLo = options.colorRange?.[0] ?? Math.min(0, data.min ?? 0);
  const colorHi = options.colorRange?.[1] ?? Math.max(colorLo + 1e-12, data.max ?? 1);
  const shade = (v: number): number => (colorHi > colorLo ? (v - colorLo) / (colorHi - colorLo) : 0);
  const showColorbar = options.colorbar ?? true;

  // Horizontal sizes.
  const labelSize = Math.min(TICK_SIZE, Math.max(7, cell * 0.7));
  const rowLabelWidth = Math.max(0, ...options.rowLabels.map((l) => textWidth(l, labelSize)));
  const colWidths = options.colLabels.map((l) => textWidth(l, labelSize));
  const rotateCols = colWidths.some((w) => w > cell - 4);
  const angle = (45 * Math.PI) / 180;
  const colLabelHeight = rotateCols ? Math.max(0, ...colWidths) * Math.sin(angle) + labelSize : labelSize + 2;
  const yLabelSpace = options.yLabel ? LABEL_SIZE + 10 : 0;
  const xLabelSpace = options.xLabel ? LABEL_SIZE + 12 : 0;
  let left = PAD + yLabelSpace + rowLabelWidth + 8;
  if (rotateCols) left = Math.max(left, PAD + (colWidths[0] ?? 0) * Math.cos(angle) - cell / 2 + 4);
  const gridWidth = cols * cell;
  const gridHeight = rows * cell;

  // Colour bar: ticks on the colour range.
  const barWidth = 14;
  const colorAxis = showColorbar
    ? linearAxis({ fixed: [colorLo, colorHi > colorLo ? colorHi : colorLo + 1], length: Math.max(gridHeight, 60), minSpacing: () => 30 })
    : undefined;
  const colorTickWidth = colorAxis ? Math.max(0, ...colorAxis.ticks.map((t) => textWidth(t.label, TICK_SIZE))) : 0;
  const colorbarSpace = showColorbar ? 24 + barWidth + 6 + colorTickWidth : 0;
  const contentWidth = left + gridWidth + colorbarSpace + PAD;
  const minWidth = textWidth(options.title, TITLE_SIZE, 'bold') + 3 * PAD;
  const width = Math.ceil(Math.max(contentWidth, Math.min(minWidth, 900), 240));
  const shift = (width - contentWidth) / 2; // centre the content when the title is wider
  left += shift;

  const titles = titleLines(options.title, width);
  const top = PAD + titleBlockHeight(titles) + 4;
  const gridBottom = top + gridHeight;
  const height = Math.ceil(gridBottom + 6 + colLabelHeight + xLabelSpace + PAD);

  const parts: string[] = [];
  parts.push(renderTitle(titles, width / 2, PAD));
  const valueSize = Math.min(13, cell * 0.36);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = options.values[r]![c]!;
      const x = left + c * cell;
      const y = top + r * cell;
      if (!Number.isFinite(v)) {
        parts.push(`<rect x="${num(x)}" y="${num(y)}" width="${num(cell)}" height="${num(cell)}" fill="#dddddd"/>`);
        continue;
      }
      const fill = heatColor(shade(v));
      parts.push(`<rect x="${num(x)}" y="${num(y)}" width="${num(cell)}" height="${num(cell)}" fill="${fill}"/>`);
      const text = format(v);
      const fitSize = Math.min(valueSize, ((cell - 4) / Math.max(1, textWidth(text, 1))) * 0.98);
      if (fitSize >= 6.5) {
        // Zeros in grey: the eye goes to the cells that hold something.
        const ink = v === 0 && shade(v) < 0.3 ? '#9a9a9a' : textColorOn(fill);
        parts.push(textElement(x + cell / 2, centredBaseline(y + cell / 2, fitSize), text, { size: fitSize, anchor: 'middle', fill: ink }));
      }
    }
  }
  parts.push(`<rect x="${num(left)}" y="${num(top)}" width="${num(gridWidth)}" height="${num(gridHeight)}" fill="none" stroke="#555555" stroke-width="1"/>`);
  options.rowLabels.forEach((label, r) => {
    parts.push(textElement(left - 6, centredBaseline(top + (r + 0.5) * cell, labelSize), label, { size: labelSize, anchor: 'end', fill: '#333333' }));
  });
  options.colLabels.forEach((label, c) => {
    const x = left + (c + 0.5) * cell;
    if (rotateCols) parts.push(textElement(x + labelSize * 0.3, gridBottom + 6 + labelSize * 0.5, label, { size: labelSize, anchor: 'end', fill: '#333333', rotate: -45 }));
    else parts.push(textElement(x, gridBottom + 6 + labelSize * 0.85, label, { size: labelSize, anchor: 'middle', fill: '#333333' }));
  });
  if (options.xLabel) {
    parts.push(textElement(left + gridWidth / 2, gridBottom + 6 + colLabelHeight + 8 + LABEL_SIZE * 0.8, options.xLabel, { size: LABEL_SIZE, anchor: 'middle', fill: '#222222' }));
  }
  if (options.yLabel) {
    parts.push(textElement(shift + PAD + LABEL_SIZE * 0.8, top + gridHeight / 2, options.yLabel, { size: LABEL_SIZE, anchor: 'middle', fill: '#222222', rotate: -90 }));
  }
  if (colorAxis) {
    const barLeft = left + gridWidth + 24;
    const barHeight = Math.max(gridHeight, 60);
    const steps = 64;
    for (let i = 0; i < steps; i++) {
      // Bottom = low values; each strip overlaps the next by a pixel to avoid seams.
      const y = top + barHeight - ((i + 1) * barHeight) / steps;
      parts.push(`<rect x="${num(barLeft)}" y="${num(y)}" width="${barWidth}" height="${num(barHeight / steps + (i < steps - 1 ? 1 : 0))}" fill="${heatColor((i + 0.5) / steps)}"/>`);
    }
    parts.push(`<rect x="${num(barLeft)}" y="${num(top)}" width="${barWidth}" height="${num(barHeight)}" fill="none" stroke="#555555" stroke-width="1"/>`);
    const toPixel = axisToPixels(colorAxis, top + barHeight, top);
    for (const t of colorAxis.ticks) {
      const y = toPixel(t.value);
      parts.push(`<line x1="${num(barLeft + barWidth)}" y1="${num(y)}" x2="${num(barLeft + barWidth + 4)}" y2="${num(y)}" stroke="#555555" stroke-width="1"/>`);
      parts.push(textElement(barLeft + barWidth + 6, centredBaseline(y, TICK_SIZE), t.label, { size: TICK_SIZE, fill: '#333333' }));
    }
  }
  return svgDocument(width, height, options.title, parts.join('\n'));
}

// ---------------------------------------------------------------------------------------------
// Panel grid

export interface ScatterPanel {
  readonly title: string;
  readonly points: readonly Point[];
  /** One value in [0, 1] per point, coloured dark purple → yellow (e.g. position along a spiral). */
  readonly colors?: readonly number[];
}

export interface PanelGridOptions {
  readonly title: string;
  readonly panels: readonly ScatterPanel[];
  /** Panels per row (default: up to 4). */
  readonly columns?: number;
  /** Side of each square panel in pixels (default 200). */
  readonly panelSize?: number;
  /** Point radius in pixels (default: from the panel size). */
  readonly pointRadius?: number;
  /** Use one scale for all panels (default: each panel fits its own points). */
  readonly sharedScale?: boolean;
}

const PANEL_TITLE_SIZE = 13;

/** Small square scatter panels with equal x and y scales, in a grid with a title over each. */
export function panelGrid(options: PanelGridOptions): string {
  const n = options.panels.length;
  const columns = Math.max(1, Math.min(n, Math.floor(checkSize('columns', options.columns, Math.min(4, Math.max(1, n)), 1))));
  const rowsCount = Math.max(1, Math.ceil(n / columns));
  const size = checkSize('panelSize', options.panelSize, 200, 20);
  const radius = checkSize('pointRadius', options.pointRadius, Math.max(1, size / 110), 0.1);
  const gap = 18;
  const panelTitleHeight = PANEL_TITLE_SIZE + 8;
  const gridWidth = columns * size + (columns - 1) * gap;
  const titleWidth = textWidth(options.title, TITLE_SIZE, 'bold') + 3 * PAD;
  const width = Math.ceil(Math.max(gridWidth + 2 * PAD, Math.min(titleWidth, 900), 200));
  const titles = titleLines(options.title, width);
  const top = PAD + titleBlockHeight(titles) + 4;
  const height = Math.ceil(top + rowsCount * (panelTitleHeight + size) + (rowsCount - 1) * gap + PAD);
  const left = (width - gridWidth) / 2;

  // Equal-aspect square view of a set of points: centred box whose side is the larger span + 8%.
  const view = (points: readonly Point[]): { cx: number; cy: number; half: number } => {
    const xs = extent(points.map((p) => p[0]), false);
    const ys = extent(points.map((p) => p[1]), false);
    if (xs.min === undefined || ys.min === undefined) return { cx: 0, cy: 0, half: 1 };
    const span = Math.max(xs.max! - xs.min, ys.max! - ys.min);
    const half = span > 0 ? (span / 2) * 1.08 : Math.max(1, Math.abs(xs.min), Math.abs(ys.min)) * 0.5;
    return { cx: (xs.min + xs.max!) / 2, cy: (ys.min + ys.max!) / 2, half };
  };
  const shared = options.sharedScale ? view(options.panels.flatMap((p) => p.points)) : undefined;

  const parts: string[] = [renderTitle(titles, width / 2, PAD)];
  options.panels.forEach((panel, i) => {
    const col = i % columns;
    const row = Math.floor(i / columns);
    const x0 = left + col * (size + gap);
    const y0 = top + row * (panelTitleHeight + size + gap) + panelTitleHeight;
    parts.push(textElement(x0 + size / 2, y0 - 7, panel.title, { size: PANEL_TITLE_SIZE, anchor: 'middle', weight: 'bold', fill: '#222222' }));
    parts.push(`<rect x="${num(x0)}" y="${num(y0)}" width="${num(size)}" height="${num(size)}" fill="#fafafa" stroke="#999999" stroke-width="1"/>`);
    const { cx, cy, half } = shared ?? view(panel.points);
    const scale = size / 2 / half;
    const dots: string[] = [];
    panel.points.forEach((p, j) => {
      if (!Number.isFinite(p[0]) || !Number.isFinite(p[1])) return;
      const t = panel.colors?.[j];
      const fill = t === undefined ? paletteColor(0) : Number.isFinite(t) ? sequentialColor(t) : '#999999';
      dots.push(`<circle cx="${num(x0 + size / 2 + (p[0] - cx) * scale)}" cy="${num(y0 + size / 2 - (p[1] - cy) * scale)}" r="${num(radius)}" fill="${fill}"/>`);
    });
    parts.push(`<g>${dots.join('')}</g>`);
  });
  if (n === 0) parts.push(textElement(width / 2, top + 20, 'no panels', { size: PANEL_TITLE_SIZE, anchor: 'middle', fill: '#777777' }));
  return svgDocument(width, height, options.title, parts.join('\n'));
}
