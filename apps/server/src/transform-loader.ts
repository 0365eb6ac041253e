import type { Transform } from '@tandem/transform';

/** The content transform (@tandem/transform, the editor's schema), once loaded. */
export interface LoadedTransform {
  readonly transform: Transform;
  /** The Y.XmlFragment it reads and writes (Tiptap's `default`). */
  readonly field: string;
  /** Whether `error` is the transform's own: content the schema rejects, named in its message. */
  isTransformError(error: unknown): boolean;
}

/** Gives the one transform of a server, loading it on the first call. */
export type TransformLoader = () => Promise<LoadedTransform>;

/**
 * The server's content transform, loaded on first use: it brings Tiptap and a DOM implementation,
 * seconds of start-up that a server which never renders or parses content (most requests are
 * sync sockets) should not pay. The content API, version previews and webhook content share it.
 */
export function lazyTransform(): TransformLoader {
  let loading: Promise<LoadedTransform> | null = null;
  return () => {
    loading ??= import('@tandem/transform').then(
      (loaded): LoadedTransform => ({
        transform: loaded.createTransform(),
        field: loaded.DEFAULT_FIELD,
        isTransformError: (error) => error instanceof loaded.TransformError,
      }),
      (err: unknown) => {
        loading = null;
        throw err;
      },
    );
    return loading;
  };
}
