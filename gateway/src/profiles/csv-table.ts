import { ParcoursInputError } from '@parcours/contracts';

/**
 * A CSV import as rows of cells under its header, each with the line it starts on (for the report). Read
 * here rather than with csv-parse, which takes seconds for the 300,000 rows of a customer file: a line
 * without a quote is split as it is, and only quoted fields (RFC 4180: `""` inside, line breaks allowed)
 * go through the field-by-field reading.
 */
export interface CsvTable {
  header: string[];
  records: { line: number; cells: string[] }[];
}

class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

/** Reads a CSV import (header row first, cells trimmed, blank lines skipped); a file that cannot be read, or holds no record, is refused. */
export function readCsv(text: string, fileName: string): CsvTable {
  let rows: { line: number; cells: string[] }[];
  try {
    rows = csvRows(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    if (!(error instanceof CsvSyntaxError)) throw error;
    throw new ParcoursInputError('the CSV cannot be read', [{ path: `${fileName} line ${error.line}`, message: error.message }]);
  }
  const [head, ...records] = rows;
  // An import of nothing is most likely the wrong file, or one cut short.
  if (head === undefined || records.length === 0)
    throw new ParcoursInputError('the CSV holds no records', [{ path: fileName, message: 'a header row and at least one record are needed' }]);
  const width = head.cells.length;
  const ragged = records.filter((r) => r.cells.length !== width);
  if (ragged.length > 0)
    throw new ParcoursInputError(
      'the CSV has rows of the wrong width',
      ragged.map((r) => ({ path: `${fileName} line ${r.line}`, message: `${r.cells.length} cells under a header of ${width}` })),
    );
  return { header: head.cells, records };
}

function csvRows(text: string): { line: number; cells: string[] }[] {
  const rows: { line: number; cells: string[] }[] = [];
  let at = 0;
  let line = 1;
  while (at < text.length) {
    let end = text.indexOf('\n', at);
    if (end === -1) end = text.length;
    const plain = text.slice(at, end);
    if (!plain.includes('"')) {
      const content = plain.endsWith('\r') ? plain.slice(0, -1) : plain;
      if (content.trim() !== '') rows.push({ line, cells: content.split(',').map((cell) => cell.trim()) });
      at = end + 1;
      line += 1;
      continue;
    }
    const quoted = quotedRow(text, at, line);
    rows.push({ line, cells: quoted.cells });
    at = quoted.next;
    line = quoted.line;
  }
  return rows;
}

/** A row with quoted fields, from `at` to past its line break: its cells, where the next row starts, and on which line. */
function quotedRow(text: string, start: number, startLine: number): { cells: string[]; next: number; line: number } {
  const cells: string[] = [];
  let at = start;
  let line = startLine;
  for (;;) {
    while (text[at] === ' ' || text[at] === '\t') at += 1;
    let cell: string;
    if (text[at] === '"') {
      cell = '';
      at += 1;
      for (;;) {
        const quote = text.indexOf('"', at);
        if (quote === -1) throw new CsvSyntaxError(startLine, 'a quoted field is not closed');
        const piece = text.slice(at, quote);
        for (let i = piece.indexOf('\n'); i !== -1; i = piece.indexOf('\n', i + 1)) line += 1;
        cell += piece;
        if (text[quote + 1] === '"') {
          cell += '"';
          at = quote + 2;
        } else {
          at = quote + 1;
          break;
        }
      }
      while (text[at] === ' ' || text[at] === '\t') at += 1;
    } else {
      let end = at;
      while (end < text.length && text[end] !== ',' && text[end] !== '\n' && text[end] !== '\r') end += 1;
      cell = text.slice(at, end).trim();
      if (cell.includes('"')) throw new CsvSyntaxError(line, `a quote inside an unquoted field: ${JSON.stringify(cell)}`);
      at = end;
    }
    cells.push(cell);
    if (text[at] === ',') {
      at += 1;
      continue;
    }
    if (text[at] === '\r') at += 1;
    if (at >= text.length) return { cells, next: at, line };
    if (text[at] !== '\n') throw new CsvSyntaxError(line, 'a quoted field is followed by something other than a comma or the end of the line');
    return { cells, next: at + 1, line: line + 1 };
  }
}
