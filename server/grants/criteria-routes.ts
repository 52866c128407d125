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
  valueTags(): string[];
  /** Every company that has ever asked this customer for anything, with its current name. */
  companiesThatAsked(customerId: string): Array<{ id: string; name: string }>;
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
  present: (g: Grant) => unknown,
): Router {
  const r = Router();
  const me = (req: Parameters<RequestHandler>[0]) => auth.session(req).subjectId;

  r.get('/api/criteria/options', auth.requireCustomer, (req, res) => {
    res.json({
      purposes: options.purposes(),
      valueTags: options.valueTags(),
      companies: options.companiesThatAsked(me(req)),
    });
  });

  r.post('/api/criteria/preview', auth.requireCustomer, (req, res) => {
    const impact = preview(me(req), parse(customerCriteriaSchema, req.body));
    const show = ({ grant, reasons }: { grant: Grant; reasons: string[] }) => ({ grant: present(grant), reasons });
    res.json({ revoke: impact.revoke.map(show), suspend: impact.suspend.map(show) });
  });
  return r;
}
