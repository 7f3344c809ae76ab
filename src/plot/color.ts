/**
 * Colours for plots: a qualitative palette that colour-blind readers can tell apart (Okabe & Ito's
 * eight colours, yellow last because it is faint on white), two sequential ramps (light-to-dark blue
 * for heat maps, dark-purple-to-yellow for values along a curve) and a text colour that stays
 * readable on a given fill.
 */

/** Series colours, in the order series use them. */
export const PALETTE: readonly string[] = [
  '#0072B2', // blue
  '#E69F00', // orange
  '#009E73', // bluish green
  '#D55E00', // vermillion
  '#CC79A7', // reddish purple
  '#56B4E9', // sky blue
  '#000000', // black
  '#F0E442', // yellow
];

export function paletteColor(index: number): string {
  return PALETTE[index % PALETTE.length]!;
}

type Rgb = readonly [number, number, number];

function parseHex(hex: string): Rgb {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function toHex([r, g, b]: Rgb): string {
  const byte = (v: number): string => Math.round(Math.min(255, Math.max(0, v))).toString(16).padStart(2, '0');
  return `#${byte(r)}${byte(g)}${byte(b)}`;
}

function rampColor(stops: readonly Rgb[], t: number): string {
  const clamped = Math.min(1, Math.max(0, t));
  const position = clamped * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(position));
  const f = position - i;
  const a = stops[i]!;
  const b = stops[i + 1]!;
  return toHex([a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f]);
}

const BLUES: readonly Rgb[] = ['#f7fbff', '#d0e1f2', '#94c4df', '#4a98c9', '#1764ab', '#08306b'].map(parseHex);
const PURPLE_TO_YELLOW: readonly Rgb[] = ['#440154', '#3b528b', '#21918c', '#5ec962', '#fde725'].map(parseHex);

/** Heat-map fill for t ∈ [0, 1]: near-white at 0, dark blue at 1. */
export function heatColor(t: number): string {
  return rampColor(BLUES, t);
}

/** Colour for a value t ∈ [0, 1] along a curve: dark purple → blue → green → yellow (perceptually
 * ordered and readable in grey scale). */
export function sequentialColor(t: number): string {
  return rampColor(PURPLE_TO_YELLOW, t);
}

/** `color` (#rrggbb) mixed with black: amount 0 keeps it, 1 gives black. Other CSS colours are
 * returned unchanged. */
export function darken(color: string, amount: number): string {
  if (!/^#[0-9a-fA-F]{6}$/.test(color)) return color;
  const [r, g, b] = parseHex(color);
  const k = 1 - Math.min(1, Math.max(0, amount));
  return toHex([r * k, g * k, b * k]);
}

/** WCAG relative luminance of a #rrggbb colour, in [0, 1]. */
export function relativeLuminance(hex: string): number {
  const channel = (c: number): number => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  const [r, g, b] = parseHex(hex);
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
}

/** White or near-black, whichever contrasts more with `fill` (#rrggbb). */
export function textColorOn(fill: string): string {
  const l = relativeLuminance(fill);
  // Contrast ratios against white (1.05 / (l + 0.05)) and against #222 (luminance ≈ 0.016).
  return 1.05 / (l + 0.05) >= (l + 0.05) / 0.066 ? '#ffffff' : '#222222';
}
