// GET /dashboard and its files: the built page (apps/dashboard) served as it is, to anyone. The page
// holds no data: it asks the JSON API with the key its user signs in with, and the API checks that
// key. A middleware, so it answers before any guard of the routes; it serves only the files the
// build wrote (listed once), never a path it is given.
import { createHash } from 'crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'fs';
import { extname, join } from 'path';
import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import { NextFunction, Request, Response } from 'express';
import { DASHBOARD_CONFIG, DashboardConfig } from './dashboard-config';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** What the page may do: its own script and styles, calls to this origin only, no framing. */
const POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

interface File {
  body: Buffer;
  type: string;
  etag: string;
}

@Injectable()
export class DashboardFiles implements NestMiddleware {
  private files?: Map<string, File>;

  constructor(@Inject(DASHBOARD_CONFIG) private readonly config: DashboardConfig) {}

  use(req: Request, res: Response, next: NextFunction): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    // /dashboard and /dashboard/ are the page; /dashboard/<name> one of its files.
    const name = /^\/dashboard\/?$/.test(req.path) ? 'index.html' : req.path.replace(/^\/dashboard\//, '');
    const files = this.load();
    if (!files) {
      res.status(503).json({
        error: 'dashboard_not_built',
        message: `the dashboard is not built in ${this.config.dir}: npm run build:dashboard (npm ci runs it)`,
        details: [],
      });
      return;
    }
    const file = files.get(name);
    if (!file) {
      res.status(404).json({ error: 'not_found', message: `no file ${name} in the dashboard`, details: [] });
      return;
    }
    res.setHeader('Content-Type', file.type);
    res.setHeader('Content-Security-Policy', POLICY);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('ETag', file.etag);
    if (req.headers['if-none-match'] === file.etag) {
      res.status(304).end();
      return;
    }
    res.status(200).end(req.method === 'HEAD' ? undefined : file.body);
  }

  /** The built files, read once (undefined while there is no build). */
  private load(): Map<string, File> | undefined {
    if (this.files) return this.files;
    if (!existsSync(join(this.config.dir, 'index.html'))) return undefined;
    const files = new Map<string, File>();
    for (const name of readdirSync(this.config.dir)) {
      const path = join(this.config.dir, name);
      const type = TYPES[extname(name)];
      if (!type || !statSync(path).isFile()) continue;
      const body = readFileSync(path);
      files.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
    }
    this.files = files;
    return files;
  }
}
