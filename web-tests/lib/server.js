// Starts the real `caravan` binary for the browser tests: built by cargo, on a free loopback port,
// with an admin token (for scenario decks) and a small caravan so a discard comes up early.
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ADMIN_TOKEN = 'web-tests-admin-token';
/** Arguments for the binary: none means "serve", as `cargo run` does. */
const SERVER_ARGS = process.env.CARAVAN_ARGS ? process.env.CARAVAN_ARGS.split(' ') : [];

function binaryPath() {
  if (process.env.CARAVAN_BIN) return path.resolve(process.env.CARAVAN_BIN);
  const target = process.env.CARGO_TARGET_DIR ? path.resolve(REPO, process.env.CARGO_TARGET_DIR) : path.join(REPO, 'target');
  return path.join(target, 'debug', 'caravan');
}

/** Build the debug binary (a no-op when it is up to date) unless CARAVAN_BIN names one. */
export function buildServer() {
  if (process.env.CARAVAN_BIN) return binaryPath();
  const r = spawnSync('cargo', ['build', '--quiet', '--bin', 'caravan'], { cwd: REPO, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`cargo build failed (exit ${r.status})`);
  const bin = binaryPath();
  if (!existsSync(bin)) throw new Error(`no binary at ${bin}`);
  return bin;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitHealthy(url, child, output, ms = 30000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`caravan exited with ${child.exitCode}:\n${output.join('')}`);
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`caravan did not become healthy within ${ms} ms:\n${output.join('')}`);
}

/** Start a server; returns {url, stop(), output}. */
export async function startServer(extraEnv = {}) {
  const bin = buildServer();
  const port = await freePort();
  const env = {
    ...process.env,
    SERVER_HOST: '127.0.0.1',
    SERVER_PORT: String(port),
    ADMIN_TOKEN,
    EVENT_STORE: 'memory',
    EVENT_BUS: 'local',
    CARAVAN_CAPACITY: '5',
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'pretty',
    APP_ENV: 'development',
    ...extraEnv,
  };
  const output = [];
  const child = spawn(bin, SERVER_ARGS, { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d) => output.push(String(d)));
  child.stderr.on('data', (d) => output.push(String(d)));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitHealthy(url, child, output);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  return {
    url,
    output,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** REST helper against the test server. */
export async function rest(base, method, pathname, body, token) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(`${base}${pathname}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  return { status: res.status, json };
}
