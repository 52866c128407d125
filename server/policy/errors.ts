// The one error a policy author sees: which file, where inside it, and why.
export class PolicyLoadError extends Error {
  constructor(
    readonly file: string,
    readonly path: string,
    readonly reason: string,
  ) {
    super(path ? `${file}: ${path}: ${reason}` : `${file}: ${reason}`);
    this.name = 'PolicyLoadError';
  }
}

/** ['purposes', 2, 'maxDurationDays'] -> 'purposes[2].maxDurationDays' */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}
