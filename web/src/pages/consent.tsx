import { useState } from 'preact/hooks';
import type { ConsentRequest } from '../types.ts';
import { EmptyState, ErrorState, Link, Loading, PageHeader, useResource } from '../ui.tsx';
import { BackToCompany, ConsentForm } from './consent-form.tsx';

/**
 * The consent step of the authorization flow: who asks, for what, which fields, for how long,
 * under which terms, and what the policy engine says. The customer may narrow fields and duration.
 */
export function ConsentPage({ requestId }: { requestId: string | null }) {
  const [res, reload] = useResource<ConsentRequest>(requestId ? `/api/consent/${encodeURIComponent(requestId)}` : null);
  const [termsChanged, setTermsChanged] = useState<string>();
  if (!requestId)
    return (
      <>
        <PageHeader title="Access request" />
        <EmptyState title="No request to review">
          This page opens when a company asks for your data.{' '}
          <Link href="/inbox">See waiting requests in your inbox.</Link>
        </EmptyState>
      </>
    );
  if (res.state === 'loading') return <Loading what="the request" />;
  if (res.state === 'missing')
    return (
      <>
        <PageHeader title="Access request" />
        <EmptyState title="This request does not exist or has expired">
          Nothing has been shared. If you came from a company's website, go back and start again.{' '}
          <Link href="/grants">See your grants.</Link>
        </EmptyState>
      </>
    );
  if (res.state === 'error')
    return (
      <>
        <PageHeader title="Access request" />
        <ErrorState error={res.error} onRetry={reload} what="the request" />
        <BackToCompany error={res.error} />
      </>
    );
  // Keyed by the terms version: new terms start a fresh form, so nothing chosen under the old ones carries over.
  return (
    <ConsentForm
      key={`${res.data.id}:${res.data.company.terms.version}`}
      req={res.data}
      termsChanged={termsChanged}
      onTermsChanged={(message) => {
        setTermsChanged(message);
        reload();
      }}
    />
  );
}
