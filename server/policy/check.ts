// `npm run vault -- policies check`: load and validate policies/, run policies/tests/, and
// report rules that no case exercises. One line per problem, so it reads well in a terminal.
import { loadPolicyCases, runPolicyCases } from './cases.ts';
import { PolicyLoadError } from './errors.ts';
import { loadPolicySet } from './load.ts';

export interface PolicyCheck {
  ok: boolean;
  message: string;
  version: string;
  rules: number;
  cases: number;
}

export function checkPolicies(dir = 'policies'): PolicyCheck {
  let version = '';
  let rules = 0;
  try {
    const set = loadPolicySet(dir);
    version = set.version;
    rules = set.rules.length;
    const report = runPolicyCases(loadPolicyCases(dir), set);
    const problems = [
      ...report.failures.map((f) => `${f.file}: "${f.name}": ${f.problem}`),
      ...report.uncovered.map((u) => `rule ${u.ruleId} has no ${u.missing.join(' and no ')} case in ${dir}/tests`),
    ];
    const ok = problems.length === 0;
    const summary = `${dir}: ${rules} rules, ${report.cases} cases, version ${version}`;
    return {
      ok,
      version,
      rules,
      cases: report.cases,
      message: ok ? `${summary}: ok` : `${summary}: ${problems.length} problem(s)\n${problems.join('\n')}`,
    };
  } catch (err) {
    if (!(err instanceof PolicyLoadError)) throw err;
    return { ok: false, message: err.message, version, rules, cases: 0 };
  }
}
