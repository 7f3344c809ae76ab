/**
 * Text for SVG plots: XML escaping and a width estimate good enough to lay out labels without a
 * browser. Widths are DejaVu Sans advances (the first font of our font-family list; the one the
 * rasterizer finds on Linux), measured once by rendering each character with librsvg and
 * dividing by the font size. Arial and most sans-serif fallbacks are narrower, so the estimate errs
 * on the side of more room.
 */

/** Font list written on every plot's root element. */
export const FONT_FAMILY = 'DejaVu Sans, Arial, sans-serif';

export type FontWeight = 'normal' | 'bold';

/** Escapes text for element content and double- or single-quoted attribute values. Characters
 * that XML 1.0 forbids (C0 controls other than tab/newline/return, lone surrogates, U+FFFE/U+FFFF)
 * are dropped, so any string yields a well-formed document. */
export function escapeXml(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '&') out += '&amp;';
    else if (ch === '<') out += '&lt;';
    else if (ch === '>') out += '&gt;';
    else if (ch === '"') out += '&quot;';
    else if (ch === "'") out += '&apos;';
    else if (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) continue;
    else if ((code >= 0xd800 && code <= 0xdfff) || code === 0xfffe || code === 0xffff) continue;
    else out += ch;
  }
  return out;
}

// Advance widths in thousandths of an em for U+0020 … U+007E, DejaVu Sans Book then Bold.
const ASCII_NORMAL = [
  318, 401, 460, 838, 636, 951, 780, 275, 391, 391, 500, 838, 318, 361, 318, 337, // ␠ ! " # $ % & ' ( ) * + , - . /
  636, 636, 636, 636, 636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531, // 0-9 : ; < = > ?
  1000, 712, 686, 698, 770, 632, 576, 775, 752, 295, 295, 656, 558, 863, 748, 788, // @ A-O
  603, 788, 695, 635, 594, 732, 684, 989, 685, 611, 685, 391, 337, 391, 838, 500, // P-Z [ \ ] ^ _
  500, 613, 635, 550, 635, 615, 352, 635, 634, 278, 278, 579, 278, 975, 634, 612, // ` a-o
  635, 635, 393, 521, 392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838, // p-z { | } ~
];
const ASCII_BOLD = [
  348, 456, 521, 838, 696, 1002, 872, 306, 457, 457, 523, 838, 380, 415, 380, 366,
  696, 696, 696, 696, 696, 696, 696, 696, 696, 696, 400, 400, 838, 838, 838, 580,
  1000, 774, 763, 734, 830, 683, 683, 821, 837, 372, 372, 775, 638, 995, 837, 850,
  733, 850, 770, 675, 705, 812, 774, 1103, 771, 724, 725, 457, 366, 457, 838, 500,
  500, 675, 716, 593, 716, 679, 435, 716, 712, 343, 343, 665, 343, 1042, 712, 687,
  716, 716, 493, 596, 478, 712, 652, 924, 652, 652, 582, 712, 366, 712, 838,
];
// A few non-ASCII characters that plots use (minus sign, α, ×, dashes, …): [normal, bold].
const OTHER: ReadonlyMap<string, readonly [number, number]> = new Map([
  ['\u2212', [838, 838]], // − minus sign
  ['α', [660, 687]],
  ['×', [838, 838]],
  ['–', [500, 500]],
  ['—', [1000, 1000]],
  ['…', [1000, 1000]],
  ['²', [401, 438]],
  ['°', [500, 500]],
  ['µ', [636, 736]],
  ['·', [318, 380]],
  ['≈', [838, 838]],
  ['≤', [838, 838]],
  ['≥', [838, 838]],
]);

/** Estimated advance width in pixels of `text` set in DejaVu Sans at `fontSize` px. */
export function textWidth(text: string, fontSize: number, weight: FontWeight = 'normal'): number {
  const table = weight === 'bold' ? ASCII_BOLD : ASCII_NORMAL;
  let thousandths = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code >= 0x20 && code <= 0x7e) thousandths += table[code - 0x20]!;
    else {
      const known = OTHER.get(ch);
      if (known) thousandths += weight === 'bold' ? known[1] : known[0];
      else if (code >= 0x2e80) thousandths += 1000; // CJK and other wide scripts
      else thousandths += weight === 'bold' ? 720 : 660;
    }
  }
  return (thousandths / 1000) * fontSize;
}

/** Greedy word wrap: lines no wider than `maxWidth` where possible. A single word that is wider
 * than `maxWidth` gets a line of its own (callers that cannot accept that check `fits`). */
export function wrapText(
  text: string,
  maxWidth: number,
  fontSize: number,
  weight: FontWeight = 'normal',
): { lines: string[]; fits: boolean } {
  const words = text.split(/\s+/).filter((w) => w.length > 0);
  if (words.length === 0) return { lines: [''], fits: true };
  const lines: string[] = [];
  let fits = true;
  let current = '';
  for (const word of words) {
    if (textWidth(word, fontSize, weight) > maxWidth) fits = false;
    const candidate = current === '' ? word : `${current} ${word}`;
    if (current !== '' && textWidth(candidate, fontSize, weight) > maxWidth) {
      lines.push(current);
      current = word;
    } else {
      current = candidate;
    }
  }
  lines.push(current);
  return { lines, fits };
}
