import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { parse } from '../http/validate.ts';
import { categorySchema } from '../policy/types.ts';
import type { DataService } from './service.ts';

export const handleSchema = z.string().regex(/^vh-[a-z2-9]{5}-[a-z2-9]{5}$/, 'not a vault handle');
export const querySchema = z.strictObject({ fields: z.string().max(2000).optional() });
export const depositSchema = z.strictObject({
  category: categorySchema,
  content: z.record(z.string().max(100), z.unknown()).refine((o) => JSON.stringify(o).length <= 16_384, 'content is larger than 16 KiB'),
});

/** The company data API: read granted fields, deposit records. Thin: parse, call the service, send. */
export function dataRoutes(data: DataService, requireToken: RequestHandler): Router {
  const r = Router();
  r.get('/data/customers/:handle', requireToken, async (req, res) => {
    const handle = parse(handleSchema, req.params.handle, 'path.handle');
    const q = parse(querySchema, req.query, 'query');
    const fields = q.fields?.split(',').map((f) => f.trim()).filter(Boolean);
    res.set('cache-control', 'no-store').json(await data.read({ ...req.token!, handle, requestId: String(req.id) }, fields));
  });
  r.post('/data/customers/:handle/records', requireToken, async (req, res) => {
    const handle = parse(handleSchema, req.params.handle, 'path.handle');
    const body = parse(depositSchema, req.body);
    res.status(201).json(await data.deposit({ ...req.token!, handle, requestId: String(req.id) }, body));
  });
  return r;
}
