/**
 * Raised when stored bytes no longer match their checksum (or cannot be read at all). The checksum
 * itself lives in @tandem/doc-format, which the CLI reads the same files with.
 */
export class CorruptDataError extends Error {
  override readonly name = 'CorruptDataError';
}
