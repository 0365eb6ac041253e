export { checksum, matchesChecksum } from './checksum.js';
export { type RootKind, type RootType, type TypedRoot, typedRoots } from './root-types.js';
export {
  SQLITE_FILE,
  SQLITE_SCHEMA,
  SQLITE_SCHEMA_VERSION,
  SQLITE_TABLES,
  SQLITE_VERSIONS_SCHEMA,
  type SqliteDocRow,
  type SqliteUpdateRow,
} from './sqlite-schema.js';
