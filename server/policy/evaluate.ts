// The decision: pure, no I/O. First gather the facts derived from policies/ (the purpose's
// entry, its budget, each category's limits), then run the compiled rules of this stage in
// file order. Every rule that fires adds one reason per match, so a decision explains itself.
import type { CategoryFacts, PurposeFacts, Scope } from './facts.ts';
import { budgetFor, type CompiledRule, type PolicySet } from './registry.ts';
import type { AutoApproveRule, Decision, DecisionFacts, Reason, RequestFacts } from './types.ts';

/** Which rules a decision looked at and which fired; the policy test runner checks coverage with it. */
export interface Trace {
  evaluated: Set<string>;
  fired: Set<string>;
}

// A category the policy set does not know is sensitive with a 0-day limit: fail closed.
function unknownCategory(id: string): CategoryFacts {
  return { id, known: false, sensitive: true, maxDurationDays: 0, autoApprove: false };
}

function reasonOf(rule: CompiledRule, scope: Scope): Reason {
  const reason: Reason = {
    code: rule.reason,
    message: rule.message(scope),
    ruleId: rule.id,
    source: rule.source,
    effect: rule.effect,
  };
  // Not enumerable: the trail's wording is internal, so no answer or screen that serialises a reason carries it.
  Object.defineProperty(reason, 'auditMessage', { value: rule.auditMessage(scope), enumerable: false });
  return reason;
}

/** The customer's "any company meeting my criteria may ..." rules: all four dimensions must fit. */
export function matchesAutoApprove(request: RequestFacts, rules: readonly AutoApproveRule[]): boolean {
  return rules.some(
    (r) =>
      r.purposes.includes(request.purpose) &&
      request.categories.every((c) => r.categories.includes(c)) &&
      request.actions.every((a) => r.actions.includes(a)) &&
      request.durationDays <= r.maxDurationDays,
  );
}

export function evaluate(facts: DecisionFacts, set: PolicySet): Decision {
  return decide(facts, set, undefined);
}

export function evaluateTraced(facts: DecisionFacts, set: PolicySet): { decision: Decision; trace: Trace } {
  const trace: Trace = { evaluated: new Set(), fired: new Set() };
  return { decision: decide(facts, set, trace), trace };
}

function decide(facts: DecisionFacts, set: PolicySet, trace: Trace | undefined): Decision {
  const { request } = facts;
  const purpose: PurposeFacts = set.purposes.get(request.purpose) ?? { id: request.purpose, known: false };
  const scope: Scope = {
    stage: facts.stage,
    request,
    company: facts.company,
    customer: facts.customer,
    usage: facts.usage,
    benefits: facts.benefits,
    purpose,
    platform: set.platform,
    budget: budgetFor(set, request.purpose),
    category: undefined,
  };
  const reasons: Reason[] = [];
  let denied = false;
  let needsApproval = false;
  for (const rule of set.rulesByStage[facts.stage]) {
    trace?.evaluated.add(rule.id);
    let fired = false;
    if (rule.forEach === 'category') {
      for (const c of request.categories) {
        scope.category = set.categories.get(c) ?? unknownCategory(c);
        if (rule.when(scope)) {
          fired = true;
          reasons.push(reasonOf(rule, scope));
        }
      }
      scope.category = undefined;
    } else if (rule.when(scope)) {
      fired = true;
      reasons.push(reasonOf(rule, scope));
    }
    if (!fired) continue;
    trace?.fired.add(rule.id);
    if (rule.effect === 'deny') denied = true;
    else needsApproval = true;
    if (rule.halt) break;
  }
  const autoApprove =
    !denied &&
    !needsApproval &&
    facts.stage === 'request' &&
    matchesAutoApprove(request, facts.customer.criteria.autoApprove);
  return { allow: !denied, reasons, policyVersion: set.version, autoApprove };
}
