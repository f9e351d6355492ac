import { parse } from 'csv-parse';
import type { Readable } from 'node:stream';
import { RosterInputError } from './errors';

/** One data row of a CSV file: its values by column name, and the line it starts on (the header is line 1). */
export interface CsvRow {
  line: number;
  get(column: string): string;
  has(column: string): boolean;
}

const LINE_BREAKS = /\r\n|\n|\r/g;

function countLineBreaks(values: string[]): number {
  let count = 0;
  for (const value of values) if (value.includes('\n') || value.includes('\r')) count += value.match(LINE_BREAKS)?.length ?? 0;
  return count;
}

/**
 * Streams the rows of a CSV file with columns matched by name (trimmed, case-insensitive), so their order
 * and any extra columns do not matter. Tolerates a UTF-8 BOM and CRLF or LF line ends; values are trimmed.
 * @throws RosterInputError when a required column is missing or the file is not readable CSV.
 */
export async function* readCsv(input: Readable, file: string, required: readonly string[]): AsyncGenerator<CsvRow> {
  const parser = input.pipe(
    parse({
      bom: true,
      relax_column_count: true,
      relax_quotes: true,
      record_delimiter: ['\r\n', '\n', '\r'],
    }),
  );
  input.on('error', (error) => parser.destroy(error));
  let columns: Map<string, number> | undefined;
  // csv-parse's own line counter moves with its look-ahead; counting the breaks each record spans
  // (one ending it, plus those inside quoted values) gives the line a record starts on.
  let nextLine = 1;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      const line = nextLine;
      nextLine += 1 + countLineBreaks(record);
      if (!columns) {
        const header = new Map(record.map((name, index) => [name.trim().toLowerCase(), index] as const).reverse());
        columns = header;
        const missing = required.filter((name) => !header.has(name.toLowerCase()));
        if (missing.length > 0) {
          throw new RosterInputError(
            `${file}: required column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} missing (its header is: ${record.join(',')})`,
          );
        }
        continue;
      }
      if (record.length === 1 && record[0].trim() === '') continue; // a blank line
      const index = columns;
      yield {
        line,
        get: (column) => {
          const at = index.get(column.toLowerCase());
          return at === undefined ? '' : (record[at] ?? '').trim();
        },
        has: (column) => index.has(column.toLowerCase()),
      };
    }
  } catch (error) {
    if (error instanceof RosterInputError) throw error;
    // csv-parse's message may quote the row's content (personal data); its code says what is wrong.
    const code = (error as { code?: unknown }).code;
    throw new RosterInputError(`${file}: not readable as CSV near line ${nextLine}${typeof code === 'string' ? ` (${code})` : ''}`, { cause: error });
  }
  if (!columns) throw new RosterInputError(`${file} is empty: it has no header line`);
}
