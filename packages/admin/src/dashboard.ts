/**
 * The dashboard at `/`: plain HTML, CSS and JavaScript from public/ and uPlot from its npm
 * package, all served by this app (no CDN, no build step). The page polls the JSON routes
 * itself. Files are read once, when the app is built: they are small and never change while
 * the server runs.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyPluginAsync } from 'fastify';

const PUBLIC = new URL('../public/', import.meta.url);
const require = createRequire(import.meta.url);

interface Asset {
  path: string;
  type: string;
  file: string | URL;
}

const ASSETS: Asset[] = [
  { path: '/', type: 'text/html; charset=utf-8', file: new URL('index.html', PUBLIC) },
  {
    path: '/dashboard.js',
    type: 'text/javascript; charset=utf-8',
    file: new URL('dashboard.js', PUBLIC),
  },
  {
    path: '/dashboard.css',
    type: 'text/css; charset=utf-8',
    file: new URL('dashboard.css', PUBLIC),
  },
  { path: '/favicon.svg', type: 'image/svg+xml', file: new URL('favicon.svg', PUBLIC) },
  {
    path: '/vendor/uPlot.iife.min.js',
    type: 'text/javascript; charset=utf-8',
    file: require.resolve('uplot/dist/uPlot.iife.min.js'),
  },
  {
    path: '/vendor/uPlot.min.css',
    type: 'text/css; charset=utf-8',
    file: require.resolve('uplot/dist/uPlot.min.css'),
  },
];

/** Everything the page loads comes from this origin; uPlot sets element styles from script. */
const CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'";

export const dashboardRoutes: FastifyPluginAsync = async (app) => {
  for (const asset of ASSETS) {
    const body = readFileSync(asset.file);
    app.get(asset.path, async (_request, reply) =>
      reply
        .type(asset.type)
        .header('cache-control', 'no-cache')
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', CSP)
        .send(body),
    );
  }
};
