import { useEffect, useState } from 'preact/hooks';
import { get } from './api.ts';
import type { InboxMessage } from './types.ts';

/**
 * The number of unread inbox messages, shown beside "Inbox" in the navigation. The header refreshes
 * it on every page change; the inbox page, which has the messages already, reports it directly.
 */
let count: number | undefined;
const listeners = new Set<(n: number | undefined) => void>();

export function setUnread(n: number | undefined): void {
  count = n;
  for (const l of listeners) l(n);
}

export function useUnreadCount(path: string, enabled: boolean): number | undefined {
  const [n, set] = useState(count);
  useEffect(() => {
    listeners.add(set);
    return () => void listeners.delete(set);
  }, []);
  useEffect(() => {
    if (!enabled || path === '/inbox') return;
    let live = true;
    get<{ messages: InboxMessage[] }>('/api/inbox').then(
      (r) => live && setUnread(r.messages.filter((m) => !m.readAt).length),
      () => undefined, // the count is a hint; the inbox page itself shows any error
    );
    return () => void (live = false);
  }, [path, enabled]);
  return enabled ? n : undefined;
}
