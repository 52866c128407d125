import { describe, expect, it } from 'vitest';
import { httpsUriProblem } from './https-uri.ts';

describe('httpsUriProblem: the rules every registered URI shares', () => {
  it.each([
    ['https://shop.example/cb', undefined],
    ['http://127.0.0.1:8080/cb', undefined],
    ['http://[::1]/cb', undefined],
    ['http://localhost/cb', undefined],
    ['', 'must be 1 to 2000 characters'],
    [`https://shop.example/${'a'.repeat(2000)}`, 'must be 1 to 2000 characters'],
    ['https://shop.example/a b', 'must not contain whitespace or control characters'],
    ['/cb', 'must be an absolute URI'],
    ['https://shop.example/cb#x', 'must not contain a fragment'],
    ['https://user:pw@shop.example/cb', 'must not contain user information'],
    [
      'http://shop.example/cb',
      'must use https (plain http is allowed only for loopback: 127.0.0.1, [::1] or localhost)',
    ],
  ])('%s: %s', (uri, problem) => {
    expect(httpsUriProblem(uri)).toBe(problem);
  });

  it('when the caller adds a rule, then it is checked after the shared ones and before the scheme', () => {
    const extra = () => 'extra';
    expect(httpsUriProblem('http://shop.example/cb', extra)).toBe('extra');
    expect(httpsUriProblem('https://shop.example/cb#x', extra)).toBe('must not contain a fragment');
  });
});
