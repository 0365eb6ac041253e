import { createMultiplexedConnection, TandemProvider } from '@tandem/client';
import WebSocket from 'ws';
import * as Y from 'yjs';
const c = createMultiplexedConnection({ url: 'ws://127.0.0.1:4601/sync', WebSocket });
c.on('status', (e) => console.log('status', e));
const p = new TandemProvider('x', new Y.Doc(), { connection: c, offline: false, crossTab: false });
setTimeout(() => { console.log(p.synced, c.status); p.destroy(); c.destroy(); }, 1500);
