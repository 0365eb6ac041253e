/** One host of a Postgres connection string. */
export interface PostgresHost {
  readonly host: string;
  readonly port: number;
}

/** Which servers a session may use: libpq's `target_session_attrs`, the two values Tandem supports. */
export type TargetSessionAttrs = 'any' | 'read-write';

/** A `postgres://` URL that may list several hosts, as libpq reads it (HA-5). */
export interface PostgresTarget {
  readonly hosts: readonly PostgresHost[];
  readonly targetSessionAttrs: TargetSessionAttrs;
  /** The same URL naming only `host` and without `target_session_attrs`: what node-postgres parses. */
  urlFor(host: PostgresHost): string;
}

const URL_SHAPE = /^(postgres(?:ql)?:\/\/)(?:([^@/?#]*)@)?([^/?#]*)(.*)$/;
const HOST_SHAPE = /^(\[[^\]]+\]|[^:[\]]+)(?::(\d{1,5}))?$/;

/**
 * Parses `postgres://user:pw@h1:5432,h2:5433/db?target_session_attrs=read-write` (libpq's
 * multi-host form; node-postgres reads only one host). Throws an Error naming the problem.
 */
export function parsePostgresUrl(raw: string): PostgresTarget {
  const match = URL_SHAPE.exec(raw.trim());
  if (match === null) throw new Error('must be a URL starting with postgres:// or postgresql://');
  const [, scheme = '', userInfo, hostList = '', rest = ''] = match;
  const hosts = hostList.split(',').map((item): PostgresHost => {
    const host = HOST_SHAPE.exec(item.trim());
    const port = Number(host?.[2] ?? 5432);
    if (host?.[1] === undefined || port < 1 || port > 65_535) {
      throw new Error(`host ${JSON.stringify(item)} is not host or host:port`);
    }
    return { host: host[1], port };
  });
  const queryAt = rest.indexOf('?');
  const path = queryAt === -1 ? rest : rest.slice(0, queryAt);
  const query = new URLSearchParams(queryAt === -1 ? '' : rest.slice(queryAt + 1));
  const attrs = query.get('target_session_attrs') ?? 'any';
  if (attrs !== 'any' && attrs !== 'read-write') {
    throw new Error(`target_session_attrs=${attrs} is not supported (use read-write or any)`);
  }
  query.delete('target_session_attrs');
  const search = query.size === 0 ? '' : `?${query.toString()}`;
  const urlFor = ({ host, port }: PostgresHost) =>
    `${scheme}${userInfo === undefined ? '' : `${userInfo}@`}${host}:${port}${path}${search}`;
  const first = hosts[0];
  if (first === undefined || !URL.canParse(urlFor(first))) throw new Error('is not a valid postgres:// URL');
  return { hosts, targetSessionAttrs: attrs, urlFor };
}

/** The URL with its password replaced, for logs (every host kept). */
export function redactPostgresUrl(raw: string): string {
  return raw.replace(URL_SHAPE, (_all, scheme: string, userInfo: string | undefined, hosts: string, rest: string) => {
    const user =
      userInfo === undefined ? '' : `${userInfo.includes(':') ? `${userInfo.split(':')[0]}:***` : userInfo}@`;
    return `${scheme}${user}${hosts}${rest}`;
  });
}
