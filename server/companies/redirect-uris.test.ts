import { describe, expect, it } from 'vitest';
import { redirectUriProblem } from './redirect-uris.ts';

describe('redirectUriProblem', () => {
  it.each([
    ['https://acme.example/cb', undefined],
    ['https://acme.example/cb?tenant=1', undefined],
    ['http://127.0.0.1:53123/cb', undefined],
    ['http://[::1]/cb', undefined],
    ['http://localhost:3000/cb', undefined],
    ['http://acme.example/cb', /https/],
    ['http://127.0.0.1.nip.io/cb', /https/],
    ['http://localhost.acme.example/cb', /https/],
    ['ftp://acme.example/cb', /https/],
    ['https://acme.example/cb#x', /fragment/],
    ['https://a:b@acme.example/cb', /user information/],
    ['https://acme.example/cb\n', /whitespace/],
    ['acme.example/cb', /absolute/],
    ['https://' + 'a'.repeat(2000) + '.example/', /characters/],
    ['https://acme.example', undefined],
    ['https:acme.example/cb', /canonical form \(https:\/\/acme\.example\/cb\)/],
    ['http://0x7f.1/cb', /canonical form \(http:\/\/127\.0\.0\.1\/cb\)/],
    ['https://Acme.example/cb', /canonical/],
    ['https://acme.example:443/cb', /canonical/],
    ['https://acme.example/a/../cb', /canonical/],
  ])('when the URI is %j, then the problem is %s', (uri, expected) => {
    const problem = redirectUriProblem(uri);
    if (expected === undefined) expect(problem).toBeUndefined();
    else expect(problem).toMatch(expected);
  });
});
