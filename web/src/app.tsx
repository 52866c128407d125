import { useEffect } from 'preact/hooks';
import { setUnauthenticatedHandler } from './api.ts';
import { AuditorPage } from './pages/auditor.tsx';
import { ConnectPage } from './pages/connect.tsx';
import { ConsentPage } from './pages/consent.tsx';
import { ExportPage } from './pages/export.tsx';
import { RecordsPage } from './pages/records.tsx';
import { GrantsPage } from './pages/grants.tsx';
import { InboxPage } from './pages/inbox.tsx';
import { ProfilePage } from './pages/profile.tsx';
import { ReadsPage } from './pages/reads.tsx';
import { SettingsPage } from './pages/settings.tsx';
import { SignInPage } from './pages/signin.tsx';
import { navigate, safeNext, useLocation, type Location } from './router.ts';
import { getSession, setFlash, setSession, signOut, useSession } from './session.ts';
import { useUnreadCount } from './unread.ts';
import type { SessionInfo } from './types.ts';
import { Button, Link, Loading, Logo, PageHeader } from './ui.tsx';

/** Customer pages, in nav order. The server serves index.html at each of these paths. */
const CUSTOMER_NAV = [
  { href: '/', label: 'Profile' },
  { href: '/grants', label: 'Grants' },
  { href: '/reads', label: 'Activity' },
  { href: '/records', label: 'Records' },
  { href: '/inbox', label: 'Inbox' },
  { href: '/settings', label: 'Settings' },
] as const;

const CUSTOMER_PATHS = new Set([
  '/',
  '/grants',
  '/reads',
  '/inbox',
  '/settings',
  '/consent',
  '/export',
  '/connect',
  '/records',
]);

/**
 * Server routes that sign-in hands back to (a company's /authorize link): the browser must load them
 * from the server, which then sends it on to the consent screen; the dashboard's router has no such page.
 */
const SERVER_PATHS = new Set(['/authorize']);

export function homeOf(kind: SessionInfo['kind']): string {
  return kind === 'auditor' ? '/auditor' : '/';
}

setUnauthenticatedHandler(() => {
  if (!getSession()) return;
  setFlash('Your session has ended. Please sign in again.');
  setSession(null);
});

/** Where the current location should go instead, given who is signed in (undefined: stay). */
function redirectFor(loc: Location, session: SessionInfo | null): string | undefined {
  if (!session) {
    if (loc.path === '/signin') return undefined;
    return loc.href === '/' ? '/signin' : `/signin?next=${encodeURIComponent(loc.href)}`;
  }
  if (loc.path === '/signin') {
    const next = safeNext(loc.search.get('next'));
    if (next && (session.kind === 'auditor') === (new URL(next, window.location.origin).pathname === '/auditor'))
      return next;
    return homeOf(session.kind);
  }
  if (session.kind === 'auditor' && CUSTOMER_PATHS.has(loc.path)) return '/auditor';
  if (session.kind === 'customer' && loc.path === '/auditor') return '/';
  return undefined;
}

export function App() {
  const session = useSession();
  const loc = useLocation();
  const redirect = session === undefined ? undefined : redirectFor(loc, session);

  useEffect(() => {
    if (!redirect) return;
    if (SERVER_PATHS.has(new URL(redirect, window.location.origin).pathname)) window.location.replace(redirect);
    else navigate(redirect, { replace: true });
  }, [redirect]);

  if (session === undefined || redirect) {
    return (
      <main id="main" class="main">
        <Loading />
      </main>
    );
  }
  if (!session) return <SignInPage next={safeNext(loc.search.get('next'))} />;

  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <Header session={session} path={loc.path} />
      <main id="main" class="main">
        <Page loc={loc} session={session} />
      </main>
    </>
  );
}

function Page({ loc, session }: { loc: Location; session: SessionInfo }) {
  switch (loc.path) {
    case '/':
      return <ProfilePage session={session} />;
    case '/grants':
      return <GrantsPage />;
    case '/reads':
      return <ReadsPage />;
    case '/inbox':
      return <InboxPage />;
    case '/settings':
      return <SettingsPage />;
    case '/export':
      return <ExportPage />;
    case '/records':
      return <RecordsPage />;
    case '/consent':
      return <ConsentPage requestId={loc.search.get('request')} />;
    case '/connect':
      return <ConnectPage code={loc.search.get('code')} />;
    case '/auditor':
      return <AuditorPage />;
    default:
      return (
        <>
          <PageHeader title="Page not found" intro="There is no page at this address." />
          <p>
            <Link href={homeOf(session.kind)}>Go to the start page</Link>
          </p>
        </>
      );
  }
}

function Header({ session, path }: { session: SessionInfo; path: string }) {
  const nav = session.kind === 'auditor' ? [{ href: '/auditor', label: 'Audit log' }] : CUSTOMER_NAV;
  const unread = useUnreadCount(path, session.kind === 'customer');
  async function out() {
    await signOut();
    setFlash('You are signed out.');
    navigate('/signin', { replace: true });
  }
  return (
    <header class="site-header">
      <div class="site-header-inner">
        <Link href={homeOf(session.kind)} class="brand">
          <Logo />
          <span>Consent vault</span>
        </Link>
        <nav aria-label="Main" class="nav">
          <ul>
            {nav.map((n) => (
              <li key={n.href}>
                <Link href={n.href} current={path === n.href}>
                  {n.label}
                  {n.href === '/inbox' && !!unread && (
                    <>
                      <span class="nav-count" aria-hidden="true">
                        {unread > 99 ? '99+' : unread}
                      </span>
                      <span class="visually-hidden"> ({unread} unread)</span>
                    </>
                  )}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span class="who-name">
            <span class="visually-hidden">Signed in as </span>
            {session.kind === 'auditor' ? 'Auditor' : (session.handle ?? 'Customer')}
          </span>
          <Button variant="ghost" onClick={out}>
            Sign out
          </Button>
        </div>
      </div>
    </header>
  );
}
