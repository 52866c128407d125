import { Router, type RequestHandler } from 'express';
import type { SessionAuth } from '../customers/session-auth.ts';
import { parse } from '../http/validate.ts';
import { customerCriteriaSchema } from '../policy/types.ts';
import type { CriteriaPreview } from './criteria-preview.ts';
import type { Grant } from './service.ts';

/** What the criteria form chooses from: nothing is typed free-hand. */
export interface CriteriaOptionSources {
  purposes(): Array<{ id: string; description: string; marketing: boolean }>;
  /** Value tags that companies' current terms declare. */
  valueTags(): Promise<string[]>;
  /** Every company that has ever asked this customer for anything, with its current name. */
  companiesThatAsked(customerId: string): Promise<Array<{ id: string; name: string }>>;
}

/**
 * The criteria form's lists and its dry run: `POST /api/criteria/preview` answers which live grants the
 * proposed criteria would revoke or suspend, and changes nothing (ARCHITECTURE.md, "Where policy decisions
 * happen": re-evaluation).
 */
export function criteriaRoutes(
  auth: SessionAuth,
  preview: CriteriaPreview,
  options: CriteriaOptionSources,
  present: (g: Grant) => Promise<object>,
): Router {
  const r = Router();
  const me = (req: Parameters<RequestHandler>[0]) => auth.session(req).subjectId;

  r.get('/api/criteria/options', auth.requireCustomer, async (req, res) => {
    res.json({
      purposes: options.purposes(),
      valueTags: await options.valueTags(),
      companies: await options.companiesThatAsked(me(req)),
    });
  });

  r.post('/api/criteria/preview', auth.requireCustomer, async (req, res) => {
    const impact = await preview(me(req), parse(customerCriteriaSchema, req.body));
    const show = async ({ grant, reasons }: { grant: Grant; reasons: string[] }) => ({
      grant: await present(grant),
      reasons,
    });
    res.json({
      revoke: await Promise.all(impact.revoke.map(show)),
      suspend: await Promise.all(impact.suspend.map(show)),
    });
  });
  return r;
}
