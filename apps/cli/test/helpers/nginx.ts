import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type RunningProcess, startProcess, waitFor } from '@tandem/test-utils';

/**
 * Fills `${NAME}` placeholders the way the nginx image's envsubst does (only the given names;
 * nginx's own lowercase `$vars` are untouched). Throws if an uppercase placeholder is left over.
 */
export function renderTemplate(template: string, vars: Readonly<Record<string, string>>): string {
  const rendered = template.replace(/\$\{([A-Z0-9_]+)\}/g, (whole, name: string) => vars[name] ?? whole);
  const left = /\$\{[A-Z0-9_]+\}/.exec(rendered);
  if (left !== null) throw new Error(`template placeholder ${left[0]} has no value`);
  return rendered;
}

/** Debian's nginx in the foreground, on a loopback port, with a rendered config. */
export interface NginxProcess {
  readonly port: number;
  readonly process: RunningProcess;
  /** The rendered configuration, as nginx read it. */
  readonly config: string;
  stop(): Promise<void>;
}

/**
 * Renders `templateFile` with `vars` plus `TANDEM_LISTEN` (a free loopback port) and
 * `TANDEM_ACCESS_LOG` (a file in its temp prefix), and starts nginx in the foreground.
 */
export async function startNginx(templateFile: string, vars: Readonly<Record<string, string>>): Promise<NginxProcess> {
  const port = await freePort();
  const prefix = mkdtempSync(join(tmpdir(), 'tandem-nginx-'));
  const config = renderTemplate(readFileSync(templateFile, 'utf8'), {
    ...vars,
    TANDEM_LISTEN: `127.0.0.1:${port}`,
    TANDEM_ACCESS_LOG: join(prefix, 'access.log'),
  });
  const confFile = join(prefix, 'nginx.conf');
  writeFileSync(confFile, config);
  // Debian installs it in /usr/sbin, which is not on every user's PATH.
  const binary = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
  const process = startProcess(binary, [
    '-p',
    prefix,
    '-c',
    confFile,
    '-e',
    'stderr',
    '-g',
    `daemon off; pid ${join(prefix, 'nginx.pid')};`,
  ]);
  const stop = async () => {
    // SIGTERM is nginx's fast shutdown: open WebSockets are closed instead of awaited.
    await process.stop('SIGTERM', 5_000);
    rmSync(prefix, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => {
        if (process.child.exitCode !== null) throw new Error(`nginx exited:\n${process.lines.join('\n')}`);
        const response = await fetch(`http://127.0.0.1:${port}/healthz`);
        return response.status === 200;
      },
      { what: 'nginx to proxy /healthz', timeoutMs: 10_000, intervalMs: 50 },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, process, config, stop };
}
