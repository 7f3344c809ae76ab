/**
 * The frame shared by the x–y charts (lines, bars, scatter): title, legend, axes with ticks, grid
 * and axis labels, laid out so that every label fits. The chart supplies how to build its axes for
 * a given length in pixels; the frame answers with the plot rectangle and pixel mappings, and
 * wraps the chart's data layer (clipped to the plot area) into the finished picture.
 */
import { axisToPixels, type Axis } from './scale.js';
import { centredBaseline, ID_PLACEHOLDER, markerElement, num, textElement, type MarkerShape } from './elements.js';
import { escapeXml, textWidth, wrapText } from './text.js';

export const PAD = 16;
export const TITLE_SIZE = 18;
export const LABEL_SIZE = 14;
export const TICK_SIZE = 12;
export const LEGEND_SIZE = 12;
const TICK_LENGTH = 5;
const TICK_GAP = 4;
const TITLE_LINE = 23;
const LEGEND_ROW = 20;
const INK = '#222222';
const AXIS_COLOR = '#555555';
const TICK_TEXT = '#333333';
const GRID = '#e3e3e3';
const MINOR_GRID = '#f2f2f2';

export interface LegendEntry {
  readonly name: string;
  readonly color: string;
  /** How the sample is drawn: a line (with optional marker), a marker alone, or a filled square. */
  readonly kind: 'line' | 'marker' | 'swatch';
  readonly dashed?: boolean;
  readonly marker?: MarkerShape;
}

export interface Rect {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/** Text that may carry a unit: "Label (unit)". */
export function withUnit(label: string | undefined, unit: string | undefined): string | undefined {
  if (label === undefined || label === '') return unit ? `(${unit})` : undefined;
  return unit ? `${label} (${unit})` : label;
}

// ---------------------------------------------------------------------------------------------
// Title and legend (also used by the heat map and the panel grid)

export function titleLines(title: string, width: number): string[] {
  if (title.trim() === '') return [];
  return wrapText(title, width - 2 * PAD, TITLE_SIZE, 'bold').lines;
}

/** Height of the title block, including the gap below it. */
export function titleBlockHeight(lines: readonly string[]): number {
  return lines.length === 0 ? 0 : lines.length * TITLE_LINE + 6;
}

export function renderTitle(lines: readonly string[], centreX: number, top: number): string {
  return lines
    .map((line, i) => textElement(centreX, top + i * TITLE_LINE + TITLE_SIZE * 0.85, line, { size: TITLE_SIZE, anchor: 'middle', weight: 'bold', fill: INK }))
    .join('\n');
}

function sampleWidth(entry: LegendEntry): number {
  return entry.kind === 'line' ? 28 : 12;
}

function entryWidth(entry: LegendEntry): number {
  return sampleWidth(entry) + 6 + textWidth(entry.name, LEGEND_SIZE);
}

const LEGEND_ITEM_GAP = 20;

/** Legend entries in rows no wider than `maxWidth`. */
export function legendRows(entries: readonly LegendEntry[], maxWidth: number): LegendEntry[][] {
  const rows: LegendEntry[][] = [];
  let row: LegendEntry[] = [];
  let used = 0;
  for (const entry of entries) {
    const w = entryWidth(entry);
    if (row.length > 0 && used + LEGEND_ITEM_GAP + w > maxWidth) {
      rows.push(row);
      row = [];
      used = 0;
    }
    used += (row.length > 0 ? LEGEND_ITEM_GAP : 0) + w;
    row.push(entry);
  }
  if (row.length > 0) rows.push(row);
  return rows;
}

export function legendBlockHeight(rows: readonly LegendEntry[][]): number {
  return rows.length === 0 ? 0 : rows.length * LEGEND_ROW + 6;
}

/** Draws legend rows centred on `centreX`, the first row's centre line at `top + LEGEND_ROW / 2`. */
export function renderLegend(rows: readonly LegendEntry[][], centreX: number, top: number): string {
  const parts: string[] = [];
  rows.forEach((row, r) => {
    const rowWidth = row.reduce((sum, e) => sum + entryWidth(e), 0) + LEGEND_ITEM_GAP * (row.length - 1);
    let x = centreX - rowWidth / 2;
    const y = top + r * LEGEND_ROW + LEGEND_ROW / 2;
    for (const entry of row) {
      const sw = sampleWidth(entry);
      if (entry.kind === 'line') {
        const dash = entry.dashed ? ' stroke-dasharray="6 4"' : '';
        parts.push(`<line x1="${num(x)}" y1="${num(y)}" x2="${num(x + sw)}" y2="${num(y)}" stroke="${escapeXml(entry.color)}" stroke-width="2.5"${dash}/>`);
        if (entry.marker) parts.push(markerElement(entry.marker, x + sw / 2, y, 7, entry.color));
      } else if (entry.kind === 'marker') {
        parts.push(markerElement(entry.marker ?? 'circle', x + sw / 2, y, 9, entry.color));
      } else {
        parts.push(`<rect x="${num(x)}" y="${num(y - 6)}" width="12" height="12" fill="${escapeXml(entry.color)}"/>`);
      }
      parts.push(textElement(x + sw + 6, centredBaseline(y, LEGEND_SIZE), entry.name, { size: LEGEND_SIZE, fill: INK }));
      x += entryWidth(entry) + LEGEND_ITEM_GAP;
    }
  });
  return parts.join('\n');
}

// ---------------------------------------------------------------------------------------------
// The x–y frame

/** Category labels under bars: wrapped onto up to three lines, or rotated when a word is too wide. */
export interface BandLabels {
  readonly lines: readonly string[][];
  readonly rotated: boolean;
  /** Space they take below the tick marks, in pixels. */
  readonly height: number;
  /** How far the first label reaches left of its band's centre (rotated labels), in pixels. */
  readonly leftReach: number;
}

const ROTATION = 35;

function layoutBandLabels(categories: readonly string[], bandWidth: number): BandLabels {
  const wrapped = categories.map((c) => wrapText(c, Math.max(bandWidth - 6, 1), TICK_SIZE));
  if (wrapped.every((w) => w.fits && w.lines.length <= 3)) {
    const lines = wrapped.map((w) => w.lines);
    const most = Math.max(1, ...lines.map((l) => l.length));
    return { lines, rotated: false, height: most * (TICK_SIZE + 3), leftReach: 0 };
  }
  const angle = (ROTATION * Math.PI) / 180;
  const widths = categories.map((c) => textWidth(c, TICK_SIZE));
  const longest = Math.max(0, ...widths);
  return {
    lines: categories.map((c) => [c]),
    rotated: true,
    height: longest * Math.sin(angle) + TICK_SIZE * Math.cos(angle) + 2,
    // The baseline runs up-right from the text's start; glyph tops reach a little further left.
    leftReach: (widths[0] ?? 0) * Math.cos(angle) + TICK_SIZE * Math.sin(angle),
  };
}

export type XAxisSpec =
  | { readonly kind: 'numeric'; readonly build: (length: number) => Axis }
  | { readonly kind: 'bands'; readonly categories: readonly string[] };

export interface FrameOptions {
  readonly width: number;
  readonly height: number;
  readonly title: string;
  readonly xLabel?: string;
  readonly yLabel?: string;
  /** Drawn when not empty (charts pass entries only when there is more than one series). */
  readonly legend: readonly LegendEntry[];
  readonly x: XAxisSpec;
  readonly buildY: (length: number) => Axis;
}

export interface Frame {
  readonly plot: Rect;
  readonly xAxis?: Axis;
  readonly yAxis: Axis;
  /** Data value → pixel; for band axes, the category index → the band's centre. */
  readonly xPixel: (value: number) => number;
  readonly yPixel: (value: number) => number;
  /** Band width in pixels (band axes), else 0. */
  readonly bandWidth: number;
  /** Everything but the data: background layers (grid) and foreground layers (axes, labels). */
  readonly background: string;
  readonly foreground: string;
}

const MIN_PLOT = 40;

export function layoutFrame(options: FrameOptions): Frame {
  const { width, height } = options;
  const titles = titleLines(options.title, width);
  const legend = legendRows(options.legend, width - 2 * PAD);
  const top = PAD + titleBlockHeight(titles) + legendBlockHeight(legend) + 4;
  const yLabelSpace = options.yLabel ? LABEL_SIZE + 10 : 0;
  const xLabelSpace = options.xLabel ? LABEL_SIZE + 10 : 0;

  let bottom = PAD + TICK_LENGTH + TICK_GAP + TICK_SIZE + xLabelSpace;
  let right = PAD;
  let left = PAD;
  let yAxis!: Axis;
  let xAxis: Axis | undefined;
  let bands: BandLabels | undefined;
  let plotWidth = 0;
  let plotHeight = 0;
  for (let pass = 0; pass < 3; pass++) {
    plotHeight = Math.max(MIN_PLOT, height - top - bottom);
    yAxis = options.buildY(plotHeight);
    const yTickWidth = Math.max(0, ...yAxis.ticks.map((t) => textWidth(t.label, TICK_SIZE)));
    left = PAD + yLabelSpace + yTickWidth + TICK_LENGTH + TICK_GAP;
    plotWidth = Math.max(MIN_PLOT, width - left - right);
    if (options.x.kind === 'numeric') {
      xAxis = options.x.build(plotWidth);
      // The last tick label is centred on its tick: leave room for its right half.
      const last = xAxis.ticks[xAxis.ticks.length - 1];
      const toPixel = axisToPixels(xAxis, 0, plotWidth);
      const overhang = last ? toPixel(last.value) + textWidth(last.label, TICK_SIZE) / 2 - plotWidth : 0;
      right = Math.max(PAD, overhang + 6);
      const first = xAxis.ticks[0];
      const underhang = first ? textWidth(first.label, TICK_SIZE) / 2 - toPixel(first.value) - (left - 6) : 0;
      if (underhang > 0) left += underhang;
      plotWidth = Math.max(MIN_PLOT, width - left - right);
    } else {
      const n = Math.max(1, options.x.categories.length);
      bands = layoutBandLabels(options.x.categories, plotWidth / n);
      const reach = bands.leftReach - plotWidth / n / 2;
      if (reach > left - 8) left = reach + 8;
      plotWidth = Math.max(MIN_PLOT, width - left - right);
      bottom = PAD + TICK_LENGTH + TICK_GAP + bands.height + xLabelSpace;
    }
  }
  const plot: Rect = { left, top, width: plotWidth, height: plotHeight };
  const plotBottom = top + plotHeight;
  const plotRight = left + plotWidth;
  const yPixel = axisToPixels(yAxis, plotBottom, top);
  let xPixel: (value: number) => number;
  let bandWidth = 0;
  if (xAxis) {
    xPixel = axisToPixels(xAxis, left, plotRight);
  } else {
    const n = Math.max(1, options.x.kind === 'bands' ? options.x.categories.length : 1);
    bandWidth = plotWidth / n;
    xPixel = (index) => left + (index + 0.5) * bandWidth;
  }

  const back: string[] = [];
  const front: string[] = [];
  // Grid: minor lines first, then major ones.
  for (const v of yAxis.minor) back.push(hLine(left, plotRight, yPixel(v), MINOR_GRID));
  if (xAxis) for (const v of xAxis.minor) back.push(vLine(xPixel(v), top, plotBottom, MINOR_GRID));
  for (const t of yAxis.ticks) back.push(hLine(left, plotRight, yPixel(t.value), GRID));
  if (xAxis) for (const t of xAxis.ticks) back.push(vLine(xPixel(t.value), top, plotBottom, GRID));

  // Axes, ticks and tick labels.
  front.push(`<g fill="none" stroke="${AXIS_COLOR}" stroke-width="1">`);
  front.push(`<path d="M${num(left)},${num(top)}V${num(plotBottom)}H${num(plotRight)}"/>`);
  for (const t of yAxis.ticks) front.push(`<line x1="${num(left - TICK_LENGTH)}" y1="${num(yPixel(t.value))}" x2="${num(left)}" y2="${num(yPixel(t.value))}"/>`);
  if (xAxis) for (const t of xAxis.ticks) front.push(`<line x1="${num(xPixel(t.value))}" y1="${num(plotBottom)}" x2="${num(xPixel(t.value))}" y2="${num(plotBottom + TICK_LENGTH)}"/>`);
  else for (let i = 0; i <= (options.x.kind === 'bands' ? options.x.categories.length : 0); i++) {
    const x = left + i * bandWidth;
    front.push(`<line x1="${num(x)}" y1="${num(plotBottom)}" x2="${num(x)}" y2="${num(plotBottom + TICK_LENGTH)}"/>`);
  }
  front.push('</g>');
  for (const t of yAxis.ticks) {
    front.push(textElement(left - TICK_LENGTH - TICK_GAP, centredBaseline(yPixel(t.value), TICK_SIZE), t.label, { size: TICK_SIZE, anchor: 'end', fill: TICK_TEXT }));
  }
  const labelTop = plotBottom + TICK_LENGTH + TICK_GAP;
  if (xAxis) {
    for (const t of xAxis.ticks) front.push(textElement(xPixel(t.value), labelTop + TICK_SIZE * 0.8, t.label, { size: TICK_SIZE, anchor: 'middle', fill: TICK_TEXT }));
  } else if (bands) {
    bands.lines.forEach((lines, i) => {
      const x = xPixel(i);
      if (bands!.rotated) {
        front.push(textElement(x, labelTop + TICK_SIZE * 0.6, lines[0] ?? '', { size: TICK_SIZE, anchor: 'end', fill: TICK_TEXT, rotate: -ROTATION }));
      } else {
        lines.forEach((line, j) => front.push(textElement(x, labelTop + TICK_SIZE * 0.8 + j * (TICK_SIZE + 3), line, { size: TICK_SIZE, anchor: 'middle', fill: TICK_TEXT })));
      }
    });
  }

  // Axis labels, title, legend.
  const xTickBlock = bands ? bands.height : TICK_SIZE;
  if (options.xLabel) {
    front.push(textElement(left + plotWidth / 2, labelTop + xTickBlock + 8 + LABEL_SIZE * 0.8, options.xLabel, { size: LABEL_SIZE, anchor: 'middle', fill: INK }));
  }
  if (options.yLabel) {
    const x = PAD + LABEL_SIZE * 0.8;
    const y = top + plotHeight / 2;
    front.push(textElement(x, y, options.yLabel, { size: LABEL_SIZE, anchor: 'middle', fill: INK, rotate: -90 }));
  }
  front.push(renderTitle(titles, width / 2, PAD));
  if (legend.length > 0) {
    const widest = Math.max(...legend.map((row) => row.reduce((s, e) => s + entryWidth(e), 0) + LEGEND_ITEM_GAP * (row.length - 1)));
    const centre = widest <= plotWidth ? left + plotWidth / 2 : width / 2;
    front.push(renderLegend(legend, centre, PAD + titleBlockHeight(titles)));
  }
  return {
    plot,
    ...(xAxis ? { xAxis } : {}),
    yAxis,
    xPixel,
    yPixel,
    bandWidth,
    background: back.join('\n'),
    foreground: front.filter((s) => s !== '').join('\n'),
  };
}

function hLine(x1: number, x2: number, y: number, color: string): string {
  return `<line x1="${num(x1)}" y1="${num(y)}" x2="${num(x2)}" y2="${num(y)}" stroke="${color}" stroke-width="1"/>`;
}

function vLine(x: number, y1: number, y2: number, color: string): string {
  return `<line x1="${num(x)}" y1="${num(y1)}" x2="${num(x)}" y2="${num(y2)}" stroke="${color}" stroke-width="1"/>`;
}

/** A clip path for the plot rectangle grown by `margin` pixels (so markers on the edge are not cut
 * in half), and the attribute that applies it. `name` tells several clip paths of a chart apart. */
export function plotClip(plot: Rect, margin: number, name: string): { defs: string; attribute: string } {
  const id = `${ID_PLACEHOLDER}-${name}`;
  return {
    defs: `<defs><clipPath id="${id}"><rect x="${num(plot.left - margin)}" y="${num(plot.top - margin)}" width="${num(plot.width + 2 * margin)}" height="${num(plot.height + 2 * margin)}"/></clipPath></defs>`,
    attribute: `clip-path="url(#${id})"`,
  };
}
