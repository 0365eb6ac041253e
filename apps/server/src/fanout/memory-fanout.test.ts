import { describeFanoutContract } from './fanout.contract.js';
import { createMemoryFanoutBus } from './memory-fanout.js';

describeFanoutContract('memory (three nodes on one bus)', async () => {
  const bus = createMemoryFanoutBus();
  const nodes = [bus.connect('node-a'), bus.connect('node-b'), bus.connect('node-c')] as const;
  return {
    nodes,
    cleanup: async () => {
      for (const node of nodes) await node.close();
    },
  };
});
