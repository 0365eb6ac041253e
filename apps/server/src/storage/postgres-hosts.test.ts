import { describe, expect, it } from 'vitest';
import { parsePostgresUrl, redactPostgresUrl } from './postgres-hosts.js';

describe('parsePostgresUrl', () => {
  it('HA-5: reads every host of a multi-host URL and gives each a single-host URL for node-postgres', () => {
    const target = parsePostgresUrl(
      'postgresql://tandem:s3cret@pg-a:5432,pg-b,[::1]:6543/tandem?sslmode=require&target_session_attrs=read-write',
    );
    expect(target.hosts).toEqual([
      { host: 'pg-a', port: 5432 },
      { host: 'pg-b', port: 5432 },
      { host: '[::1]', port: 6543 },
    ]);
    expect(target.targetSessionAttrs).toBe('read-write');
    expect(target.urlFor({ host: 'pg-b', port: 5432 })).toBe(
      'postgresql://tandem:s3cret@pg-b:5432/tandem?sslmode=require',
    );
  });

  it('HA-5: a plain URL is one host with any session; bad hosts and unsupported attributes are named', () => {
    const target = parsePostgresUrl('postgres://127.0.0.1/x');
    expect(target.hosts).toEqual([{ host: '127.0.0.1', port: 5432 }]);
    expect(target.targetSessionAttrs).toBe('any');
    expect(() => parsePostgresUrl('mysql://h/x')).toThrow('postgres://');
    expect(() => parsePostgresUrl('postgres://a:1,b:70000/x')).toThrow('"b:70000"');
    expect(() => parsePostgresUrl('postgres://a/x?target_session_attrs=prefer-standby')).toThrow('not supported');
  });

  it('redacts the password and keeps every host', () => {
    expect(redactPostgresUrl('postgres://u:pw@a:1,b:2/db')).toBe('postgres://u:***@a:1,b:2/db');
    expect(redactPostgresUrl('postgres://a:1,b:2/db')).toBe('postgres://a:1,b:2/db');
  });
});
