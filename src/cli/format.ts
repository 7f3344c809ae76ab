/** Text formatting for the CLI: aligned tables, markdown tables, human numbers. */

export type Align = 'left' | 'right';

export interface Column {
  header: string;
  align?: Align;
}

/** A plain-text table with a header rule; numbers should be pre-formatted strings. */
export function textTable(columns: Column[], rows: string[][]): string {
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (columns[i]!.align === 'right' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function markdownTable(columns: Column[], rows: string[][]): string {
  const escape = (s: string) => s.replace(/\|/g, '\\|');
  const header = `| ${columns.map((c) => escape(c.header)).join(' | ')} |`;
  const rule = `|${columns.map((c) => (c.align === 'right' ? '---:' : '---')).join('|')}|`;
  return [header, rule, ...rows.map((r) => `| ${r.map(escape).join(' | ')} |`)].join('\n');
}

/** 3504872 → "3,504,872". */
export function thousands(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** 300774272 → "300.77M". */
export function millions(n: number, digits = 2): string {
  return `${(n / 1e6).toFixed(digits)}M`;
}

/** Bytes in binary units: 4816896 → "4.59 MiB". */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(2)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export function shape(s: readonly number[]): string {
  return s.join('×');
}
