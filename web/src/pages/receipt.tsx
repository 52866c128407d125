import { useState } from 'preact/hooks';
import { ApiError, get, saveBlob } from '../api.ts';
import { formatDate, formatDateTime, humanise, plural } from '../format.ts';
import type { Receipt } from '../types.ts';
import { Button, FieldChips, ProblemAlert, ResourceView, useFieldCatalogue, useResource } from '../ui.tsx';

/** What a receipt records, in the words of the grants page. */
export const RECEIPT_KIND: Record<string, string> = {
  created: 'Grant created',
  amended: 'Grant narrowed',
  revoked: 'Grant revoked',
  expired: 'Grant expired',
  'deletion-requested': 'Deletion requested',
  'deletion-confirmed': 'Deletion confirmed',
};

/**
 * One signed consent receipt, as the customer reads it: the decoded claims of GET /api/receipts/:id
 * (Kantara Consent Receipt v1.1 / ISO/IEC 27560 fields) in plain words, and the JWS itself to keep.
 */
export function ReceiptDetails({ id, download = true }: { id: string; download?: boolean }) {
  const catalogue = useFieldCatalogue();
  const [res, reload] = useResource<Receipt>(`/api/receipts/${encodeURIComponent(id)}`);
  return (
    <ResourceView
      res={res}
      what="the receipt"
      onRetry={reload}
      empty={<p class="muted">This receipt is no longer available.</p>}
    >
      {(r) => {
        const c = r.claims ?? {};
        const p = c.services?.[0]?.purposes?.[0];
        const controller = c.piiControllers?.[0];
        return (
          <div class="receipt">
            <dl class="facts receipt-facts">
              <div>
                <dt>Company</dt>
                <dd>
                  <span class="block">{controller?.piiController ?? r.company.name}</span>
                  {controller?.contact && <span class="muted block">{controller.contact}</span>}
                </dd>
              </div>
              {p && (
                <>
                  <div>
                    <dt>Purpose</dt>
                    <dd>{humanise(p.purpose)}</dd>
                  </div>
                  <div class="receipt-wide">
                    <dt>Fields</dt>
                    <dd>
                      <FieldChips
                        names={p.fields ?? []}
                        catalogue={catalogue}
                        sensitive={(n) => !!catalogue?.find((f) => f.name === n)?.sensitive}
                      />
                    </dd>
                  </div>
                  <div>
                    <dt>Access until</dt>
                    <dd>{formatDate(p.termination)}</dd>
                  </div>
                  <div>
                    <dt>Company keeps data</dt>
                    <dd>{typeof p.retentionDays === 'number' ? plural(p.retentionDays, 'day') : 'Not stated'}</dd>
                  </div>
                  <div>
                    <dt>Shared onward</dt>
                    <dd>{p.thirdPartyDisclosure ? 'Yes, with third parties' : 'No'}</dd>
                  </div>
                  {p.benefit && (
                    <div>
                      <dt>In return</dt>
                      <dd>
                        {p.benefit.description
                          ? `${humanise(p.benefit.kind)}: ${p.benefit.description}`
                          : humanise(p.benefit.kind)}
                      </dd>
                    </div>
                  )}
                </>
              )}
              <div>
                <dt>Records</dt>
                <dd>
                  {RECEIPT_KIND[r.kind] ?? humanise(r.kind)}
                  <span class="muted block">{formatDateTime(r.createdAt)}</span>
                </dd>
              </div>
              {c.withdrawal && (
                <div class="receipt-wide">
                  <dt>How to withdraw</dt>
                  <dd>{c.withdrawal}</dd>
                </div>
              )}
            </dl>
            <p class="muted small receipt-id">
              Receipt <code>{r.id}</code>
              {c.iss && (
                <>
                  , signed by <code>{c.iss}</code>
                </>
              )}
            </p>
            {download && (
              <div class="receipt-actions">
                <ReceiptDownload id={r.id} jws={r.jws} label="Download the signed receipt" variant="secondary" />
              </div>
            )}
          </div>
        );
      }}
    </ResourceView>
  );
}

/** Saves the receipt's compact JWS as a file (fetched when the list did not carry it). */
export function ReceiptDownload(props: {
  id: string;
  jws?: string;
  label: string;
  ariaLabel?: string;
  variant?: 'ghost' | 'secondary';
}) {
  const { id, jws, label, ariaLabel } = props;
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  async function save() {
    setBusy(true);
    setError(undefined);
    try {
      const token = jws ?? (await get<Receipt>(`/api/receipts/${encodeURIComponent(id)}`)).jws;
      saveBlob(new Blob([token], { type: 'application/jose' }), `consent-receipt-${id}.jws`);
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, { detail: String(e) }));
    } finally {
      setBusy(false);
    }
  }
  return (
    <>
      <Button variant={props.variant ?? 'ghost'} busy={busy} onClick={() => void save()} aria-label={ariaLabel}>
        {label}
      </Button>
      <ProblemAlert error={error} />
    </>
  );
}
