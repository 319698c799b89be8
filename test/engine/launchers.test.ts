// The two ways a command is started (engine/posix-spawn.ts, and child_process
// in engine/process-runner.ts) give the command the same world: a session of
// its own, default signals, stdin from /dev/null, only fds 0-2, exactly the
// environment given, the working directory given; and report the same exit
// codes, signals, output and start errors.
import { mkdtempSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { posixSpawn, type Launch } from '../../src/engine/posix-spawn.js';
import { nodeSpawn } from '../../src/engine/process-runner.js';

interface Ran {
  pid: number | undefined;
  code: number | null;
  signal: string | null;
  out: string;
  err: string;
  error?: string;
  events: string[];
}

function run(launch: Launch, file: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const child = launch(file, args, { cwd: opts.cwd, env: opts.env ?? { PATH: process.env.PATH } });
    const ran: Ran = { pid: child.pid, code: null, signal: null, out: '', err: '', events: [] };
    child.stdout.on('data', (b: Buffer) => (ran.out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (ran.err += b.toString()));
    child.on('error', (e: Error) => {
      ran.error = e.message;
      ran.events.push('error');
    });
    child.on('exit', () => ran.events.push('exit'));
    child.on('close', (code: number | null, signal: string | null) => {
      ran.events.push('close');
      resolve({ ...ran, code, signal });
    });
  });
}

const sh = (launch: Launch, script: string, opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) => run(launch, '/bin/sh', ['-c', script], opts);

const fast = posixSpawn();

/** This process's fds without close-on-exec, before any test ran: what every exec from here passes on. */
const INHERITED_AT_START = new Set(
  readdirSync('/proc/self/fd').filter((fd) => {
    try {
      const flags = /flags:\s*(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
      return flags !== undefined && (parseInt(flags, 8) & 0o2000000) === 0;
    } catch {
      return false; // the directory's own fd, closed by now
    }
  }),
);

describe('posix_spawn launcher', () => {
  it('is what this machine uses (Linux, glibc, koffi loads): a silent fallback would hide a slow path', () => {
    expect(process.platform).toBe('linux');
    expect(fast).toBeDefined();
  });

  it('steps aside for child_process with BATON_SPAWN=node', () => {
    const probe = `import('${pathToFileURL(resolve('dist/engine/posix-spawn.js')).href}').then((m) => process.stdout.write(String(m.posixSpawn() !== undefined)))`;
    const ask = (env: NodeJS.ProcessEnv) => execFileSync(process.execPath, ['-e', probe], { env: { ...process.env, ...env } }).toString();
    expect(ask({ BATON_SPAWN: 'node' })).toBe('false');
    expect(ask({ BATON_SPAWN: '' })).toBe('true');
  });
});

describe.each([
  ['posix_spawn', fast as Launch],
  ['child_process', nodeSpawn],
])('%s', (_name, launch) => {
  it('reports the exit code, output of both streams, then exit before close', async () => {
    const r = await sh(launch, 'echo out; echo err >&2; printf "no newline"; exit 7');
    expect(r).toMatchObject({ code: 7, signal: null, out: 'out\nno newline', err: 'err\n', events: ['exit', 'close'] });
  });

  it('reports the exit of a command that closed its output long before', async () => {
    const r = await sh(launch, 'exec >/dev/null 2>&1; sleep 0.3; exit 4');
    expect(r).toMatchObject({ code: 4, out: '', events: ['exit', 'close'] });
  });

  it('reports the signal that ended the leader', async () => {
    const r = await sh(launch, 'kill -TERM $$; sleep 5');
    expect(r).toMatchObject({ code: null, signal: 'SIGTERM' });
  });

  it('starts the command as the leader of a new session, with default signals, none blocked, stdin from /dev/null, no fd of this process', async () => {
    const r = await sh(launch, 'cut -d" " -f6 /proc/$$/stat; grep -E "^Sig(Ign|Blk)" /proc/self/status; cat; readlink /proc/$$/fd/0; ls -l /proc/$$/fd | sed -n "s/.* \\([0-9]*\\) -> /\\1 /p"');
    const [session, blocked, ignored, stdin, ...fds] = r.out.trim().split('\n');
    expect(Number(session)).toBe(r.pid);
    // Read by grep of itself: the shell blocks every signal while it waits.
    // Node itself ignores SIGPIPE and SIGXFSZ: a child must not inherit that.
    expect(ignored).toBe('SigIgn:\t0000000000000000');
    expect(blocked).toBe('SigBlk:\t0000000000000000');
    expect(stdin).toBe('/dev/null');
    // Beyond 0-2, only what this process itself was given without
    // close-on-exec (a test runner's pipe, say) may reach the command.
    const extra = fds.map((line) => line.split(' ')[0]).filter((fd) => !['0', '1', '2'].includes(fd ?? ''));
    expect(extra.filter((fd) => !INHERITED_AT_START.has(fd ?? ''))).toEqual([]);
    expect(fds.length).toBeGreaterThanOrEqual(3);
  });

  it('gives exactly the environment given, inherited entries included', async () => {
    const base = { PATH: process.env.PATH ?? '', FROM_BASE: 'b' };
    const env = Object.assign(Object.create(base) as NodeJS.ProcessEnv, { ODD: 'a b\n$(x)', GONE: undefined });
    const r = await run(launch, 'env', [], { env });
    expect(r.out.trim().split('\n').sort()).toEqual(['FROM_BASE=b', 'ODD=a b', '$(x)', `PATH=${process.env.PATH}`].sort());
  });

  it('runs in the working directory given; looks a bare name up in the given PATH', async () => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'baton-launch-')));
    const r = await run(launch, 'pwd', [], { cwd: dir, env: { PATH: '/nonexistent:/bin:/usr/bin' } });
    expect(r).toMatchObject({ code: 0, out: `${dir}\n` });
  });

  it('reports a command that cannot start as an error, then close, with no exit', async () => {
    const missing = await run(launch, 'no-such-command-here', []);
    expect(missing.error).toContain('ENOENT');
    expect(missing.events).toEqual(['error', 'close']);
    const badCwd = await sh(launch, 'true', { cwd: '/no/such/dir' });
    expect(badCwd.error).toContain('ENOENT');
    expect(badCwd.events).toEqual(['error', 'close']);
  });

  it('refuses an argument holding a NUL byte, as exec could not pass it whole', () => {
    expect(() => launch('/bin/sh', ['-c', 'echo a\0b'], { env: {} })).toThrow(/null bytes|NUL byte/);
  });

  it('reaps every child: 100 at once all close, and none is left a zombie', async () => {
    const runs = await Promise.all(Array.from({ length: 100 }, (_, i) => sh(launch, `exit ${i % 3}`)));
    expect(runs.map((r) => r.code)).toEqual(Array.from({ length: 100 }, (_, i) => i % 3));
    const zombies = readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .filter((d) => {
        try {
          const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
          const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
          return fields[0] === 'Z' && Number(fields[1]) === process.pid;
        } catch {
          return false; // gone meanwhile
        }
      });
    expect(zombies).toEqual([]);
  });
});
