/**
 * Small SVG element writers shared by the chart builders: numbers written with at most two
 * decimals (so output is compact and deterministic), text with escaping, markers, and the root
 * element. Everything returns strings.
 */
import { FONT_FAMILY, escapeXml, type FontWeight } from './text.js';

/** A coordinate or length: at most two decimals, never "-0". */
export function num(value: number): string {
  const rounded = Math.round(value * 100) / 100;
  return Object.is(rounded, -0) ? '0' : String(rounded);
}

export interface TextStyle {
  readonly size: number;
  readonly anchor?: 'start' | 'middle' | 'end';
  readonly weight?: FontWeight;
  readonly fill?: string;
  /** Degrees, clockwise, about (x, y). */
  readonly rotate?: number;
}

/** A <text> element whose baseline is at (x, y). */
export function textElement(x: number, y: number, content: string, style: TextStyle): string {
  const attrs = [`x="${num(x)}"`, `y="${num(y)}"`, `font-size="${num(style.size)}"`];
  if (style.anchor && style.anchor !== 'start') attrs.push(`text-anchor="${style.anchor}"`);
  if (style.weight === 'bold') attrs.push('font-weight="bold"');
  attrs.push(`fill="${escapeXml(style.fill ?? '#222222')}"`);
  if (style.rotate) attrs.push(`transform="rotate(${num(style.rotate)} ${num(x)} ${num(y)})"`);
  return `<text ${attrs.join(' ')}>${escapeXml(content)}</text>`;
}

/** Baseline y that centres a line of text of `size` px vertically on `y` (DejaVu's caps/x-height). */
export function centredBaseline(y: number, size: number): number {
  return y + size * 0.36;
}

export type MarkerShape = 'circle' | 'square' | 'triangle' | 'diamond' | 'triangle-down' | 'pentagon';

/** Marker shapes in the order series use them (shape as well as colour tells series apart). */
export const MARKER_SHAPES: readonly MarkerShape[] = ['circle', 'square', 'triangle', 'diamond', 'triangle-down', 'pentagon'];

export function markerShape(index: number): MarkerShape {
  return MARKER_SHAPES[index % MARKER_SHAPES.length]!;
}

function polygon(points: ReadonlyArray<readonly [number, number]>, attrs: string): string {
  return `<polygon points="${points.map(([x, y]) => `${num(x)},${num(y)}`).join(' ')}" ${attrs}/>`;
}

/** A marker of about `size` px across centred on (x, y), filled with `fill` and outlined in white
 * so that overlapping markers stay distinguishable. */
export function markerElement(shape: MarkerShape, x: number, y: number, size: number, fill: string): string {
  const attrs = `fill="${escapeXml(fill)}" stroke="#ffffff" stroke-width="0.8"`;
  const r = size / 2;
  switch (shape) {
    case 'circle':
      return `<circle cx="${num(x)}" cy="${num(y)}" r="${num(r)}" ${attrs}/>`;
    case 'square': {
      const s = r * 0.9;
      return `<rect x="${num(x - s)}" y="${num(y - s)}" width="${num(2 * s)}" height="${num(2 * s)}" ${attrs}/>`;
    }
    case 'triangle': {
      const s = r * 1.2;
      return polygon([[x, y - s], [x + s * 0.866, y + s * 0.5], [x - s * 0.866, y + s * 0.5]], attrs);
    }
    case 'triangle-down': {
      const s = r * 1.2;
      return polygon([[x, y + s], [x + s * 0.866, y - s * 0.5], [x - s * 0.866, y - s * 0.5]], attrs);
    }
    case 'diamond': {
      const s = r * 1.2;
      return polygon([[x, y - s], [x + s, y], [x, y + s], [x - s, y]], attrs);
    }
    case 'pentagon': {
      const s = r * 1.1;
      const points: Array<[number, number]> = [];
      for (let i = 0; i < 5; i++) {
        const angle = -Math.PI / 2 + (i * 2 * Math.PI) / 5;
        points.push([x + s * Math.cos(angle), y + s * Math.sin(angle)]);
      }
      return polygon(points, attrs);
    }
  }
}

/** FNV-1a hash of a string as 8 hex digits: ids derived from content stay deterministic and
 * differ between charts, so several plots can be inlined in one HTML page. */
export function contentHash(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}

/** Stands for an id in a chart body until the document is complete. It contains U+0001, which
 * escapeXml removes, so no user text can contain it. */
export const ID_PLACEHOLDER = '\u0001id\u0001';

/** The root element: fixed pixel size, a white background and the plot's title as its accessible
 * name. ID_PLACEHOLDER in `body` becomes an id derived from the content. */
export function svgDocument(width: number, height: number, title: string, body: string): string {
  const w = num(width);
  const h = num(height);
  const document =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" ` +
    `font-family="${FONT_FAMILY}" role="img">\n` +
    `<title>${escapeXml(title)}</title>\n` +
    `<rect width="${w}" height="${h}" fill="#ffffff"/>\n` +
    `${body}\n</svg>\n`;
  const id = `plot-${contentHash(document)}`;
  return document.split(ID_PLACEHOLDER).join(id);
}
