import { DrizzleQueryError } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { Forbidden, ServiceUnavailable } from '../../http/errors.ts';
import { isRetryable, unavailableOr } from './errors.ts';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });
const wrapped = (cause: Error) => new DrizzleQueryError('select 1', [], cause);

describe('unavailableOr: "the database is not there" is 503, every other error stays what it is', () => {
  it.each([
    ['connection refused', withCode('ECONNREFUSED')],
    ['connection reset', withCode('ECONNRESET')],
    ['refused on every address', new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')])],
    ['pool checkout timed out', new Error('timeout exceeded when trying to connect')],
    ['connect timed out', new Error('Connection terminated due to connection timeout')],
    ['connection ended under a query', new Error('Connection terminated unexpectedly')],
    ['class 08: connection failure', withCode('08006')],
    ['57P01 admin shutdown (pg_terminate_backend)', withCode('57P01')],
    ['57P02 crash shutdown', withCode('57P02')],
    ['57P03 cannot connect now', withCode('57P03')],
    ['57P01 wrapped by drizzle', wrapped(withCode('57P01'))],
  ])('%s → ServiceUnavailable with Retry-After', (_, e) => {
    const mapped = unavailableOr(e);
    expect(mapped).toBeInstanceOf(ServiceUnavailable);
    expect((mapped as ServiceUnavailable).headers()).toEqual({ 'retry-after': '5' });
  });

  it.each([
    ['unique violation', withCode('23505')],
    ['syntax error', wrapped(withCode('42601'))],
    ['statement timeout (a slow query is not an outage)', withCode('57014')],
    ['serialization failure', withCode('40001')],
    ['a refusal of the vault', new Forbidden('no')],
    ['a plain bug', new TypeError('undefined is not a function')],
  ])('%s → unchanged', (_, e) => {
    expect(unavailableOr(e)).toBe(e);
  });

  it('when a serialization failure or deadlock is wrapped by drizzle, then it is still retryable; others are not', () => {
    expect(isRetryable(wrapped(withCode('40001')))).toBe(true);
    expect(isRetryable(withCode('40P01'))).toBe(true);
    expect(isRetryable(withCode('23505'))).toBe(false);
    expect(isRetryable(new Error('x'))).toBe(false);
  });
});
