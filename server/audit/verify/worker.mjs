// Worker entry for verify/parallel.ts. Plain JavaScript on purpose: on Node 20 a worker thread
// does not inherit the tsx loader of its parent (nor vitest's), so it registers tsx itself before
// loading the TypeScript that does the work.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
