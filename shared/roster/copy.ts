import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

export type Cell = string | number | boolean | null;

const CHUNK_BYTES = 256 * 1024;

function encode(cell: Cell): string {
  if (cell === null) return '\\N';
  if (typeof cell !== 'string') return String(cell);
  // COPY's text format: backslash escapes for the characters that delimit fields and rows.
  return /[\\\t\n\r]/.test(cell)
    ? cell.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r')
    : cell;
}

/**
 * Streams rows into a table with COPY FROM STDIN, in chunks, waiting whenever the socket is full:
 * memory stays flat whatever the file's size.
 */
export class CopyWriter {
  private readonly stream: NodeJS.WritableStream & { destroyed?: boolean };
  private buffer = '';
  rows = 0;

  constructor(client: pg.ClientBase, table: string, columns: readonly string[]) {
    this.stream = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
  }

  async write(cells: readonly Cell[]): Promise<void> {
    this.buffer += `${cells.map(encode).join('\t')}\n`;
    this.rows++;
    if (this.buffer.length >= CHUNK_BYTES) await this.flush();
  }

  private async flush(): Promise<void> {
    const chunk = this.buffer;
    this.buffer = '';
    if (!this.stream.write(chunk)) await once(this.stream as NodeJS.EventEmitter, 'drain');
  }

  async end(): Promise<void> {
    if (this.buffer) await this.flush();
    this.stream.end();
    await finished(this.stream);
  }
}
