// The chime on the player's turn: two soft notes made with WebAudio (no file, no network), muted with
// the button in the turn bar (remembered in this browser). Browsers let a page make sound only after the
// person interacted with it, so the chime is skipped until then rather than warned about.

const KEY = 'caravan.muted';
let ctx = null;

/** What happened to the chimes asked for, for the browser tests: played, muted, or not allowed yet. */
export const chimes = { played: 0, muted: 0, blocked: 0 };

export function isMuted() {
  try {
    return localStorage.getItem(KEY) === '1';
  } catch {
    return false;
  }
}

export function setMuted(on) {
  try {
    if (on) localStorage.setItem(KEY, '1');
    else localStorage.removeItem(KEY);
  } catch {
    // private mode: the choice lasts for this page only
  }
  muted = on;
}

let muted = isMuted();

function allowed() {
  const ua = navigator.userActivation;
  return !ua || ua.hasBeenActive;
}

/** Play the turn chime unless muted; returns whether it played. */
export function chime() {
  if (muted) {
    chimes.muted += 1;
    return false;
  }
  if (!allowed() || typeof AudioContext === 'undefined') {
    chimes.blocked += 1;
    return false;
  }
  ctx = ctx || new AudioContext();
  if (ctx.state === 'suspended') ctx.resume();
  const t0 = ctx.currentTime + 0.02;
  [
    [660, 0],
    [880, 0.16],
  ].forEach(([freq, at]) => {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = 'sine';
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, t0 + at);
    gain.gain.exponentialRampToValueAtTime(0.18, t0 + at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t0 + at + 0.35);
    osc.connect(gain).connect(ctx.destination);
    osc.start(t0 + at);
    osc.stop(t0 + at + 0.4);
  });
  chimes.played += 1;
  return true;
}
