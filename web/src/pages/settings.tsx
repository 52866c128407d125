import { useState } from 'preact/hooks';
import { ApiError, api, download } from '../api.ts';
import { humanise, splitList } from '../format.ts';
import { navigate } from '../router.ts';
import { setFlash, setSession } from '../session.ts';
import type { Action, AutoApproveRule, Criteria, Grant } from '../types.ts';
import {
  Button,
  Card,
  EmptyState,
  Notice,
  PageHeader,
  ProblemAlert,
  ResourceView,
  useFieldCatalogue,
  useResource,
} from '../ui.tsx';

export function SettingsPage() {
  return (
    <>
      <PageHeader
        title="Settings"
        intro="Your terms for companies, a copy of everything the vault holds about you, and the way out."
      />
      <CriteriaCard />
      <ExportCard />
      <DeleteCard />
    </>
  );
}

/* ---------- criteria ---------- */

interface Draft {
  maxRetentionDays: string;
  benefitRequiredForMarketing: boolean;
  refusedPurposes: string;
  requiredValueTags: string;
  blockedCompanies: string[];
  autoApprove: { purposes: string; categories: string[]; actions: Action[]; maxDurationDays: string }[];
}

function toDraft(c: Criteria): Draft {
  return {
    maxRetentionDays: c.maxRetentionDays === undefined || c.maxRetentionDays === null ? '' : String(c.maxRetentionDays),
    benefitRequiredForMarketing: !!c.benefitRequiredForMarketing,
    refusedPurposes: (c.refusedPurposes ?? []).join(', '),
    requiredValueTags: (c.requiredValueTags ?? []).join(', '),
    blockedCompanies: [...(c.blockedCompanies ?? [])],
    autoApprove: (c.autoApprove ?? []).map((r) => ({
      purposes: r.purposes.join(', '),
      categories: [...r.categories],
      actions: [...r.actions],
      maxDurationDays: String(r.maxDurationDays),
    })),
  };
}

function fromDraft(d: Draft): Criteria {
  const out: Criteria = {
    benefitRequiredForMarketing: d.benefitRequiredForMarketing,
    refusedPurposes: splitList(d.refusedPurposes),
    requiredValueTags: splitList(d.requiredValueTags),
    blockedCompanies: d.blockedCompanies,
    autoApprove: d.autoApprove.map((r): AutoApproveRule => ({
      purposes: splitList(r.purposes),
      categories: r.categories as AutoApproveRule['categories'],
      actions: r.actions,
      maxDurationDays: Number(r.maxDurationDays),
    })),
  };
  if (d.maxRetentionDays.trim()) out.maxRetentionDays = Number(d.maxRetentionDays);
  return out;
}

function CriteriaCard() {
  const [res] = useResource<Criteria>('/api/criteria');
  return (
    <Card title="Your criteria" id="criteria">
      <p class="card-intro">
        Meet my criteria and I will tell you everything; don't, and I will lock you out. Companies whose terms fall
        short are refused before they reach you, and requests that match an auto-approve rule are granted without
        asking.
      </p>
      <ResourceView
        res={res}
        what="your criteria"
        empty={<EmptyState title="Criteria are not available on this vault yet" />}
      >
        {(c) => <CriteriaForm initial={c} />}
      </ResourceView>
    </Card>
  );
}

function CriteriaForm({ initial }: { initial: Criteria }) {
  const catalogue = useFieldCatalogue();
  const [grantsRes] = useResource<{ grants: Grant[] }>('/api/grants');
  const [d, setD] = useState<Draft>(() => toDraft(initial));
  const [savedBlocked, setSavedBlocked] = useState<string[]>(initial.blockedCompanies ?? []);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | string>();
  const [saved, setSaved] = useState(false);
  const categories = [...new Set((catalogue ?? []).map((f) => f.category))];
  const companies = new Map<string, string>();
  if (grantsRes.state === 'ok') for (const g of grantsRes.data.grants) companies.set(g.company.id, g.company.name);
  const unblocked = [...companies].filter(([id]) => !d.blockedCompanies.includes(id));
  const [toBlock, setToBlock] = useState('');

  const set = (patch: Partial<Draft>) => {
    setSaved(false);
    setD({ ...d, ...patch });
  };
  const setRule = (i: number, patch: Partial<Draft['autoApprove'][number]>) =>
    set({ autoApprove: d.autoApprove.map((r, j) => (j === i ? { ...r, ...patch } : r)) });
  const toggle = <T,>(list: T[], v: T, on: boolean) => (on ? [...list, v] : list.filter((x) => x !== v));

  async function submit(e: Event) {
    e.preventDefault();
    setError(undefined);
    const r = d.maxRetentionDays.trim();
    if (r && !(Number.isInteger(Number(r)) && Number(r) >= 0))
      return setError('Maximum retention must be a whole number of days.');
    for (const [i, rule] of d.autoApprove.entries()) {
      if (!rule.actions.length || !rule.categories.length)
        return setError(`Auto-approve rule ${i + 1}: choose at least one kind of data and one action.`);
      if (!(Number(rule.maxDurationDays) > 0))
        return setError(`Auto-approve rule ${i + 1}: enter the longest duration in days.`);
    }
    setBusy(true);
    try {
      const out = await api<Criteria>('PUT', '/api/criteria', fromDraft(d));
      if (out && typeof out === 'object') {
        setD(toDraft(out));
        setSavedBlocked(out.blockedCompanies ?? []);
      }
      setSaved(true);
    } catch (err) {
      setError(err instanceof ApiError ? err : String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="form criteria-form" onSubmit={submit} noValidate>
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
              aria-describedby="max-retention-hint"
            />
            <span aria-hidden="true">days</span>
          </div>
          <p class="hint" id="max-retention-hint">
            Leave empty for no limit of your own.
          </p>
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
          <label for="refused-purposes">Purposes I refuse</label>
          <input
            id="refused-purposes"
            type="text"
            value={d.refusedPurposes}
            onInput={(e) => set({ refusedPurposes: e.currentTarget.value })}
            aria-describedby="refused-hint"
            placeholder="e.g. marketing, research"
          />
          <p class="hint" id="refused-hint">
            Separate with commas.
          </p>
        </div>
        <div class="form-row">
          <label for="value-tags">Commitments I require</label>
          <input
            id="value-tags"
            type="text"
            value={d.requiredValueTags}
            onInput={(e) => set({ requiredValueTags: e.currentTarget.value })}
            aria-describedby="tags-hint"
            placeholder="e.g. no-resale, eu-hosting"
          />
          <p class="hint" id="tags-hint">
            Value tags a company must declare in its terms. Separate with commas.
          </p>
        </div>
      </div>

      <fieldset class="group">
        <legend>Blocked companies</legend>
        <p class="hint">
          A blocked company loses every grant at once and its future requests are refused without reaching you.
        </p>
        {d.blockedCompanies.length ? (
          <ul class="blocked-list">
            {d.blockedCompanies.map((id) => (
              <li key={id}>
                <span>
                  {companies.get(id) ?? id}
                  {!savedBlocked.includes(id) && (
                    <span class="muted small"> · blocked when you save: its grants are revoked at once</span>
                  )}
                </span>
                <Button
                  variant="ghost"
                  onClick={() => set({ blockedCompanies: d.blockedCompanies.filter((x) => x !== id) })}
                  aria-label={`Unblock ${companies.get(id) ?? id}`}
                >
                  Unblock
                </Button>
              </li>
            ))}
          </ul>
        ) : (
          <p class="muted">You have not blocked any company.</p>
        )}
        {unblocked.length > 0 && (
          <div class="inline-add">
            <label for="block-company">Block a company</label>
            <select id="block-company" value={toBlock} onChange={(e) => setToBlock(e.currentTarget.value)}>
              <option value="">Choose a company…</option>
              {unblocked.map(([id, name]) => (
                <option key={id} value={id}>
                  {name}
                </option>
              ))}
            </select>
            <Button
              disabled={!toBlock}
              onClick={() => {
                set({ blockedCompanies: [...d.blockedCompanies, toBlock] });
                setToBlock('');
              }}
            >
              Block
            </Button>
          </div>
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
            <div class="form-row">
              <label for={`rule-${i}-purposes`}>For these purposes</label>
              <input
                id={`rule-${i}-purposes`}
                type="text"
                value={r.purposes}
                onInput={(e) => setRule(i, { purposes: e.currentTarget.value })}
                placeholder="e.g. order-fulfilment"
              />
            </div>
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
                  />
                  <span aria-hidden="true">days</span>
                </div>
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
                { purposes: '', categories: [], actions: ['read'], maxDurationDays: '30' },
              ],
            })
          }
        >
          Add a rule
        </Button>
      </fieldset>

      <ProblemAlert error={error} />
      {saved && <Notice>Your criteria are saved. They apply to every request from now on.</Notice>}
      <div class="form-actions">
        <Button type="submit" variant="primary" busy={busy}>
          Save criteria
        </Button>
      </div>
    </form>
  );
}

/* ---------- export ---------- */

function ExportCard() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const [done, setDone] = useState(false);
  async function run() {
    setBusy(true);
    setError(undefined);
    setDone(false);
    try {
      await download('/api/export', 'vault-export.json');
      setDone(true);
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, { detail: String(e) }));
    } finally {
      setBusy(false);
    }
  }
  return (
    <Card title="Your data" id="export">
      <p class="card-intro">
        Download everything the vault holds about you as one JSON file: your profile, your criteria, records companies
        added, and your grants.
      </p>
      <ProblemAlert error={error} />
      {done && <Notice>Your data was downloaded as vault-export.json.</Notice>}
      <Button variant="secondary" onClick={() => void run()} busy={busy}>
        Download my data
      </Button>
    </Card>
  );
}

/* ---------- deletion ---------- */

const PHRASE = 'delete my account';

function DeleteCard() {
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const ok = typed.trim().toLowerCase() === PHRASE;

  async function run(e: Event) {
    e.preventDefault();
    if (!ok) return;
    setBusy(true);
    setError(undefined);
    try {
      await api('DELETE', '/api/account', { confirm: PHRASE });
      setFlash(
        'Your account was deleted. Its encryption key is destroyed, so no copy of your data can be read any more.',
      );
      setSession(null);
      navigate('/signin', { replace: true });
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, { detail: String(err) }));
      setBusy(false);
    }
  }

  return (
    <Card title="Delete your account" id="delete" class="danger-zone">
      <p class="card-intro">
        This revokes every grant, destroys the key that encrypts your data, and cannot be undone. The record of past
        reads stays in the audit log without your name.
      </p>
      <form class="form" onSubmit={run} noValidate>
        <div class="form-row">
          <label for="confirm-delete">
            Type <strong>{PHRASE}</strong> to confirm
          </label>
          <input
            id="confirm-delete"
            type="text"
            autoComplete="off"
            spellcheck={false}
            value={typed}
            onInput={(e) => setTyped(e.currentTarget.value)}
          />
        </div>
        <ProblemAlert error={error} />
        <div class="form-actions">
          <Button type="submit" variant="danger" disabled={!ok} busy={busy}>
            Delete my account
          </Button>
        </div>
      </form>
    </Card>
  );
}
