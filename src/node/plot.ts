/**
 * Node adapter for plots: rasterize the SVG strings of src/plot/svg.ts to PNG with sharp
 * (librsvg inside libvips; text is set with the fonts fontconfig finds, DejaVu Sans on most
 * Linux systems), and write plots to disk atomically.
 */
import sharp from 'sharp';
import { MobileNetError, invalidArgument } from '../errors.js';
import { writeFileAtomic } from './fs.js';

export interface SvgToPngOptions {
  /** Width of the PNG in pixels; the height keeps the SVG's aspect ratio. The SVG is rendered at
   * this size (not rendered small and enlarged), so text stays sharp. */
  readonly width?: number;
  /** Rendering density in dots per inch, 72 = one PNG pixel per SVG pixel (the default), 144 =
   * twice as many. Ignored when `width` is given. */
  readonly density?: number;
}

/** The SVG's own width in pixels, from the root element's width attribute or viewBox. */
function svgWidth(svg: string): number | undefined {
  const root = /<svg\b[^>]*>/.exec(svg)?.[0];
  if (!root) return undefined;
  const width = /\swidth="([\d.]+)(px)?"/.exec(root);
  if (width) return Number(width[1]);
  const viewBox = /\sviewBox="\s*[-\d.]+[\s,]+[-\d.]+[\s,]+([\d.]+)/.exec(root);
  return viewBox ? Number(viewBox[1]) : undefined;
}

/** Renders an SVG document to a PNG (8-bit RGBA). */
export async function svgToPng(svg: string, options: SvgToPngOptions = {}): Promise<Buffer> {
  const { width } = options;
  if (width !== undefined && (!Number.isInteger(width) || width < 1 || width > 16384)) {
    throw invalidArgument(`PNG width must be an integer from 1 to 16384 pixels, got ${width}`);
  }
  let density = options.density ?? 72;
  if (!Number.isFinite(density) || density <= 0 || density > 2400) {
    throw invalidArgument(`density must be a positive number of dots per inch (≤ 2400), got ${options.density}`);
  }
  const natural = svgWidth(svg);
  if (width !== undefined && natural !== undefined && natural > 0) density = (72 * width) / natural;
  try {
    let image = sharp(Buffer.from(svg, 'utf8'), { density });
    if (width !== undefined) {
      // Rounding of the density can leave the render a pixel off the requested width.
      const meta = await image.metadata();
      if (meta.width !== width) image = image.resize({ width });
    }
    return await image.png().toBuffer();
  } catch (error) {
    if (error instanceof MobileNetError) throw error;
    throw new MobileNetError('INVALID_FORMAT', `cannot render SVG to PNG: ${(error as Error).message}`, { cause: error });
  }
}

export interface WritePlotOptions extends SvgToPngOptions {}

/** Writes a plot atomically (temp file + rename): the SVG text itself when `path` ends in .svg,
 * otherwise a PNG rendered from it (`path` must then end in .png). */
export async function writePlot(path: string, svg: string, options: WritePlotOptions = {}): Promise<void> {
  const lower = path.toLowerCase();
  if (lower.endsWith('.svg')) {
    writeFileAtomic(path, svg);
    return;
  }
  if (!lower.endsWith('.png')) {
    throw invalidArgument(`plot path must end in .png or .svg, got ${path}`);
  }
  const png = await svgToPng(svg, options);
  writeFileAtomic(path, png);
}
