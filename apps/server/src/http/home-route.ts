import type { FastifyInstance } from 'fastify';

/** `GET /`: a small page that says what this server is and how to connect, until the editor app is served here. */
export async function homeRoute(app: FastifyInstance): Promise<void> {
  app.get('/', async (request, reply) => {
    const host = request.headers.host ?? 'localhost';
    const wsUrl = `ws://${host}/sync`;
    return reply.type('text/html; charset=utf-8').send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tandem</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>Tandem sync server</h1>
<p>This server relays Yjs documents. Connect any y-websocket client with
<code>new WebsocketProvider('${escapeHtml(wsUrl)}', roomName, doc)</code>.</p>
<p>Health: <a href="/healthz">/healthz</a> · Readiness: <a href="/readyz">/readyz</a></p>
</body></html>`);
  });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
