// `npm test` starts here: it installs what the suite needs and the machine lacks, so that
// `npm ci && npm test` is enough on a fresh Debian machine. Today that is Debian's Chromium for the
// browser tests (playwright-core drives /usr/bin/chromium; `npx playwright install` cannot reach
// its download servers). Installing needs root, or sudo without a password.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

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

if (!existsSync(CHROMIUM)) {
  const apt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' });
  if (apt.status !== 0) {
    console.error(`test prerequisites: ${CHROMIUM} is missing and this machine has no apt-get; install Chromium there`);
    process.exit(1);
  }
  aptInstall(['chromium']);
}
