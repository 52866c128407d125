import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api } from '../api.ts';
import { setSession, takeFlash } from '../session.ts';
import type { SessionInfo } from '../types.ts';
import { ErrorSummary, FieldMessage, fieldErrorsOf, invalidProps, type FieldError } from '../errors.tsx';
import { Button, Logo, Notice } from '../ui.tsx';

type Mode = 'signin' | 'signup';

const FIELDS = {
  email: { id: 'email', label: 'E-mail address' },
  password: { id: 'password', label: 'Password' },
};

/** What the browser can tell before asking the server: missing values, an e-mail without @, a short new password. */
function check(mode: Mode, email: string, password: string): FieldError[] {
  const errors: FieldError[] = [];
  if (!email.trim()) errors.push({ field: 'email', message: 'Enter your e-mail address' });
  else if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.trim()))
    errors.push({ field: 'email', message: 'Enter an e-mail address in the right format, like name@example.com' });
  if (!password) errors.push({ field: 'password', message: 'Enter your password' });
  else if (mode === 'signup' && password.length < 10)
    errors.push({ field: 'password', message: 'Choose a password of at least 10 characters' });
  return errors;
}

/**
 * Sign in and create an account on one page. The server answers a wrong e-mail and a wrong password
 * with the same generic 401, and the page shows that message as it is.
 */
export function SignInPage(props: { next?: string }) {
  const [mode, setMode] = useState<Mode>('signin');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [flash] = useState(takeFlash);
  const h1 = useRef<HTMLHeadingElement>(null);
  const consent = props.next?.startsWith('/consent') || props.next?.startsWith('/authorize?');

  useEffect(() => {
    document.title = `${mode === 'signin' ? 'Sign in' : 'Create your vault'} · Consent vault`;
  }, [mode]);

  function switchTo(m: Mode) {
    setMode(m);
    setErrors([]);
    h1.current?.focus();
  }

  async function submit(e: Event) {
    e.preventDefault();
    const found = check(mode, email, password);
    setErrors(found);
    if (found.length) return;
    setBusy(true);
    try {
      const s = await api<SessionInfo>(
        'POST',
        mode === 'signin' ? '/api/session' : '/api/account',
        { email: email.trim(), password },
        { quiet401: true },
      );
      setSession(s);
      // App sees the session and moves on to `next` or the home page.
    } catch (err) {
      setErrors(err instanceof ApiError ? fieldErrorsOf(err, FIELDS) : [{ message: String(err) }]);
      setBusy(false);
    }
  }

  return (
    <div class="auth-layout">
      <main id="main" class="auth-card">
        <div class="auth-brand">
          <Logo />
          <span>Consent vault</span>
        </div>
        <h1 tabIndex={-1} ref={h1}>
          {mode === 'signin' ? 'Sign in to your vault' : 'Create your vault'}
        </h1>
        <p class="lead">
          {props.next?.startsWith('/connect')
            ? `A product is asking to connect to your vault. ${mode === 'signin' ? 'Sign in' : 'Create your vault'} to enter its code; nothing is shared until you approve.`
            : consent
              ? `A company is asking for access to your data. ${mode === 'signin' ? 'Sign in' : 'Create your vault'} to review the request; nothing is shared until you approve.`
              : mode === 'signin'
                ? 'Your profile, your terms: see who reads your data and withdraw access at any time.'
                : 'Keep one encrypted profile and decide which company sees what, for how long and why.'}
        </p>
        {flash && <Notice tone="info">{flash}</Notice>}
        <div class="segmented" role="group" aria-label="Sign in or create an account">
          <button
            type="button"
            class={mode === 'signin' ? 'active' : ''}
            aria-pressed={mode === 'signin'}
            onClick={() => switchTo('signin')}
          >
            Sign in
          </button>
          <button
            type="button"
            class={mode === 'signup' ? 'active' : ''}
            aria-pressed={mode === 'signup'}
            onClick={() => switchTo('signup')}
          >
            Create account
          </button>
        </div>
        <form class="form" onSubmit={submit} noValidate>
          <ErrorSummary errors={errors} />
          <div class="form-row">
            <label for="email">E-mail address</label>
            <input
              id="email"
              name="email"
              type="email"
              autoComplete="username"
              required
              {...invalidProps(errors, 'email')}
              value={email}
              onInput={(e) => setEmail(e.currentTarget.value)}
            />
            <FieldMessage errors={errors} field="email" />
          </div>
          <div class="form-row">
            <label for="password">Password</label>
            <input
              id="password"
              name="password"
              type="password"
              autoComplete={mode === 'signin' ? 'current-password' : 'new-password'}
              required
              minLength={mode === 'signup' ? 10 : undefined}
              {...invalidProps(errors, 'password', mode === 'signup' ? 'password-hint' : undefined)}
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
            {mode === 'signup' && (
              <p id="password-hint" class="hint">
                At least 10 characters. A passphrase of a few words is easy to remember and hard to guess.
              </p>
            )}
            <FieldMessage errors={errors} field="password" />
          </div>
          <Button type="submit" variant="primary" class="btn-block" busy={busy}>
            {mode === 'signin' ? 'Sign in' : 'Create account'}
          </Button>
        </form>
        <p class="auth-foot">
          Your profile is encrypted with a key of its own. Companies see only the fields you grant them, and every read
          is logged for you.
        </p>
      </main>
    </div>
  );
}
