import { describeDocStoreContract } from './doc-store.contract.js';
import { createMemoryDocStore } from './memory-doc-store.js';

describeDocStoreContract('memory', async () => {
  const store = createMemoryDocStore();
  return { store, cleanup: () => store.close() };
});
