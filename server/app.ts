import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAuditAppender } from './audit/chain/append.ts';
import { createAuditQueries } from './audit/queries.ts';
import { createReceipts } from './audit/checkpoints/receipts.ts';
import { auditRoutes } from './audit/routes.ts';
import { benefitRoutes } from './benefits/routes.ts';
import { BENEFIT_CHECK_CODES, createBenefitCheck } from './benefits/check.ts';
import { createBenefits } from './benefits/service.ts';
import { createAuditService } from './audit/service.ts';
import { isSensitive } from './policy/load.ts';
import { createUsage } from './grants/usage.ts';
import { createCompanies } from './companies/service.ts';
import { createCompanyNames } from './companies/display-names.ts';
import { companyRoutes } from './companies/routes.ts';
import type { AppContext } from './context.ts';
import { createAccounts } from './customers/accounts.ts';
import { createCriteria } from './customers/criteria.ts';
import { createProfile } from './customers/profile.ts';
import { customerRoutes } from './customers/routes.ts';
import { createSessionAuth } from './customers/session-auth.ts';
import { createCustomerStore } from './customers/store.ts';
import { exportSections } from './customers/export-sections.ts';
import { createInbox } from './customers/inbox.ts';
import { dataReadFastPath, dataRoutes } from './data/routes.ts';
import { tokenFastPath } from './oauth/fast-path.ts';
import { createTokenRequests } from './oauth/token-requests.ts';
import { createRefusalLimit } from './data/refusal-limit.ts';
import { createDataService } from './data/service.ts';
import { createUseReadAhead } from './data/use-read-ahead.ts';
import { createCustomerRecords } from './data/customer-records.ts';
import { customerRecordRoutes } from './data/customer-routes.ts';
import { createRecordStore } from './data/record-store.ts';
import { createPageBuffers } from './data/page-buffers.ts';
import { createRecordTails } from './data/record-tails.ts';
import { createDecider } from './grants/decide.ts';
import { createGrantPolicy } from './grants/policy-hooks.ts';
import { createGrantOverview } from './grants/overview.ts';
import { createCompanyActivity } from './audit/company-activity.ts';
import { createCriteriaPreview } from './grants/criteria-preview.ts';
import { criteriaRoutes } from './grants/criteria-routes.ts';
import { createDecisionNotices } from './customers/decision-notices.ts';
import { grantRoutes } from './grants/routes.ts';
import { createGrants } from './grants/service.ts';
import { grantPresenter } from './grants/present.ts';
import { createTermsChangeNotices } from './grants/terms-change.ts';
import { createAppShell } from './http/app.ts';
import { docsRoutes } from './http/docs-page.ts';
import { createAuthorization } from './oauth/authorize.ts';
import { accessTokenAuthenticator, expressAuth, managementAuth } from './oauth/bearer.ts';
import { createRevokedJtis } from './oauth/revoked-jtis.ts';
import { createConsentViews } from './oauth/consent-view.ts';
import { dataResourceMetadataUrl } from './oauth/metadata.ts';
import { oauthRoutes, OAUTH_CLIENT_ENDPOINTS } from './oauth/routes.ts';
import { createOAuthStore } from './oauth/store.ts';
import { createRequestLimits } from './oauth/request-limits.ts';
import { createRequestBudgets } from './http/request-budget.ts';
import { createSweeper } from './db/sweep.ts';
import { createOAuthPurge, RETAIN_EXPIRED_S } from './oauth/purge.ts';
import { createCustomerPurge } from './customers/purge.ts';
import { BACKCHANNEL_MAX_LIFE_S } from './oauth/authorize.ts';
import { createTokenEndpoint } from './oauth/token.ts';
import { createDeviceFlow } from './oauth/device/service.ts';
import { createDeviceStore } from './oauth/device/store.ts';
import { deviceRoutes } from './oauth/device/routes.ts';
import { createTokenService, dataAudience, grantsAudience } from './oauth/tokens.ts';
import { createEvents } from './events/service.ts';
import { eventRoutes } from './events/routes.ts';
import { createGrantEndings } from './grants/endings.ts';
import { createGrantReminders } from './grants/reminders.ts';
import { createRenewal } from './grants/renew.ts';
import { createGrantReadCounts } from './audit/company-activity.ts';
import { createDeletions } from './deletions/service.ts';
import { deletionRoutes } from './deletions/routes.ts';
import { counterStores, purgeRateCounters } from './http/rate-store.ts';

export const WEB_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', 'web', 'dist');

/** Builds every service from the context, wires their hooks, and mounts their routes (ARCHITECTURE.md, "The modules and their arrows"). */
export function createApp(ctx: AppContext, opts: { webRoot?: string } = {}) {
  const shared = ctx.shared ?? ctx.storage.shared;
  const rateStores = shared.rateCounters && counterStores(shared.rateCounters, ctx.clock);
  const audit = createAuditAppender(ctx.backend, () => ctx.clock.now(), ctx.storage.chain);
  const commit = ctx.storage.groupCommit();
  const customerStore = createCustomerStore(ctx.backend);
  const accounts = createAccounts(ctx, customerStore, audit);
  const profile = createProfile(ctx, customerStore, audit);
  const criteria = createCriteria(ctx, customerStore);
  const auth = createSessionAuth(accounts, { secure: ctx.config.secureCookies, publicUrl: ctx.config.publicUrl });
  const companies = createCompanies(ctx, audit, commit, shared.replay);
  const grants = createGrants(ctx, audit);
  const activity = createCompanyActivity(ctx.backend);
  const benefits = createBenefits(ctx, {
    audit,
    grantOfCompany: grants.getForCompany,
    dekOf: profile.dekOf,
    firstReadAt: activity.firstReadAt,
  });
  const sources = {
    termsOf: async (id: string, v?: number) =>
      (v ? await companies.termsAt(id, v) : undefined) ?? (await companies.currentTerms(id)),
    criteriaOf: criteria.get,
    benefitsOf: benefits.factsOf,
  };
  const decide = createDecider(ctx, sources);
  const oauthStore = createOAuthStore(ctx.backend);
  const tokens = createTokenService(ctx);
  const budgets = createRequestBudgets(ctx.backend, ctx.clock);
  const limits = createRequestLimits(ctx, { budgets, store: oauthStore });
  const decisionNotices = createDecisionNotices(ctx, {
    customerStore,
    companyName: async (id) => (await companies.byId(id))?.name ?? id,
  });
  const authz = createAuthorization(ctx, {
    store: oauthStore,
    clients: companies,
    grants,
    decide,
    audit,
    limits,
    onRefused: (customerId, companyId, request, decision) =>
      decisionNotices.refused(customerId, companyId, request, decision.reasons),
  });
  const device = createDeviceFlow(ctx, {
    store: createDeviceStore(ctx.backend),
    oauth: oauthStore,
    authz,
    decide,
    limits,
  });
  const token = createTokenEndpoint(ctx, { store: oauthStore, grants, tokens, audit, authz, device, commit });
  const views = createConsentViews(ctx, {
    authz,
    clients: companies,
    sources,
    decide,
    store: oauthStore,
    valuesOf: profile.openFields,
    recordSources: (customerId, categories) => recordStore.sourcesOf(customerId, categories),
  });
  const usage = createUsage(ctx.backend);
  const refusals = createRefusalLimit(ctx.backend);
  const recordStore = createRecordStore(ctx.backend);
  const recordTails = createRecordTails({ maxBytes: ctx.config.recordsKeptBytes });
  const customerRecords = createCustomerRecords(ctx, {
    store: recordStore,
    tails: recordTails,
    dekOf: profile.dekOf,
    audit,
    companyName: async (id) => (await companies.byId(id))?.name ?? id,
    productName: async (id) => (await companies.byId(id))?.productName,
    grantsOf: grants.listForCustomer,
    criteriaOf: criteria.get,
    postInbox: (customerId, kind, body) => createInbox(ctx, customerStore).post(customerId, kind, body),
    hasUnreadAbout: customerStore.hasUnreadAbout,
  });
  profile.hooks.inboxText.push(customerRecords.inboxText);
  const revokedJtis = createRevokedJtis();
  const data = createDataService(ctx, {
    revokedJtis,
    records: {
      store: recordStore,
      companyName: async (id) => (await companies.byId(id))?.name ?? id,
      criteriaOf: criteria.get,
      onDeviceAttention: customerRecords.deviceAttention,
      roomFor: customerRecords.roomFor,
      tails: recordTails,
      pageBuffers: createPageBuffers(),
    },
    commit,
    grants,
    profile,
    oauth: oauthStore,
    decide,
    audit,
    usage,
    refusals,
    customerIdByHandle: profile.customerIdByHandle,
    readAhead: createUseReadAhead(ctx.backend, {
      refusalCount: refusals.checkAhead,
      tokenState: oauthStore.jtiAndFamilyAhead,
      grant: grants.store.byIdAhead,
      customer: customerStore.customerByHandleAhead,
      termsVersion: companies.currentTermsAhead,
      usage: usage.ofAhead,
      fields: customerStore.sealedFieldsAhead,
    }),
  });
  const grantPolicy = createGrantPolicy(ctx, { grants, decide, customerStore, companies });
  const auditService = createAuditService(ctx, {
    queries: createAuditQueries(ctx.backend, ctx.db?.$client.name),
    audit,
  });
  const receipts = createReceipts(ctx, {
    company: companies.byId,
    terms: companies.termsAt,
    handleOf: async (id) => (await customerStore.customerById(id))?.handle,
    isSensitive: (c) => isSensitive(ctx.policies, c),
  });

  // Hooks run inside the transaction of the change that fires them (one transaction per decision).
  companies.hooks.onDisabled.push(
    async (companyId, actor) => void (await grants.revokeAllOfCompany(companyId, actor, 'The company was disabled')),
  );
  companies.hooks.onDisabled.push(async (companyId) => void (await oauthStore.closeOpenRequestsOf(companyId)));
  companies.hooks.onTermsChanged.push(
    async (companyId) => void (await grantPolicy.reevaluateCompany(companyId, 'The company changed its terms')),
  );
  // After the re-evaluation: grants still live under worse terms are told what changed (one-step revoke).
  const termsNotices = createTermsChangeNotices(ctx, { grants, companies, customerStore });
  companies.hooks.onTermsChanged.push(
    async (companyId, version) => void (await termsNotices.notify(companyId, version)),
  );
  criteria.hooks.onBlocked.push(
    async (customerId, companyId) =>
      void (await grants.revokeAllOfCompany(
        companyId,
        { kind: 'customer', id: customerId },
        'You blocked this company',
        customerId,
      )),
  );
  criteria.hooks.onChanged.push(
    async (customerId) => void (await grantPolicy.reevaluateCustomer(customerId, 'Your criteria changed')),
  );
  profile.hooks.onDelete.push(
    async (customerId) => void (await grants.revokeAllOfCustomer(customerId, 'The account was deleted')),
    (customerId) => recordTails.forget(customerId),
  );
  grants.hooks.onChange.push(async (g, change, actor) =>
    grantPolicy.notify(g, change, actor, await receipts.issue(g, change)),
  );
  // Grant events for the company go to the outbox in the same transaction (ARCHITECTURE.md, "Grant events").
  const events = createEvents(ctx, audit);
  grants.hooks.onChange.push(events.outbox.onGrantChange);

  // After consent (ARCHITECTURE.md): every grant ending asks the company to delete what it received.
  const endings = createGrantEndings(grants);
  const deletions = createDeletions(ctx, audit, {
    grants,
    receipts,
    retentionDaysOf: async (id, v) => (await companies.termsAt(id, v))?.terms.retentionDays,
    recordIdsOfGrant: customerStore.recordIdsOfGrant,
    companyName: async (id) => (await companies.byId(id))?.name ?? id,
    tell: async (customerId, kind, body) => {
      if (!(await customerStore.customerById(customerId))) return;
      const at = ctx.clock.now().toISOString();
      await customerStore.insertInbox({
        id: randomUUID(),
        customerId,
        kind,
        body: JSON.stringify(body),
        createdAt: at,
      });
    },
  });
  endings.hooks.onEnded.push(deletions.onEnded);
  deletions.hooks.onRequested.push((r) =>
    events.outbox.emitDeletionRequested({
      customerId: r.customerId,
      companyId: r.companyId,
      grantId: r.grantId,
      deletionId: r.id,
      fields: r.fields,
      deadline: r.dueAt,
    }),
  );
  const reminders = createGrantReminders(ctx, {
    readsSince: createGrantReadCounts(ctx.backend),
    companyName: async (id) => (await companies.byId(id))?.name ?? id,
    insertInbox: async (row) => void (await customerStore.insertInbox(row)),
  });
  const renew = createRenewal(ctx, {
    grants,
    decide,
    termsVersionOf: async (id) =>
      (await companies.byId(id))?.status === 'active' ? (await companies.byId(id))?.termsVersion : undefined,
  });

  const names = createCompanyNames(companies);
  const present = grantPresenter(names, async (id) => (await companies.byId(id))?.productName);
  const inbox = createInbox(ctx, customerStore);
  profile.hooks.exportSections.push(
    exportSections({
      grants: async (customerId) => await Promise.all((await grants.listForCustomer(customerId)).map(present)),
      reads: async (customerId, limit) => (await auditService.readsOf(customerId, undefined, limit)).reads,
      receipts: receipts.forCustomer,
      inbox: profile.inbox,
      pendingRequests: views.pendingRequests,
      benefits: benefits.listForCustomer,
    }),
  );
  const overview = createGrantOverview({
    now: () => ctx.clock.now(),
    activityOf: activity.of,
    benefitsOf: benefits.summaryOf,
    termsOf: async (id) => ((await companies.byId(id)) ? (await companies.currentTerms(id)).terms : undefined),
    reapproveCheck: grantPolicy.reapproveCheck,
  });

  const criteriaOptions = {
    purposes: () =>
      [...ctx.policies.purposes.values()].map((p) => ({
        id: p.id,
        description: p.description,
        marketing: p.marketing,
      })),
    valueTags: async () => {
      const tags = new Set<string>();
      for (const c of await companies.list())
        if (c.status === 'active') for (const t of (await companies.currentTerms(c.id)).terms.valueTags) tags.add(t);
      return [...tags];
    },
    companiesThatAsked: async (customerId: string) => {
      const ids = new Set([
        ...(await auditService.companiesThatAsked(customerId)),
        ...(await oauthStore.pendingForCustomer(customerId)).map((r) => r.companyId),
        ...(await grants.listForCustomer(customerId)).map((g) => g.companyId),
      ]);
      const out: { id: string; name: string }[] = [];
      for (const id of ids) out.push({ id, name: await names.now(id) });
      return out;
    },
  };

  const jtis = { claim: companies.claimJti, isRevoked: oauthStore.isJtiRevoked };
  // Every data request runs admission.ts's admit, which refuses a revoked token before anything else (and
  // remembers it in revokedJtis, which the authenticator then refuses without a unit).
  const dataToken = accessTokenAuthenticator(ctx, tokens, jtis, dataAudience(ctx.config.publicUrl), {
    revocationInUnit: { known: revokedJtis },
  });
  const managementToken = managementAuth(
    accessTokenAuthenticator(ctx, tokens, jtis, grantsAudience(ctx.config.publicUrl)),
    async (companyId) => (await companies.byId(companyId))?.status === 'active',
  );
  const tokenRequests = createTokenRequests({
    issuer: ctx.config.publicUrl,
    clock: ctx.clock,
    token,
    clients: companies,
  });
  const shell = createAppShell(
    ctx,
    [
      // The company data API first: it is the hot path and uses no cookie session (ARCHITECTURE.md, "The life of a company read").
      dataRoutes(data, expressAuth(dataToken), dataResourceMetadataUrl(ctx.config.publicUrl)),
      auth.loadRouter(),
      customerRoutes(accounts, profile, criteria, auth, (c) => isSensitive(ctx.policies, c), rateStores),
      customerRecordRoutes(customerRecords, auth),
      oauthRoutes(ctx, {
        rates: rateStores,
        authz,
        token,
        clients: companies,
        store: oauthStore,
        auth,
        views,
        backchannel: {
          customerIdOfHandle: profile.customerIdByHandle,
          notify: async (customerId, row) => inbox.requestPending(customerId, row, await names.now(row.companyId)),
        },
        device,
        requests: tokenRequests,
      }),
      deviceRoutes(device, auth, rateStores),
      companyRoutes(companies, rateStores),
      grantRoutes(grants, auth, managementToken, { present, reapprove: grantPolicy.reapprove, renew, overview }),
      deletionRoutes(deletions, auth, managementToken, names.now),
      auditRoutes(
        auditService,
        receipts,
        auth,
        managementToken,
        names.nameOf,
        async (id) => (await companies.byId(id))?.productName,
      ),
      benefitRoutes(benefits, auth, managementToken),
      criteriaRoutes(auth, createCriteriaPreview({ grants, decide }), criteriaOptions, present),
      docsRoutes(ctx.config.publicUrl),
      eventRoutes(events.polling, managementToken),
    ],
    opts.webRoot ?? WEB_ROOT,
    { durable: () => commit.healthy(), ping: ctx.storage.ping, oauthEndpoints: OAUTH_CLIENT_ENDPOINTS },
  );

  const fastRead = dataReadFastPath({
    data,
    front: shell.front,
    authenticate: dataToken,
    logger: ctx.logger,
    problems: { publicUrl: ctx.config.publicUrl, resourceMetadata: dataResourceMetadataUrl(ctx.config.publicUrl) },
  });
  const fastToken = tokenFastPath({
    requests: tokenRequests,
    front: shell.front,
    formParser: shell.formParser,
    logger: ctx.logger,
    publicUrl: ctx.config.publicUrl,
  });
  /** The node request listener: the company read's and the token endpoints' own paths first, the rest through express. */
  const handler = (req: IncomingMessage, res: ServerResponse) =>
    void (fastRead(req, res) || fastToken(req, res) || shell.app(req, res));

  const sweeper = createSweeper({ ...ctx, lease: { leases: shared.leases, holder: shared.instanceId } }, [
    { name: 'grants.expire', run: () => grants.expireDue() },
    { name: 'grants.reminders', run: (now) => reminders.sweep(now) },
    { name: 'deletions.overdue', run: (now) => deletions.markOverdue(now) },
    { name: 'audit.checkpoint', run: async () => void (await auditService.maybeCheckpoint()) },
    { name: 'companies.jtis', run: (now) => companies.purgeExpiredJtis(now.toISOString()) },
    {
      name: 'companies.initial-tokens',
      run: async (now) => void (await companies.purgeExpiredInitialTokens(now.toISOString())),
    },
    { name: 'oauth', run: createOAuthPurge(ctx.backend) },
    {
      name: 'oauth.device-codes',
      run: (now) => device.purge(new Date(now.getTime() - RETAIN_EXPIRED_S * 1000).toISOString()),
    },
    {
      name: 'customers',
      run: createCustomerPurge(ctx.backend, { 'request.pending': BACKCHANNEL_MAX_LIFE_S + RETAIN_EXPIRED_S }),
    },
    { name: 'budgets', run: () => budgets.purgeEnded() },
    { name: 'grants.usage', run: (now) => usage.purgeEnded(now) },
    { name: 'data.refusals', run: (now) => refusals.purgeEnded(now) },
    { name: 'events.settled', run: (now) => events.outbox.purgeSettled(now) },
    ...(shared.rateCounters ? [purgeRateCounters(shared.rateCounters)] : []),
    { name: 'benefits.check', run: createBenefitCheck(() => grantPolicy.reevaluateBenefits(BENEFIT_CHECK_CODES)) },
  ]);
  sweeper.start();
  events.worker.start();
  const stop = async () => {
    events.worker.stop();
    recordTails.stop();
    await sweeper.stop();
    await commit.close();
  };

  // Last, so that nothing of createApp runs inside its transaction; callers await `ready` before they listen
  // (ARCHITECTURE.md, "The audited unit and group commit").
  const ready = grantPolicy.reevaluateStale();
  return {
    ...shell,
    handler,
    stop,
    /** Settles once live grants have been re-evaluated against the policies loaded at start. */
    ready,
    /** One sweep now (the timer runs it every 10 s): tests move the clock and call this. */
    sweep: sweeper.runOnce,
    services: {
      commit,
      audit,
      auditService,
      receipts,
      accounts,
      profile,
      criteria,
      auth,
      customerStore,
      companies,
      grants,
      decide,
      authz,
      token,
      tokens,
      data,
      oauthStore,
      grantPolicy,
      events,
      endings,
      deletions,
      benefits,
    },
  };
}

export type VaultApp = ReturnType<typeof createApp>;
