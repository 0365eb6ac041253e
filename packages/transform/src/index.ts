export type { Extensions, JSONContent } from '@tiptap/core';
export { DEFAULT_FIELD, defaultExtensions } from './extensions.js';
export {
  type AppendOptions,
  createTransform,
  type Transform,
  TransformError,
  type TransformOptions,
} from './transform.js';
