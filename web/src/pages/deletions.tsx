import { formatLongDate, plural } from '../format.ts';
import type { Deletion } from '../types.ts';
import { Notice } from '../ui.tsx';

/** One company's deletion requests on its card: whether it deleted what it received, and when. */
export function DeletionFacts({ deletions }: { deletions: Deletion[] }) {
  if (!deletions.length) return null;
  return (
    <div class="deletions">
      <h4>Deletion of what it received</h4>
      <ul class="deletion-list">
        {deletions.map((d) => (
          <li key={d.id} class={`deletion deletion-${d.status}`}>
            {sentence(d)}
          </li>
        ))}
      </ul>
    </div>
  );
}

function sentence(d: Deletion) {
  if (d.status === 'confirmed')
    return (
      <>
        Deleted on {formatLongDate(d.confirmedAt)}
        {d.kept &&
          `; it keeps ${plural(d.kept.fields.length, 'field')} under a legal obligation until ${formatLongDate(d.kept.until)}`}
        .
      </>
    );
  if (d.status === 'overdue')
    return (
      <>
        <strong>Overdue:</strong> it had to delete by {formatLongDate(d.dueAt)} and has not confirmed it.
      </>
    );
  return <>Asked to delete by {formatLongDate(d.dueAt)}; not confirmed yet.</>;
}

/** At the top of the grants page: companies late to delete, even when their cards are folded away. */
export function OverdueDeletions({ deletions }: { deletions: Deletion[] }) {
  const late = [...new Set(deletions.filter((d) => d.status === 'overdue').map((d) => d.company.name))];
  if (!late.length) return null;
  return (
    <Notice tone="warn">
      Not deleted on time: {late.join(', ')} {late.length === 1 ? 'has' : 'have'} not confirmed deleting what you shared
      after access ended. Auditors see this too.
    </Notice>
  );
}
