// A host application that embeds Tandem (README "Embedding the server"). Run it after building the
// server package: `node examples/fastify-plugin/server.js`, then point a y-websocket client at
// ws://127.0.0.1:3000/sync/<document>.
import { tandem } from '@tandem/server/plugin';
import Fastify from 'fastify';

const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'info' } });

// The host's own routes live beside Tandem's.
app.get('/hello', async () => ({ hello: 'from the host application' }));

// Tandem, with any subset of its configuration (the rest takes the environment loader's defaults).
// Without `dependencies` it opens the store the configuration names and closes it with the host.
await app.register(tandem, {
  config: {
    dataDir: process.env.DATA_DIR ?? './data',
    webDir: null,
    ...(process.env.ADMIN_TOKEN === undefined ? {} : { adminToken: process.env.ADMIN_TOKEN }),
  },
});

// The in-process API: read a document, change it (the reply comes after the durable commit), and
// watch one document's changes from inside the application.
app.get('/notes/:id', async (request) => {
  const doc = await app.tandem.documents.read(request.params.id);
  return { id: request.params.id, text: doc.getText('content').toString() };
});

app.post('/notes/:id/append', async (request, reply) => {
  const text = request.body?.text;
  if (typeof text !== 'string' || text.length === 0) {
    return reply.code(422).send({ error: 'unprocessable', message: 'body must be {"text": "<non-empty string>"}' });
  }
  const note = await app.tandem.documents.open(request.params.id);
  try {
    await note.change((doc) => {
      const content = doc.getText('content');
      content.insert(content.length, text);
    });
  } finally {
    note.close();
  }
  return { appended: text };
});

const watched = await app.tandem.documents.open('welcome');
let changes = 0;
watched.onChange(() => {
  changes += 1;
});
app.get('/welcome/changes', async () => ({ changes, text: watched.doc.getText('content').toString() }));
app.addHook('onClose', async () => watched.close());

const address = await app.listen({ port: Number(process.env.PORT ?? 3000), host: process.env.HOST ?? '127.0.0.1' });
app.log.info({ address }, 'host application listening');

// The host's close drains Tandem's sessions (1012) and closes the store it opened; nothing is left
// running, so the process ends by itself.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    app.close().then(
      () => app.log.info('host application closed'),
      (err) => {
        app.log.error({ err }, 'close failed');
        process.exitCode = 1;
      },
    );
  });
}
