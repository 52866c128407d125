// The condition language, compiled once at load time into closures so that a decision is a
// walk over ready-made functions (the read path budget is < 20 µs per decision).
// Semantics: a comparison whose fact (either side) is missing is false; test presence with
// `exists`. So `not` of a comparison over a missing fact is true: write rules accordingly.
import { CATEGORY_FACTS, FACTS, isCategoryFact, type FactType, type Scope } from './facts.ts';
import { COMPARISONS, type ComparisonOp, type Condition, type Operand } from './files.ts';
import { factInWords } from './words.ts';

export type Predicate = (scope: Scope) => boolean;
type Getter = (scope: Scope) => unknown;
type Rec = Record<string, unknown> | undefined;

/** A condition that cannot be compiled; `path` locates it inside its file. */
export class ConditionError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'ConditionError';
  }
}

export interface CompileContext {
  forEach?: 'category' | undefined;
}

/** Dotted path -> getter, specialised by depth because a generic loop costs more per call. */
export function getter(path: string): Getter {
  const [a = '', b = '', c = '', d = ''] = path.split('.');
  switch (path.split('.').length) {
    case 1:
      return (s) => (s as unknown as Rec)?.[a];
    case 2:
      return (s) => ((s as unknown as Rec)?.[a] as Rec)?.[b];
    case 3:
      return (s) => (((s as unknown as Rec)?.[a] as Rec)?.[b] as Rec)?.[c];
    default:
      return (s) => ((((s as unknown as Rec)?.[a] as Rec)?.[b] as Rec)?.[c] as Rec)?.[d];
  }
}

function factType(path: string, where: string, ctx: CompileContext): FactType {
  if (isCategoryFact(path) && ctx.forEach !== 'category') {
    throw new ConditionError(where, `fact "${path}" is only available in a rule with forEach: category`);
  }
  const type = (FACTS as Record<string, FactType>)[path] ?? (CATEGORY_FACTS as Record<string, FactType>)[path];
  if (!type) throw new ConditionError(where, `unknown fact "${path}"`);
  return type;
}

interface CompiledOperand {
  type: FactType;
  get: Getter;
  constant: boolean;
}

function operand(value: Operand, where: string, ctx: CompileContext): CompiledOperand {
  if (typeof value === 'object' && !Array.isArray(value)) {
    return { type: factType(value.fact, where, ctx), get: getter(value.fact), constant: false };
  }
  const type: FactType = Array.isArray(value) ? 'list' : (typeof value as FactType);
  const constant = Array.isArray(value) ? new Set<unknown>(value) : value;
  return { type, get: () => constant, constant: true };
}

/** Membership test on a list operand; a literal list was compiled to a Set above. */
function has(list: unknown, x: unknown): boolean {
  if (list instanceof Set) return list.has(x);
  return Array.isArray(list) && list.includes(x);
}
function items(list: unknown): unknown[] | undefined {
  if (list instanceof Set) return [...list];
  return Array.isArray(list) ? list : undefined;
}

const SIGNATURES: Record<
  ComparisonOp,
  [left: 'scalar' | 'number' | 'list', right: 'same' | 'number' | 'list' | 'scalar']
> = {
  eq: ['scalar', 'same'],
  ne: ['scalar', 'same'],
  lt: ['number', 'number'],
  lte: ['number', 'number'],
  gt: ['number', 'number'],
  gte: ['number', 'number'],
  in: ['scalar', 'list'],
  contains: ['list', 'scalar'],
  includesAny: ['list', 'list'],
  includesAll: ['list', 'list'],
  subsetOf: ['list', 'list'],
};

function checkTypes(op: ComparisonOp, left: FactType, right: FactType, where: string): void {
  const [l, r] = SIGNATURES[op];
  const leftOk = l === 'scalar' ? left !== 'list' : left === l;
  const rightOk = r === 'same' ? right === left : r === 'scalar' ? right !== 'list' : right === r;
  if (!leftOk || !rightOk) {
    throw new ConditionError(
      where,
      `${op} compares a ${l} fact with a ${r === 'same' ? left : r} value; got ${left} and ${right}`,
    );
  }
}

function comparison(op: ComparisonOp, path: string, value: Operand, where: string, ctx: CompileContext): Predicate {
  const leftType = factType(path, `${where}[0]`, ctx);
  const right = operand(value, `${where}[1]`, ctx);
  checkTypes(op, leftType, right.type, where);
  const left = getter(path);
  const r = right.get;
  switch (op) {
    case 'eq':
      return (s) => {
        const v = left(s);
        const w = r(s);
        return v !== undefined && w !== undefined && v === w;
      };
    case 'ne':
      return (s) => {
        const v = left(s);
        const w = r(s);
        return v !== undefined && w !== undefined && v !== w;
      };
    case 'lt':
      return (s) => {
        const v = left(s);
        const w = r(s);
        return typeof v === 'number' && typeof w === 'number' && v < w;
      };
    case 'lte':
      return (s) => {
        const v = left(s);
        const w = r(s);
        return typeof v === 'number' && typeof w === 'number' && v <= w;
      };
    case 'gt':
      return (s) => {
        const v = left(s);
        const w = r(s);
        return typeof v === 'number' && typeof w === 'number' && v > w;
      };
    case 'gte':
      return (s) => {
        const v = left(s);
        const w = r(s);
        return typeof v === 'number' && typeof w === 'number' && v >= w;
      };
    case 'in':
      return (s) => {
        const v = left(s);
        return v !== undefined && has(r(s), v);
      };
    case 'contains':
      return (s) => {
        const v = left(s);
        const w = r(s);
        return w !== undefined && Array.isArray(v) && v.includes(w);
      };
    case 'includesAny':
      return (s) => {
        const v = left(s);
        const w = items(r(s));
        return Array.isArray(v) && w !== undefined && w.some((x) => v.includes(x));
      };
    case 'includesAll':
      return (s) => {
        const v = left(s);
        const w = items(r(s));
        return Array.isArray(v) && w !== undefined && w.every((x) => v.includes(x));
      };
    case 'subsetOf':
      return (s) => {
        const v = left(s);
        const w = r(s);
        return Array.isArray(v) && items(w) !== undefined && v.every((x) => has(w, x));
      };
  }
}

export function compileCondition(c: Condition, where: string, ctx: CompileContext = {}): Predicate {
  const keys = Object.keys(c);
  if (keys.length !== 1) throw new ConditionError(where, 'a condition has exactly one operator');
  const op = keys[0] as keyof Condition;
  if (op === 'all' || op === 'any') {
    const parts = (c[op] ?? []).map((sub, i) => compileCondition(sub, `${where}.${op}[${i}]`, ctx));
    if (op === 'all')
      return (s) => {
        for (const p of parts) if (!p(s)) return false;
        return true;
      };
    return (s) => {
      for (const p of parts) if (p(s)) return true;
      return false;
    };
  }
  if (op === 'not') {
    const inner = compileCondition(c.not as Condition, `${where}.not`, ctx);
    return (s) => !inner(s);
  }
  if (op === 'exists') {
    factType(c.exists as string, `${where}.exists`, ctx);
    const get = getter(c.exists as string);
    return (s) => {
      const v = get(s);
      return v !== undefined && v !== null;
    };
  }
  if ((COMPARISONS as readonly string[]).includes(op)) {
    const [path, value] = c[op as ComparisonOp] as [string, Operand];
    return comparison(op as ComparisonOp, path, value, `${where}.${op}`, ctx);
  }
  throw new ConditionError(where, `unknown operator "${op}"`);
}

/** "Asks for {request.durationDays} days" -> a renderer; placeholders are checked like facts. */
export function compileTemplate(message: string, where: string, ctx: CompileContext = {}): (s: Scope) => string {
  const parts: (string | Getter)[] = [];
  let last = 0;
  for (const m of message.matchAll(/\{([a-zA-Z.]+)\}/g)) {
    parts.push(message.slice(last, m.index));
    factType(m[1] as string, where, ctx);
    const get = getter(m[1] as string);
    const words = factInWords(m[1] as string);
    parts.push(words ? (s) => inWords(get(s), words) : get);
    last = m.index + m[0].length;
  }
  parts.push(message.slice(last));
  if (parts.length === 1) return () => message;
  return (s) => parts.map((p) => (typeof p === 'string' ? p : show(p(s)))).join('');
}

/**
 * Facts whose values come from the policy files, the field catalogue or fixed enums, or are numbers: a closed
 * vocabulary. Anything else (a purpose as asked, value tags, refused purposes) was typed by a company or a
 * customer, and the append-only audit trail must not carry it (SECURITY.md "The audit trail").
 */
function closedFact(path: string, type: FactType): boolean {
  if (type === 'number' || type === 'boolean') return true;
  if (/^(platform|budget|category)\./.test(path)) return true;
  return (
    ['stage', 'request.fields', 'request.categories', 'request.actions', 'company.id'].includes(path) ||
    ['company.terms.benefit.kind', 'purpose.categories', 'purpose.actions'].includes(path)
  );
}

/**
 * The message as the audit trail keeps it: like compileTemplate, but a fact outside the closed vocabulary
 * stays as its `{name}`; the purpose is shown only when it is a registered one.
 */
export function compileAuditTemplate(message: string, where: string, ctx: CompileContext = {}): (s: Scope) => string {
  const parts: (string | Getter)[] = [];
  let last = 0;
  const known = getter('purpose.known');
  for (const m of message.matchAll(/\{([a-zA-Z.]+)\}/g)) {
    const path = m[1] as string;
    parts.push(message.slice(last, m.index));
    const type = factType(path, where, ctx);
    const get = getter(path);
    if (path === 'request.purpose' || path === 'purpose.id')
      parts.push((s) => (known(s) === true ? get(s) : `{${path}}`));
    else parts.push(closedFact(path, type) ? get : m[0]);
    last = m.index + m[0].length;
  }
  parts.push(message.slice(last));
  if (parts.length === 1) return () => message;
  return (s) => parts.map((p) => (typeof p === 'string' ? p : show(p(s)))).join('');
}

/** A fact's value as the customer reads it (server/policy/words.ts); lists stay lists for show(). */
function inWords(v: unknown, words: (v: string) => string): unknown {
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? words(x) : x));
  return typeof v === 'string' ? words(v) : v;
}

function show(v: unknown): string {
  if (v === undefined || v === null) return 'unknown';
  return Array.isArray(v) ? (v.length ? v.join(', ') : 'none') : String(v);
}
