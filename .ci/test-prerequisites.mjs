// `npm test` starts here: it installs what the suite needs and the machine lacks, so that
// `npm ci && npm test` is enough on a fresh Debian machine. Today that is Debian's Chromium for the
// browser tests (playwright-core drives /usr/bin/chromium; `npx playwright install` cannot reach
// its download servers), and Debian's PostgreSQL server programs for the storage tests
// (test/support/postgres.ts starts a throwaway cluster with them). Installing needs root, or sudo
// without a password.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const CHROMIUM = '/usr/bin/chromium';

function run(cmd, args) {
  const asRoot = process.getuid?.() === 0;
  const [file, argv] = asRoot ? [cmd, args] : ['sudo', ['-n', cmd, ...args]];
  execFileSync(file, argv, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

function aptInstall(packages) {
  console.log(`test prerequisites: installing ${packages.join(', ')} from Debian's packages`);
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', ...packages]);
}

function hasPostgres() {
  const root = '/usr/lib/postgresql';
  return existsSync(root) && readdirSync(root).some((v) => existsSync(`${root}/${v}/bin/initdb`));
}

const missing = [...(existsSync(CHROMIUM) ? [] : ['chromium']), ...(hasPostgres() ? [] : ['postgresql'])];
if (missing.length > 0) {
  const apt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' });
  if (apt.status !== 0) {
    console.error(
      `test prerequisites: ${missing.join(', ')} missing and this machine has no apt-get; install them there`,
    );
    process.exit(1);
  }
  aptInstall(missing);
}
