import type { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildCli, runCli } from '../../server/cli/main.ts';

/** Every runnable command: the leaves of the command tree (`keys rotate`, `audit verify`, …). */
function leaves(c: Command, path: string[] = []): string[][] {
  const subs = c.commands.filter((s) => s.name() !== 'help');
  return subs.length ? subs.flatMap((s) => leaves(s, [...path, s.name()])) : [path];
}

async function run(argv: string[]) {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
  const code = await runCli(argv);
  vi.restoreAllMocks();
  return { code, stdout, stderr };
}
afterEach(() => vi.restoreAllMocks());

// Commands whose output is the data itself (a file or stdout), so --json would add nothing.
const NO_JSON: Record<string, string> = { 'audit export': 'writes the export itself (JSON Lines or CSV)' };

const commands = leaves(buildCli());

describe('the CLI help (npm run vault -- <command> --help)', () => {
  it('when listed, then every command group and command is there, each with a description', () => {
    expect(commands.map((c) => c.join(' '))).toEqual(
      expect.arrayContaining([
        'migrate',
        'backup',
        'keys rotate',
        'policies check',
        'companies token',
        'audit export',
        'audit verify',
        'auditors create',
      ]),
    );
    const missing: string[] = [];
    const walk = (c: Command, path: string) => {
      for (const s of c.commands) {
        if (s.name() === 'help') continue;
        if (!s.description()) missing.push(`${path}${s.name()}`);
        walk(s, `${path}${s.name()} `);
      }
    };
    walk(buildCli(), '');
    expect(missing).toEqual([]);
  });

  it.each(commands.map((c) => [c.join(' ')]))(
    'when `%s --help` is run, then it shows an example and the exit codes on stdout',
    async (name) => {
      const { code, stdout, stderr } = await run([...name.split(' '), '--help']);
      expect(code).toBe(0);
      expect(stderr).toBe('');
      expect(stdout).toContain(`Usage: vault ${name}`);
      expect(stdout).toMatch(/Examples?:\n {2}.*npm run vault -- /);
      expect(stdout).toMatch(/Exit codes?:? .*0 .*2 usage error/s);
      if (!NO_JSON[name]) expect(stdout).toContain('--json');
    },
  );

  it('when the top-level --help is run, then it lists the commands, the environment and the exit codes', async () => {
    const { code, stdout } = await run(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/Commands:[\s\S]*companies[\s\S]*audit/);
    expect(stdout).toContain('VAULT_DATA_DIR');
    expect(stdout).toContain('78 invalid configuration');
  });

  it('when a command is unknown, then the error goes to stderr, nothing to stdout, and the exit code is 2', async () => {
    const { code, stdout, stderr } = await run(['companies', 'frobnicate']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/unknown command/);
  });
});
