import { Router } from 'express';
import { z } from 'zod';
import { limiter, hashedBodyField } from '../http/rate-limit.ts';
import type { RateStores } from '../http/rate-store.ts';
import { parse } from '../http/validate.ts';
import { credentialsSchema, type Accounts } from './accounts.ts';
import { publicCatalogue, type Category } from './field-catalogue.ts';
import type { Profile } from './profile.ts';
import type { Criteria } from './criteria.ts';
import { customerCriteriaSchema } from '../policy/types.ts';
import type { SessionAuth } from './session-auth.ts';

export const deleteSchema = z.strictObject({ confirm: z.literal('delete my account') });
export const messageIdSchema = z.uuid('not a message id');
// Passed through as parsed (not rebuilt by zod) so that keys such as "__proto__" reach the field check.
const profilePatchSchema = z
  .custom<Record<string, unknown>>(
    (o) => typeof o === 'object' && o !== null && !Array.isArray(o),
    'expected an object of field: value',
  )
  .refine((o) => Object.keys(o).length <= 50, 'too many fields');

export function customerRoutes(
  accounts: Accounts,
  profile: Profile,
  criteria: Criteria,
  auth: SessionAuth,
  isSensitive: (category: Category) => boolean,
  rates?: RateStores,
): Router {
  const r = Router();
  const catalogue = publicCatalogue(isSensitive);

  r.get('/api/fields', (_req, res) => {
    res.json({ fields: catalogue });
  });

  r.post(
    '/api/account',
    auth.sessionless,
    limiter({ windowMs: 3600_000, limit: 20, what: 'sign-ups' }, rates),
    async (req, res) => {
      const creds = parse(credentialsSchema, req.body);
      const out = await accounts.signUp(creds);
      auth.setCookie(res, out.token);
      res.status(201).json({ kind: 'customer', id: out.id, handle: out.handle, csrfToken: out.session.csrfToken });
    },
  );

  // Sign-in is limited per address and per IP; failures only count, so a customer who gets it right is not slowed.
  const perAccount = limiter(
    {
      windowMs: 15 * 60_000,
      limit: 5,
      key: hashedBodyField('email'),
      perIp: false,
      skipSuccessfulRequests: true,
      what: 'sign-in attempts',
    },
    rates,
  );
  const perIp = limiter(
    { windowMs: 15 * 60_000, limit: 50, skipSuccessfulRequests: true, what: 'sign-in attempts' },
    rates,
  );
  r.post('/api/session', auth.sessionless, perIp, perAccount, async (req, res) => {
    const creds = parse(credentialsSchema, req.body);
    const out = await accounts.signIn(creds, String(req.id));
    auth.setCookie(res, out.token);
    res.json({ kind: out.kind, id: out.id, handle: out.handle, csrfToken: out.session.csrfToken });
  });

  r.get('/api/session', async (req, res) => {
    const s = auth.session(req);
    res.json({
      kind: s.kind,
      id: s.subjectId,
      csrfToken: s.csrfToken,
      ...(s.kind === 'customer' ? { handle: await profile.handleOf(s.subjectId) } : {}),
    });
  });

  r.delete('/api/session', auth.requireSignedIn, async (req, res) => {
    await accounts.signOut(auth.session(req));
    auth.clearCookie(res);
    res.status(204).end();
  });

  r.get('/api/profile', auth.requireCustomer, async (req, res) => {
    res.json({ fields: await profile.readFields(auth.session(req).subjectId) });
  });

  r.patch('/api/profile', auth.requireCustomer, async (req, res) => {
    const changes = parse(profilePatchSchema, req.body);
    res.json({ fields: await profile.updateFields(auth.session(req).subjectId, changes) });
  });

  r.get('/api/criteria', auth.requireCustomer, async (req, res) => {
    res.json(await criteria.get(auth.session(req).subjectId));
  });

  r.put('/api/criteria', auth.requireCustomer, async (req, res) => {
    res.json(await criteria.set(auth.session(req).subjectId, parse(customerCriteriaSchema, req.body)));
  });

  r.get('/api/inbox', auth.requireCustomer, async (req, res) => {
    res.json({ messages: await profile.inbox(auth.session(req).subjectId) });
  });

  r.post('/api/inbox/:id/read', auth.requireCustomer, async (req, res) => {
    await profile.markRead(auth.session(req).subjectId, parse(messageIdSchema, req.params.id, 'path.id'));
    res.status(204).end();
  });

  r.get('/api/export', auth.requireCustomer, async (req, res) => {
    const data = await profile.exportAll(auth.session(req).subjectId, String(req.id));
    // Indented, so the downloaded file can be read as it is (issue 14: "readable JSON").
    res
      .set('content-disposition', 'attachment; filename="vault-export.json"')
      .type('json')
      .send(JSON.stringify(data, null, 2));
  });

  r.delete('/api/account', auth.requireCustomer, async (req, res) => {
    parse(deleteSchema, req.body);
    await profile.deleteAccount(auth.session(req).subjectId, String(req.id));
    auth.clearCookie(res);
    res.status(204).end();
  });

  return r;
}
