import { describe, expect, it } from 'vitest';
import { redirectWith } from '../oauth/request-params.ts';
import { redirectUriProblem } from './redirect-uris.ts';

describe('redirectWith (RFC 6749 §3.1.2: the registered query is retained)', () => {
  it.each([
    ['https://shop.example/cb', 'https://shop.example/cb?code=c1&state=s+1&iss=https%3A%2F%2Fvault.example'],
    [
      'https://shop.example/cb?x=%2f',
      'https://shop.example/cb?x=%2f&code=c1&state=s+1&iss=https%3A%2F%2Fvault.example',
    ],
    ['https://shop.example/cb?flag', 'https://shop.example/cb?flag&code=c1&state=s+1&iss=https%3A%2F%2Fvault.example'],
    [
      'https://shop.example/cb?q=a%20b',
      'https://shop.example/cb?q=a%20b&code=c1&state=s+1&iss=https%3A%2F%2Fvault.example',
    ],
    [
      'https://shop.example/cb?next=https://a.example/',
      'https://shop.example/cb?next=https://a.example/&code=c1&state=s+1&iss=https%3A%2F%2Fvault.example',
    ],
    ['https://shop.example/cb?', 'https://shop.example/cb?code=c1&state=s+1&iss=https%3A%2F%2Fvault.example'],
    ['https://shop.example', 'https://shop.example/?code=c1&state=s+1&iss=https%3A%2F%2Fvault.example'],
  ])(
    'when the registered URI is %s, then the redirect keeps it as the prefix and appends the parameters',
    (registered, expected) => {
      expect(redirectUriProblem(registered)).toBeUndefined();
      const out = redirectWith(registered, {
        code: 'c1',
        state: 's 1',
        error: undefined,
        iss: 'https://vault.example',
      });
      expect(out).toBe(expected);
      expect(new URL(out).searchParams.get('code')).toBe('c1');
      expect(new URL(out).searchParams.get('state')).toBe('s 1');
    },
  );
});
