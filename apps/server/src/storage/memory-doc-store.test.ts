import { describeDocStoreContract } from './doc-store.contract.js';
import { createMemoryDocStore } from './memory-doc-store.js';
import { createMemoryVersionStore } from './memory-version-store.js';
import { describeVersionStoreContract } from './version-store.contract.js';

describeDocStoreContract('memory', async () => {
  const store = createMemoryDocStore();
  return { store, cleanup: () => store.close() };
});

describeVersionStoreContract('memory', async () => {
  const store = createMemoryVersionStore();
  return { store, cleanup: () => store.close() };
});
