// The game's WebSocket: one connection per table, reconnecting with backoff and lastEventId.
// It delivers each event once, in eventId order; the table itself is redrawn from `state` messages.
// It speaks protocol 4: each commit comes as one `update` (an array, read back by patch.js) whose
// patch it applies to the state it holds (its events' data as arrays of values, rebuilt by
// patch.js), handing the page the same `event` and `state` messages protocol 1 would send.
import { randomId } from './dom.js';
import { applyPatch, unpack, updateEvents, updateVersion } from './patch.js';

const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 8000];
const PING_EVERY_MS = 20000;
const SILENCE_LIMIT_MS = 50000;
const COMMAND_TIMEOUT_MS = 15000;

export class GameSocket {
  /**
   * @param {object} o
   * @param {string} o.gameId
   * @param {string|null} o.token  player token, or null to spectate
   * @param {object} o.on  handlers: welcome(msg), event(ev), state(msg), caughtUp(msg), error(err), status(s);
   *   an update is handed out as its events, then a state
   */
  constructor({ gameId, token, on }) {
    this.gameId = gameId;
    this.token = token;
    this.on = on;
    this.ws = null;
    this.lastEventId = null; // null until the first welcome: the first connect asks for a welcome
    this.attempt = 0;
    this.pending = new Map(); // requestId → {resolve}
    this.stopped = false;
    this.held = false; // test hook: keep the socket down until released
    this.timer = null;
    this.pingTimer = null;
    this.lastHeard = Date.now();
    this.connects = 0;
    this.state = null; // the state as the last welcome, state or update left it
  }

  url() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const q = new URLSearchParams({ gameId: this.gameId, protocol: '4' });
    if (this.token) q.set('token', this.token);
    if (this.lastEventId !== null) q.set('lastEventId', String(this.lastEventId));
    return `${proto}//${location.host}/ws?${q}`;
  }

  connect() {
    if (this.stopped || this.held) return;
    clearTimeout(this.timer);
    this.status(this.connects === 0 ? 'connecting' : 'reconnecting');
    this.resumedFrom = this.lastEventId;
    this.lastUrl = this.url();
    const ws = new WebSocket(this.lastUrl);
    this.ws = ws;
    this.connects += 1;
    ws.onopen = () => {
      this.lastHeard = Date.now();
      this.startPing();
    };
    ws.onmessage = (m) => {
      this.lastHeard = Date.now();
      let msg;
      try {
        msg = unpack(JSON.parse(m.data));
      } catch {
        return;
      }
      this.handle(msg);
    };
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.stopPing();
      // Commands in flight stay pending: they are sent again, with the same requestId, once the
      // connection is back (the server answers a repeated requestId with its first result).
      if (this.stopped) return;
      const retry = this.forceRetry;
      this.forceRetry = false;
      if (!retry && (e.code === 1008 || e.code === 4001 || e.code === 4003)) {
        // Policy violation: the token is not accepted. Retrying would not help.
        this.failPending('The server refused this connection.');
        this.status('refused', { reason: e.reason });
        return;
      }
      this.scheduleReconnect();
    };
    ws.onerror = () => {};
  }

  scheduleReconnect() {
    if (this.stopped) return;
    const base = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.attempt += 1;
    this.status('disconnected', { retryInMs: delay, attempt: this.attempt });
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  handle(msg) {
    switch (msg.type) {
      case 'welcome':
        this.attempt = 0;
        this.state = structuredClone(msg.state);
        this.lastEventId = Number(msg.lastEventId || 0);
        this.status('open');
        this.on.welcome && this.on.welcome(msg);
        this.resendPending();
        break;
      case 'event': {
        const id = Number(msg.eventId);
        if (this.lastEventId !== null && id <= this.lastEventId) return; // already seen
        if (this.lastEventId !== null && id > this.lastEventId + 1) {
          // A gap should never happen; repair it by reconnecting from what we have.
          this.reconnectNow();
          return;
        }
        this.lastEventId = id;
        this.on.event && this.on.event(msg);
        break;
      }
      case 'caughtUp':
        this.attempt = 0;
        this.lastCatchUp = { from: this.resumedFrom, to: Number(msg.lastEventId || 0) };
        this.lastEventId = Math.max(this.lastEventId ?? 0, Number(msg.lastEventId || 0));
        this.status('open');
        this.on.caughtUp && this.on.caughtUp(msg);
        this.resendPending();
        break;
      case 'state':
        this.state = structuredClone(msg.state);
        this.on.state && this.on.state(msg);
        break;
      case 'update': {
        const first = msg.events.length > 0 ? Number(msg.events[0][0]) : null;
        if (this.state === null || this.lastEventId === null || first !== this.lastEventId + 1) {
          // Not the continuation of what this page holds (the server never sends that): start again from it.
          this.reconnectNow();
          return;
        }
        for (const event of updateEvents(this.gameId, msg)) {
          this.lastEventId = Number(event.eventId);
          this.on.event && this.on.event(event);
        }
        applyPatch(this.state, msg.patch);
        this.lastEventId = updateVersion(msg);
        this.on.state && this.on.state({ type: 'state', lastEventId: this.lastEventId, state: structuredClone(this.state) });
        break;
      }
      case 'commandResult': {
        const p = this.pending.get(msg.requestId);
        if (p) {
          this.pending.delete(msg.requestId);
          p.resolve(msg);
        }
        break;
      }
      case 'error':
        this.on.error && this.on.error(msg.error || { code: 'error', message: 'The server refused a message.' });
        break;
      default:
        break; // pong and anything newer
    }
  }

  /**
   * Send a command; resolves with the commandResult message ({ok, eventIds} or {ok:false, error}).
   * Across a reconnect the command is sent again with the same requestId; after COMMAND_TIMEOUT_MS
   * without an answer it resolves as failed.
   */
  command(command) {
    const requestId = randomId();
    return new Promise((resolve) => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
        resolve({ ok: false, error: { code: 'not_connected', message: 'Not connected to the server; reconnecting…' } });
        return;
      }
      const timer = setTimeout(() => {
        if (!this.pending.delete(requestId)) return;
        resolve({ ok: false, error: { code: 'timeout', message: 'The server did not answer in time; check the table and try again.' } });
      }, COMMAND_TIMEOUT_MS);
      this.pending.set(requestId, {
        command,
        resolve: (msg) => {
          clearTimeout(timer);
          resolve(msg);
        },
      });
      this.ws.send(JSON.stringify({ type: 'command', requestId, command }));
    });
  }

  resendPending() {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    for (const [requestId, p] of this.pending) this.ws.send(JSON.stringify({ type: 'command', requestId, command: p.command }));
  }

  failPending(message) {
    for (const [, p] of this.pending) p.resolve({ ok: false, error: { code: 'connection_closed', message } });
    this.pending.clear();
  }

  startPing() {
    this.stopPing();
    this.pingTimer = setInterval(() => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
      if (Date.now() - this.lastHeard > SILENCE_LIMIT_MS) {
        this.ws.close();
        return;
      }
      this.ws.send(JSON.stringify({ type: 'ping' }));
    }, PING_EVERY_MS);
  }

  stopPing() {
    clearInterval(this.pingTimer);
    this.pingTimer = null;
  }

  status(state, extra = {}) {
    this.on.status && this.on.status({ state, ...extra });
  }

  /** Reconnect at once from the current lastEventId. */
  reconnectNow() {
    if (this.ws) this.ws.close();
    else this.connect();
  }

  /**
   * Reconnect asking for a fresh welcome (full state) instead of a catch-up; used when the server
   * refuses the catch-up itself, so the refusal's close code does not stop the reconnect.
   */
  resync() {
    this.lastEventId = null;
    this.forceRetry = true;
    this.attempt = 0;
    this.reconnectNow();
  }

  /** Test hook: drop the connection as a network loss would; `hold` keeps it down until release(). */
  drop({ hold = false } = {}) {
    this.held = hold;
    if (this.ws) this.ws.close(4000, 'dropped');
  }

  release() {
    this.held = false;
    this.attempt = 0;
    clearTimeout(this.timer);
    this.connect();
  }

  close() {
    this.stopped = true;
    this.failPending('The table was closed.');
    clearTimeout(this.timer);
    this.stopPing();
    if (this.ws) this.ws.close(1000, 'leaving');
  }

  get isOpen() {
    return !!this.ws && this.ws.readyState === WebSocket.OPEN;
  }
}
