import { Controller, Get, Header, Param, Res, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Public } from '../common/auth/auth.decorators';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};
/** Built file names only: no `..`, no query, nothing outside the build folder. */
const ASSET = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.(js|css|svg|png|ico)$/;
/** The page talks to this origin only; no inline script (Chart.js sets inline styles on its canvas). */
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** The console's build folder (console/dist at the package root, beside src/ or dist/). */
export function consoleDir(from = __dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'console', 'dist');
}

/**
 * `GET /console`: the operators' console, a static single-page app (console/, built by `npm run
 * build:console`) that talks to the admin REST API with the operator's bearer token, like any client —
 * no route of its own, no back door. Public, like /docs: the page holds no data, every call it makes is
 * authorized by the API. Served by a controller rather than @fastify/static: three file types, one
 * folder, and the same request pipeline (request id, logs, rate limit) as every route.
 */
@ApiExcludeController()
@Public()
@Controller({ path: 'console', version: VERSION_NEUTRAL })
export class ConsoleController {
  private readonly dir = consoleDir();

  @Get()
  @Header('Cache-Control', 'no-cache')
  @Header('Content-Security-Policy', CSP)
  @Header('X-Content-Type-Options', 'nosniff')
  index(@Res() reply: FastifyReply): Promise<void> {
    return this.send(reply, 'index.html');
  }

  @Get('assets/:file')
  @Header('Cache-Control', 'public, max-age=31536000, immutable')
  @Header('X-Content-Type-Options', 'nosniff')
  asset(@Param('file') file: string, @Res() reply: FastifyReply): Promise<void> {
    if (!ASSET.test(file)) return this.notFound(reply);
    return this.send(reply, join('assets', file));
  }

  private async send(reply: FastifyReply, rel: string): Promise<void> {
    const path = resolve(this.dir, rel);
    if (!path.startsWith(this.dir + sep)) return this.notFound(reply);
    let body: Buffer;
    try {
      body = await readFile(path);
    } catch {
      if (rel === 'index.html') {
        await reply
          .code(503)
          .type('text/plain; charset=utf-8')
          .send('The console is not built: run `npm run build:console` (npm start and npm run build do).');
        return;
      }
      return this.notFound(reply);
    }
    await reply.type(TYPES[path.slice(path.lastIndexOf('.'))] ?? 'application/octet-stream').send(body);
  }

  private async notFound(reply: FastifyReply): Promise<void> {
    await reply.code(404).type('text/plain; charset=utf-8').send('Not found');
  }
}
