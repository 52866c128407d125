import { Router } from 'express';
import { z } from 'zod';
import type { SessionAuth } from '../../customers/session-auth.ts';
import { limiter } from '../../http/rate-limit.ts';
import type { RateStores } from '../../http/rate-store.ts';
import { parse } from '../../http/validate.ts';
import type { DeviceFlow } from './service.ts';

/**
 * How many user codes may be tried (RFC 8628 §5.1, SECURITY.md "Connected products"). Only wrong ones
 * count (a right one answers 200), so a customer who types correctly is never slowed.
 */
export const USER_CODE_LIMITS = {
  perSession: { limit: 5, windowSeconds: 900 },
  perAddress: { limit: 20, windowSeconds: 900 },
};

export const userCodeSchema = z.strictObject({
  code: z
    .string()
    .max(32)
    .meta({ description: 'The code the product shows, as typed ("BCDF-GHJK"; case and dashes do not matter)' }),
});

/** The customer's side of the device flow: entering the user code shown by a connected product (RFC 8628 §3.3). */
export function deviceRoutes(device: DeviceFlow, auth: SessionAuth, rates?: RateStores): Router {
  const r = Router();
  const L = USER_CODE_LIMITS;
  const perSession = limiter(
    {
      windowMs: L.perSession.windowSeconds * 1000,
      limit: L.perSession.limit,
      key: (req) => req.session?.idHash ?? 'none',
      perIp: false,
      skipSuccessfulRequests: true,
      what: 'wrong codes',
    },
    rates,
  );
  const perAddress = limiter(
    {
      windowMs: L.perAddress.windowSeconds * 1000,
      limit: L.perAddress.limit,
      skipSuccessfulRequests: true,
      what: 'wrong codes',
    },
    rates,
  );
  r.post('/api/device', auth.requireCustomer, perAddress, perSession, async (req, res) => {
    const { code } = parse(userCodeSchema, req.body);
    res.json(await device.enter(auth.session(req).subjectId, code, String(req.id)));
  });
  return r;
}
