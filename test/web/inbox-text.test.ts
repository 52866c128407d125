import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { InboxMessage } from '../../web/src/types.ts';

// inbox-text.ts is pure, but the dashboard module it takes labelOf from registers a popstate listener when
// loaded: a bare window is enough for that.
let messageWords: typeof import('../../web/src/pages/inbox-text.ts').messageWords;
beforeAll(async () => {
  vi.stubGlobal('window', { location: new URL('http://localhost/'), addEventListener: () => {} });
  ({ messageWords } = await import('../../web/src/pages/inbox-text.ts'));
});

// The dashboard says a grant message again from its facts. A grant of claims or records only has no field:
// the sentence must say what remains, never "your  for".

const catalogue = [{ name: 'email', label: 'Email address' }] as never;
const narrowed = (facts: object): InboxMessage =>
  ({
    id: 'm1',
    kind: 'grant.narrowed',
    createdAt: '2026-11-01T00:00:00Z',
    readAt: null,
    body: {
      title: 'old',
      text: 'old',
      facts: { company: 'Shop', purpose: 'order-fulfilment', until: '2026-12-30T00:00:00Z', ...facts },
    },
  }) as never;

describe('inbox words after a grant was narrowed', () => {
  it.each([
    [
      'a claims-only grant',
      { fields: [], actions: ['read'], claims: ['age_over'] },
      /may now only get yes\/no answers about you for/,
    ],
    [
      'a records-only grant that reads',
      { fields: [], actions: ['read'], records: ['purchases'] },
      /may now only read your records \(purchases\) for/,
    ],
    [
      'a records-only grant that deposits',
      { fields: [], actions: ['deposit'], records: ['purchases'] },
      /may now only add records \(purchases\) to your vault for/,
    ],
    [
      'fields and claims',
      { fields: ['email'], actions: ['read'], claims: ['age_over'] },
      /may now only read your email address and get yes\/no answers about you for/,
    ],
    ['fields only', { fields: ['email'], actions: ['read'] }, /may now only read your email address for/],
  ])('when it is %s, then the sentence names what remains', (_what, facts, expected) => {
    const { text } = messageWords(narrowed(facts), catalogue);
    expect(text).toMatch(expected);
    expect(text).not.toMatch(/your\s+(for|and)\b|\(\)|\s{2}/);
  });

  it('when a grant without fields ends, then it says "your data"', () => {
    const { text } = messageWords(
      { ...narrowed({ fields: [], actions: ['read'], claims: ['age_over'] }), kind: 'grant.expired' } as never,
      catalogue,
    );
    expect(text).toContain("Shop's access to your data for");
  });
});
