import { Router, type RequestHandler } from 'express';
import { managementClient } from '../grants/routes.ts';
import { parse } from '../http/validate.ts';
import { pollSchema, type Polling } from './poll.ts';

/** RFC 8936 polling, with the company's grant_management token (client_credentials). */
export function eventRoutes(polling: Polling, requireManagementToken: RequestHandler): Router {
  const r = Router();
  r.post('/company/events/poll', requireManagementToken, async (req, res) => {
    const out = await polling.poll(managementClient(req), parse(pollSchema, req.body ?? {}));
    res.set('cache-control', 'no-store').json(out);
  });
  return r;
}
