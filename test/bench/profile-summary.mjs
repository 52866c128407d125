// Self time per function and per file from a V8 CPU profile (`BENCH_PROFILE=<dir> npm run bench` writes one per
// process), for machines without DevTools:
//   node test/bench/profile-summary.mjs <file.cpuprofile> [top=40] [windowSeconds] [secondsBeforeEnd=0]
// windowSeconds keeps only the samples of that many seconds ending secondsBeforeEnd before the profile's end, so
// that the set-up (sign-up, registration, token chains) does not mix into one target's figures: the targets run in
// the order of run.ts, each for a warm-up plus BENCH_SECONDS, and the server stops right after the last one.
import { readFileSync } from 'node:fs';

const [file, topArg, windowArg, skipArg] = process.argv.slice(2);
if (!file) {
  console.error(
    'usage: node test/bench/profile-summary.mjs <file.cpuprofile> [top] [windowSeconds] [secondsBeforeEnd]',
  );
  process.exit(2);
}
const p = JSON.parse(readFileSync(file, 'utf8'));
const top = Number(topArg ?? 40);
const windowS = Number(windowArg ?? 0);
const to = p.endTime - Number(skipArg ?? 0) * 1e6;
const from = windowS ? to - windowS * 1e6 : p.startTime;
const nodes = new Map(p.nodes.map((n) => [n.id, n]));
const perFunction = new Map();
const perFile = new Map();
let total = 0;
let t = p.startTime;
for (let i = 0; i < p.samples.length; i++) {
  const dt = p.timeDeltas[i] ?? 0;
  t += dt;
  if (t < from || t > to) continue;
  const { functionName, url, lineNumber } = nodes.get(p.samples[i]).callFrame;
  const where = url.replace(/^.*node_modules\//, 'nm/').replace(/^file:\/\/.*?\/(server|test)\//, '$1/');
  const key = `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
  perFunction.set(key, (perFunction.get(key) ?? 0) + dt);
  const f = where.startsWith('nm/') ? where.split('/').slice(0, 2).join('/') : where || functionName;
  perFile.set(f, (perFile.get(f) ?? 0) + dt);
  total += dt;
}
const print = (m) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .forEach(([k, us]) =>
      console.log(`${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}`),
    );
console.log(`${(total / 1000).toFixed(0)} ms sampled`);
print(perFunction);
console.log('--- per file');
print(perFile);
