import { Router } from 'express';
import { z } from 'zod';
import type { SessionAuth } from '../customers/session-auth.ts';
import { parse } from '../http/validate.ts';
import type { CustomerRecords } from './customer-records.ts';

export const recordIdSchema = z.uuid('not a record id');
export const hideSchema = z.strictObject({ hidden: z.boolean() });

/** The customer's records page: list, hide from sharing (or share again), delete. Thin: parse, call, send. */
export function customerRecordRoutes(records: CustomerRecords, auth: SessionAuth): Router {
  const r = Router();
  r.get('/api/records', auth.requireCustomer, async (req, res) => {
    res.set('cache-control', 'no-store').json(await records.list(auth.session(req).subjectId));
  });
  r.put('/api/records/:id/hidden', auth.requireCustomer, async (req, res) => {
    const id = parse(recordIdSchema, req.params.id, 'path.id');
    const { hidden } = parse(hideSchema, req.body);
    await records.setHidden(auth.session(req).subjectId, id, hidden, String(req.id));
    res.status(204).end();
  });
  r.delete('/api/records/:id', auth.requireCustomer, async (req, res) => {
    await records.remove(auth.session(req).subjectId, parse(recordIdSchema, req.params.id, 'path.id'), String(req.id));
    res.status(204).end();
  });
  return r;
}
