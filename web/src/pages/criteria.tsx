import { useEffect, useState } from 'preact/hooks';
import { ApiError, api } from '../api.ts';
import {
  ErrorSummary,
  FieldMessage,
  fieldErrorsOf,
  hasFieldErrors,
  invalidProps,
  type FieldError,
} from '../errors.tsx';
import { humanise, plural } from '../format.ts';
import { valueTagLabel } from '../labels.ts';
import { setNavigationGuard } from '../router.ts';
import type { Action, AutoApproveRule, Criteria, Grant } from '../types.ts';
import {
  Button,
  Card,
  ConfirmDialog,
  EmptyState,
  Notice,
  ProblemAlert,
  ResourceView,
  useFieldCatalogue,
  useResource,
  type Resource,
} from '../ui.tsx';

interface Options {
  purposes: { id: string; description: string; marketing: boolean }[];
  valueTags: string[];
  companies: { id: string; name: string }[];
}
interface Impact {
  revoke: { grant: Grant; reasons: string[] }[];
  suspend: { grant: Grant; reasons: string[] }[];
}

type Rule = { purposes: string[]; categories: string[]; actions: Action[]; maxDurationDays: string };
interface Draft {
  maxRetentionDays: string;
  benefitWithinDays: string;
  benefitRequiredForMarketing: boolean;
  refusedPurposes: string[];
  requiredValueTags: string[];
  blockedCompanies: string[];
  autoApprove: Rule[];
}

function toDraft(c: Criteria): Draft {
  return {
    maxRetentionDays: c.maxRetentionDays === undefined || c.maxRetentionDays === null ? '' : String(c.maxRetentionDays),
    benefitWithinDays: c.benefitWithinDaysOfFirstRead ? String(c.benefitWithinDaysOfFirstRead) : '',
    benefitRequiredForMarketing: !!c.benefitRequiredForMarketing,
    refusedPurposes: [...(c.refusedPurposes ?? [])],
    requiredValueTags: [...(c.requiredValueTags ?? [])],
    blockedCompanies: [...(c.blockedCompanies ?? [])],
    autoApprove: (c.autoApprove ?? []).map((r) => ({
      purposes: [...r.purposes],
      categories: [...r.categories],
      actions: [...r.actions],
      maxDurationDays: String(r.maxDurationDays),
    })),
  };
}

function fromDraft(d: Draft): Criteria {
  const out: Criteria = {
    benefitRequiredForMarketing: d.benefitRequiredForMarketing,
    refusedPurposes: d.refusedPurposes,
    requiredValueTags: d.requiredValueTags,
    blockedCompanies: d.blockedCompanies,
    autoApprove: d.autoApprove.map((r): AutoApproveRule => ({
      purposes: r.purposes,
      categories: r.categories as AutoApproveRule['categories'],
      actions: r.actions,
      maxDurationDays: Number(r.maxDurationDays),
    })),
  };
  if (d.maxRetentionDays.trim()) out.maxRetentionDays = Number(d.maxRetentionDays);
  if (d.benefitWithinDays.trim()) out.benefitWithinDaysOfFirstRead = Number(d.benefitWithinDays);
  return out;
}

const toggle = <T,>(list: T[], v: T, on: boolean) => (on ? [...list, v] : list.filter((x) => x !== v));
const UNSAVED = 'You have unsaved changes to your criteria. Leave without saving them?';

export function CriteriaCard() {
  const [res, reload] = useResource<Criteria>('/api/criteria');
  const [opts, reloadOpts] = useResource<Options>('/api/criteria/options');
  // The form chooses from the options: without them it would offer empty lists, so both must load.
  const both: Resource<[Criteria, Options]> =
    res.state !== 'ok' ? res : opts.state === 'ok' ? { state: 'ok', data: [res.data, opts.data] } : opts;
  return (
    <Card title="Your criteria" id="criteria">
      <p class="card-intro">
        Meet my criteria and I will tell you everything; don't, and I will lock you out. Companies whose terms fall
        short are refused before they reach you, and requests that match an auto-approve rule are granted without
        asking.
      </p>
      <ResourceView
        res={both}
        what="your criteria"
        empty={<EmptyState title="Criteria are not available on this vault yet" />}
        onRetry={() => {
          if (res.state === 'error') reload();
          if (opts.state === 'error') reloadOpts();
        }}
      >
        {([c, o]) => <CriteriaForm initial={c} options={o} />}
      </ResourceView>
    </Card>
  );
}

function CriteriaForm({ initial, options }: { initial: Criteria; options: Options }) {
  const catalogue = useFieldCatalogue();
  const [saved, setSavedCriteria] = useState<Draft>(() => toDraft(initial));
  const [d, setD] = useState<Draft>(saved);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | string | FieldError[]>();
  const [done, setDone] = useState<string>();
  const [impact, setImpact] = useState<Impact>();
  const categories = [...new Set((catalogue ?? []).map((f) => f.category))];
  const dirty = JSON.stringify(fromDraft(d)) !== JSON.stringify(fromDraft(saved));

  // Unsaved changes: the browser asks before the page goes, the dashboard before an in-app navigation.
  useEffect(() => {
    if (!dirty) return;
    const onUnload = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener('beforeunload', onUnload);
    setNavigationGuard(() => window.confirm(UNSAVED));
    return () => {
      window.removeEventListener('beforeunload', onUnload);
      setNavigationGuard(undefined);
    };
  }, [dirty]);

  const companies = new Map(options.companies.map((c) => [c.id, c.name]));
  const tags = [...new Set([...options.valueTags, ...d.requiredValueTags])].sort((x, y) =>
    valueTagLabel(x).localeCompare(valueTagLabel(y)),
  );
  const purposes = options.purposes.length
    ? options.purposes
    : d.refusedPurposes.map((id) => ({ id, description: '', marketing: false }));

  const set = (patch: Partial<Draft>) => {
    setDone(undefined);
    setD({ ...d, ...patch });
  };
  const setRule = (i: number, patch: Partial<Rule>) =>
    set({ autoApprove: d.autoApprove.map((r, j) => (j === i ? { ...r, ...patch } : r)) });

  // Field errors go to the summary at the top; other refusals stay an alert by the buttons.
  const errors: FieldError[] = Array.isArray(error)
    ? error
    : error instanceof ApiError && hasFieldErrors(error)
      ? fieldErrorsOf(error, {
          maxRetentionDays: { id: 'max-retention', label: 'Longest a company may keep my data' },
          benefitWithinDaysOfFirstRead: { id: 'benefit-within', label: 'Days a company has to deliver its benefit' },
        })
      : [];

  function check(): FieldError[] {
    const r = d.maxRetentionDays.trim();
    if (r && !(Number.isInteger(Number(r)) && Number(r) >= 0))
      return [
        {
          field: 'max-retention',
          message: 'Enter the longest a company may keep your data as a whole number of days, or leave it empty.',
        },
      ];
    const w = d.benefitWithinDays.trim();
    if (w && !(Number.isInteger(Number(w)) && Number(w) >= 1 && Number(w) <= 365))
      return [{ field: 'benefit-within', message: 'Enter a whole number of days from 1 to 365, or leave it empty.' }];
    for (const [i, rule] of d.autoApprove.entries()) {
      if (!rule.purposes.length || !rule.actions.length || !rule.categories.length)
        return [
          { message: `Auto-approve rule ${i + 1}: choose at least one purpose, one kind of data and one action.` },
        ];
      if (!(Number(rule.maxDurationDays) > 0))
        return [
          { field: `rule-${i}-days`, message: `Auto-approve rule ${i + 1}: enter the longest duration in days.` },
        ];
    }
    return [];
  }

  /** First the dry run: what saving would do to live grants; saved at once when it changes none. */
  async function submit(e: Event) {
    e.preventDefault();
    setError(undefined);
    const problems = check();
    if (problems.length) return setError(problems);
    setBusy(true);
    try {
      const preview = await api<Impact>('POST', '/api/criteria/preview', fromDraft(d));
      if (preview.revoke.length || preview.suspend.length) setImpact(preview);
      else await save();
    } catch (err) {
      setError(err instanceof ApiError ? err : String(err));
    } finally {
      setBusy(false);
    }
  }

  async function save() {
    setBusy(true);
    try {
      const out = await api<Criteria>('PUT', '/api/criteria', fromDraft(d));
      const next = toDraft(out);
      setSavedCriteria(next);
      setD(next);
      const changed = impact ? impact.revoke.length + impact.suspend.length : 0;
      setImpact(undefined);
      setDone(
        changed
          ? `Your criteria are saved. ${plural(changed, 'grant')} changed, as shown.`
          : 'Your criteria are saved. No current grant is affected; they apply to every request from now on.',
      );
    } catch (err) {
      setError(err instanceof ApiError ? err : String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="form criteria-form" onSubmit={submit} noValidate>
      <ErrorSummary errors={errors} />
      <div class="form-grid">
        <div class="form-row">
          <label for="max-retention">Longest a company may keep my data</label>
          <div class="input-suffix">
            <input
              id="max-retention"
              type="number"
              min={0}
              step={1}
              inputMode="numeric"
              value={d.maxRetentionDays}
              onInput={(e) => set({ maxRetentionDays: e.currentTarget.value })}
              {...invalidProps(errors, 'max-retention', 'max-retention-hint')}
            />
            <span aria-hidden="true">days</span>
          </div>
          <p class="hint" id="max-retention-hint">
            Leave empty for no limit of your own.
          </p>
          <FieldMessage errors={errors} field="max-retention" />
        </div>
        <div class="form-row">
          <span class="label">Marketing</span>
          <label class="check">
            <input
              type="checkbox"
              checked={d.benefitRequiredForMarketing}
              onChange={(e) => set({ benefitRequiredForMarketing: e.currentTarget.checked })}
            />
            Only if I get something in return (a discount, payment or service)
          </label>
        </div>
        <div class="form-row">
          <label for="benefit-within">Days a company has to deliver its benefit</label>
          <div class="input-suffix">
            <input
              id="benefit-within"
              type="number"
              min={1}
              max={365}
              step={1}
              inputMode="numeric"
              value={d.benefitWithinDays}
              onInput={(e) => set({ benefitWithinDays: e.currentTarget.value })}
              {...invalidProps(errors, 'benefit-within', 'benefit-within-hint')}
            />
            <span aria-hidden="true">days</span>
          </div>
          <p class="hint" id="benefit-within-hint">
            Suspend a company that has not delivered the benefit it declares this many days after it first read my data.
            Leave empty to not check.
          </p>
          <FieldMessage errors={errors} field="benefit-within" />
        </div>
      </div>

      <fieldset class="group">
        <legend>Purposes I refuse</legend>
        <p class="hint">A company that asks for one of these is refused without reaching you.</p>
        <div class="checks">
          {purposes.map((p) => (
            <label class="check check-described" key={p.id}>
              <input
                type="checkbox"
                checked={d.refusedPurposes.includes(p.id)}
                onChange={(e) => set({ refusedPurposes: toggle(d.refusedPurposes, p.id, e.currentTarget.checked) })}
              />
              <span>
                {humanise(p.id)}
                {p.description && <span class="hint"> {p.description}</span>}
              </span>
            </label>
          ))}
        </div>
      </fieldset>

      <fieldset class="group">
        <legend>Commitments I require</legend>
        <p class="hint">A company must declare every commitment you tick in its terms.</p>
        {tags.length ? (
          <div class="checks checks-inline">
            {tags.map((t) => (
              <label class="check" key={t}>
                <input
                  type="checkbox"
                  checked={d.requiredValueTags.includes(t)}
                  onChange={(e) => set({ requiredValueTags: toggle(d.requiredValueTags, t, e.currentTarget.checked) })}
                />
                {valueTagLabel(t)}
              </label>
            ))}
          </div>
        ) : (
          <p class="muted">No company declares a commitment yet.</p>
        )}
      </fieldset>

      <fieldset class="group">
        <legend>Blocked companies</legend>
        <p class="hint">
          A blocked company loses every grant at once and its future requests are refused without reaching you. Every
          company that has ever asked you is listed.
        </p>
        {options.companies.length || d.blockedCompanies.length ? (
          <div class="checks">
            {[...new Set([...options.companies.map((c) => c.id), ...d.blockedCompanies])].map((id) => (
              <label class="check" key={id}>
                <input
                  type="checkbox"
                  checked={d.blockedCompanies.includes(id)}
                  onChange={(e) => set({ blockedCompanies: toggle(d.blockedCompanies, id, e.currentTarget.checked) })}
                />
                Block {companies.get(id) ?? 'a company that no longer uses the vault'}
              </label>
            ))}
          </div>
        ) : (
          <p class="muted">No company has asked you for anything yet.</p>
        )}
      </fieldset>

      <fieldset class="group">
        <legend>Auto-approve rules</legend>
        <p class="hint">
          Requests from companies that meet your criteria and match a rule are granted without asking you. Sensitive
          data always needs you in person.
        </p>
        {d.autoApprove.map((r, i) => (
          <fieldset class="rule" key={i}>
            <legend>Rule {i + 1}</legend>
            <fieldset class="subgroup">
              <legend>For these purposes</legend>
              <div class="checks checks-inline">
                {options.purposes.map((p) => (
                  <label class="check" key={p.id}>
                    <input
                      type="checkbox"
                      checked={r.purposes.includes(p.id)}
                      onChange={(e) => setRule(i, { purposes: toggle(r.purposes, p.id, e.currentTarget.checked) })}
                    />
                    {humanise(p.id)}
                  </label>
                ))}
              </div>
            </fieldset>
            <fieldset class="subgroup">
              <legend>This kind of data</legend>
              <div class="checks checks-inline">
                {categories.map((c) => (
                  <label class="check" key={c}>
                    <input
                      type="checkbox"
                      checked={r.categories.includes(c)}
                      onChange={(e) => setRule(i, { categories: toggle(r.categories, c, e.currentTarget.checked) })}
                    />
                    {humanise(c)}
                  </label>
                ))}
              </div>
            </fieldset>
            <fieldset class="subgroup">
              <legend>May</legend>
              <div class="checks checks-inline">
                {(['read', 'deposit'] as const).map((a) => (
                  <label class="check" key={a}>
                    <input
                      type="checkbox"
                      checked={r.actions.includes(a)}
                      onChange={(e) => setRule(i, { actions: toggle(r.actions, a, e.currentTarget.checked) })}
                    />
                    {a === 'read' ? 'Read' : 'Add records'}
                  </label>
                ))}
              </div>
            </fieldset>
            <div class="rule-foot">
              <div class="form-row">
                <label for={`rule-${i}-days`}>For at most</label>
                <div class="input-suffix">
                  <input
                    id={`rule-${i}-days`}
                    type="number"
                    min={1}
                    step={1}
                    value={r.maxDurationDays}
                    onInput={(e) => setRule(i, { maxDurationDays: e.currentTarget.value })}
                    {...invalidProps(errors, `rule-${i}-days`)}
                  />
                  <span aria-hidden="true">days</span>
                </div>
                <FieldMessage errors={errors} field={`rule-${i}-days`} />
              </div>
              <Button
                variant="ghost"
                class="btn-quiet-danger"
                onClick={() => set({ autoApprove: d.autoApprove.filter((_, j) => j !== i) })}
              >
                Remove rule {i + 1}
              </Button>
            </div>
          </fieldset>
        ))}
        <Button
          onClick={() =>
            set({
              autoApprove: [
                ...d.autoApprove,
                { purposes: [], categories: [], actions: ['read'], maxDurationDays: '30' },
              ],
            })
          }
        >
          Add a rule
        </Button>
      </fieldset>

      {!errors.length && !Array.isArray(error) && <ProblemAlert error={error} />}
      {done && <Notice>{done}</Notice>}
      <div class="form-actions">
        <Button type="submit" variant="primary" busy={busy && !impact}>
          Save criteria
        </Button>
        {dirty && (
          <Button variant="ghost" onClick={() => (setD(saved), setError(undefined))}>
            Undo changes
          </Button>
        )}
      </div>
      <ConfirmDialog
        open={!!impact}
        title="Before you save: what changes for your grants"
        confirmLabel="Save and apply"
        danger
        busy={busy}
        onConfirm={() => void save()}
        onCancel={() => setImpact(undefined)}
      >
        {impact && <ImpactList impact={impact} />}
      </ConfirmDialog>
    </form>
  );
}

function ImpactList({ impact }: { impact: Impact }) {
  const item = (x: Impact['revoke'][number]) => (
    <li key={x.grant.id}>
      <strong>{x.grant.company.name}</strong>, for {humanise(x.grant.purpose).toLowerCase()}: {x.reasons.join(' ')}
    </li>
  );
  return (
    <div class="criteria-impact">
      {impact.revoke.length > 0 && (
        <>
          <p>Revoked at once ({plural(impact.revoke.length, 'grant')}):</p>
          <ul>{impact.revoke.map(item)}</ul>
        </>
      )}
      {impact.suspend.length > 0 && (
        <>
          <p>Suspended until you re-approve them ({plural(impact.suspend.length, 'grant')}):</p>
          <ul>{impact.suspend.map(item)}</ul>
        </>
      )}
    </div>
  );
}
