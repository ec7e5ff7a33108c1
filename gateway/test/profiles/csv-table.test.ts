import { ParcoursInputError } from '@parcours/contracts';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../../src/profiles/csv-table.js';

function refusal(text: string): { path: string; message: string }[] {
  try {
    readCsv(text, 'f.csv');
  } catch (error) {
    if (error instanceof ParcoursInputError) return error.details;
    throw error;
  }
  throw new Error('not refused');
}

describe('readCsv', () => {
  it('reads what csv-parse reads: quotes, doubled quotes, line breaks inside quotes, CRLF, a BOM, blank lines, trimmed cells', () => {
    const text = '\ufeffid , name,note\r\n1,"Martin, Ben"," said ""hi"""\r\n\r\n2, Ana ,"two\nlines"\r\n3,"",\r\n';
    const table = readCsv(text, 'f.csv');
    const reference = parse(text, { bom: true, trim: true, skip_empty_lines: true }) as string[][];
    expect([table.header, ...table.records.map((r) => r.cells)]).toEqual(reference);
    expect(table.records.map((r) => r.line)).toEqual([2, 4, 6]);
  });

  it('names the line of a malformed row', () => {
    expect(refusal('a,b\n1,2\n3\n')).toEqual([{ path: 'f.csv line 3', message: '1 cells under a header of 2' }]);
    expect(refusal('a,b\n1,"open\n')[0]?.path).toBe('f.csv line 2');
    expect(refusal('a,b\n1,x"y"\n')[0]?.path).toBe('f.csv line 2');
    expect(refusal('a,b\n')[0]?.message).toMatch(/at least one record/);
  });
});
