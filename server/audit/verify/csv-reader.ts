/**
 * A small streaming RFC 4180 reader, used to verify CSV exports and to test that the writer's
 * quoting round-trips. Strict where laxness would hide tampering: a quote inside an unquoted field
 * or text after a closing quote is an error, not something to guess about. Accepts LF as well as
 * CRLF between records, because editors often rewrite line endings.
 */

export class CsvSyntaxError extends Error {
  constructor(
    message: string,
    readonly record: number,
  ) {
    super(`${message} (record ${record})`);
    this.name = 'CsvSyntaxError';
  }
}

export class CsvReader {
  private field = '';
  private record: string[] = [];
  private inQuotes = false;
  /** Just read a quote inside a quoted field: either the closing quote or the first of a pair. */
  private quotePending = false;
  /** The current field was quoted, so only a separator may follow its closing quote. */
  private closed = false;
  private pendingCr = false;
  private records = 0;
  /** A syntax error found by push, raised on the next call so the records before it are not lost. */
  private error: CsvSyntaxError | null = null;

  /** Feeds text; returns the records completed by it (throws for an error found earlier). */
  push(text: string): string[][] {
    if (this.error) throw this.error;
    const done: string[][] = [];
    try {
      this.scan(text, done);
    } catch (err) {
      if (!(err instanceof CsvSyntaxError) || done.length === 0) throw err;
      this.error = err;
    }
    return done;
  }

  private scan(text: string, done: string[][]): void {
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (this.pendingCr) {
        this.pendingCr = false;
        if (c === '\n') continue; // CRLF already ended the record
      }
      if (this.inQuotes) {
        if (this.quotePending) {
          this.quotePending = false;
          if (c === '"') {
            this.field += '"';
            continue;
          }
          this.inQuotes = false;
          this.closed = true;
          // fall through: c is the character after the closing quote
        } else if (c === '"') {
          this.quotePending = true;
          continue;
        } else {
          this.field += c;
          continue;
        }
      }
      if (c === ',') {
        this.endField();
      } else if (c === '\n' || c === '\r') {
        this.endField();
        done.push(this.endRecord());
        this.pendingCr = c === '\r';
      } else if (this.closed) {
        throw new CsvSyntaxError('text after a closing quote', this.records + 1);
      } else if (c === '"') {
        if (this.field !== '') throw new CsvSyntaxError('quote inside an unquoted field', this.records + 1);
        this.inQuotes = true;
      } else {
        this.field += c;
      }
    }
  }

  /** Ends the input; returns a last record that had no line break after it. */
  end(): string[][] {
    if (this.error) throw this.error;
    if (this.inQuotes && !this.quotePending) {
      throw new CsvSyntaxError('unterminated quoted field', this.records + 1);
    }
    if (this.quotePending) {
      this.quotePending = false;
      this.inQuotes = false;
      this.closed = true;
    }
    if (this.field === '' && this.record.length === 0 && !this.closed) return [];
    this.endField();
    return [this.endRecord()];
  }

  private endField(): void {
    this.record.push(this.field);
    this.field = '';
    this.closed = false;
  }

  private endRecord(): string[] {
    const record = this.record;
    this.record = [];
    this.records++;
    return record;
  }
}

/** Parses a whole CSV text (tests and small files). */
export function parseCsv(text: string): string[][] {
  const reader = new CsvReader();
  return [...reader.push(text), ...reader.end()];
}
