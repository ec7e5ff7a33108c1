import { open } from 'node:fs/promises';

/** CSV as the imports read it: a header row, comma-separated, a cell quoted only when it must be. */

export function csvLine(cells: readonly string[]): string {
  return `${cells.map((cell) => (/[",\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell)).join(',')}\n`;
}

/** Writes a header and rows, a few thousand lines a write: a file of 300,000 rows is never whole in memory. */
export async function writeCsv(path: string, header: readonly string[], rows: Iterable<readonly string[]>): Promise<number> {
  const file = await open(path, 'w');
  let count = 0;
  try {
    let batch = csvLine(header);
    for (const row of rows) {
      batch += csvLine(row);
      count++;
      if (batch.length > 1 << 20) {
        await file.write(batch);
        batch = '';
      }
    }
    await file.write(batch);
  } finally {
    await file.close();
  }
  return count;
}

/** Splits a CSV file's text into files of at most `rows` records, each with the header: one import request each. */
export function* csvChunks(text: string, rows: number): Generator<string> {
  const lines = text.split('\n').filter((line) => line !== '');
  const [header, ...records] = lines;
  if (header === undefined) return;
  for (let i = 0; i < records.length; i += rows) yield `${[header, ...records.slice(i, i + rows)].join('\n')}\n`;
}
