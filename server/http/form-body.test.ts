import qs from 'qs';
import { describe, expect, it } from 'vitest';
import { formReader, plainForm } from './form-body.ts';

/** qs with the options body-parser gives it for express.urlencoded({ extended: false }) (and formReader). */
const viaQs = (text: string) =>
  qs.parse(text, {
    allowPrototypes: true,
    arrayLimit: text.split('&').length,
    depth: 0,
    charset: 'utf-8',
    parameterLimit: 50,
    strictDepth: true,
  });

const FORMS = [
  'grant_type=client_credentials&scope=grant_management',
  'grant_type=client_credentials',
  'token=eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln-_~',
  'a=&b=1',
  'a.b=1&c~d=2',
  // Each of these is left to qs: repeated, bracketed, encoded, plus, prototype names, no `=`, empty names.
  'a=1&a=2',
  'a[]=1&a[]=2',
  'a[b]=1',
  'a%5Bb%5D=1',
  'a=%20b',
  'a=b+c',
  '__proto__=x',
  '__proto__[admin]=1',
  'constructor=x&toString=y',
  'hasOwnProperty=1',
  'a',
  'a&b=1',
  '=x',
  'a==b',
  '&&a=1&&',
  'a=1&',
  'a=b=c',
  'é=1',
];

describe('plainForm (the token fast path without qs)', () => {
  it('reads a plain form as qs does, and leaves every other form to qs', () => {
    for (const text of FORMS) {
      const plain = plainForm(text);
      if (plain) expect(plain, text).toStrictEqual(viaQs(text));
    }
    expect(plainForm('grant_type=client_credentials&scope=grant_management')).toBeDefined();
    for (const text of ['a=1&a=2', '__proto__=x', 'constructor=x', 'a[]=1', 'a=%20', 'a=b+c', 'a', '=x', 'a=1&'])
      expect(plainForm(text), text).toBeUndefined();
  });

  it('gives the same body through formReader as qs for every form above', async () => {
    const reader = formReader();
    for (const text of FORMS) {
      const body = await new Promise<unknown>((resolve, reject) => {
        const handlers = new Map<string, (...a: unknown[]) => void>();
        const req = {
          on: (event: string, fn: (...a: unknown[]) => void) => void handlers.set(event, fn),
          once: (event: string, fn: (...a: unknown[]) => void) => void handlers.set(event, fn),
          complete: true,
        };
        reader.read(req as never, (err, b) => (err ? reject(err as Error) : resolve(b)));
        handlers.get('data')!(Buffer.from(text));
        handlers.get('end')!();
      });
      expect(body, text).toStrictEqual(viaQs(text));
    }
  });
});
