import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { homeRoute } from './home-route.js';

/**
 * Serves the built editor app (apps/web/dist): its files, and index.html for the app's own
 * routes (`/`, `/d/<id>`). Without a build, `/` explains how to connect instead.
 */
export async function webApp(app: FastifyInstance, options: { webDir: string | null }): Promise<void> {
  const webDir = options.webDir;
  if (webDir === null || !existsSync(join(webDir, 'index.html'))) {
    await app.register(homeRoute);
    return;
  }
  await app.register(fastifyStatic, { root: webDir, index: ['index.html'], wildcard: false });
  const appShell = (_request: unknown, reply: { sendFile(file: string): unknown }) => reply.sendFile('index.html');
  app.get('/d/*', appShell);
}
