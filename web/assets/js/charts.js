// The dashboard's charts: a rolling window of samples drawn with uPlot (vendored under
// assets/vendor/uplot, MIT). This module only keeps and draws samples; it never fetches anything.
import uPlot from '/assets/vendor/uplot/uPlot.esm.js';

/** Samples kept per chart: 5 minutes at one sample every 2 s. */
export const WINDOW = 150;

const PALETTE = ['#0057a8', '#d55e00', '#009e73', '#6b3f1d', '#6a4bc4'];
const DASHES = [[], [8, 4], [2, 3], [12, 3, 2, 3]];

/** One line chart of several series over time, sized to its container. */
export class LineChart {
  /**
   * @param {HTMLElement} el  where the chart goes (role=img with a label kept up to date)
   * @param {object} o
   * @param {string[]} o.series  the lines' names
   * @param {string} o.unit  appended to values in the legend and the label
   * @param {string} o.what  the chart's subject, for its accessible label
   * Lines after the first are drawn dashed or dotted, so lines that lie on each other stay apart.
   */
  constructor(el, { series, unit = '', what }) {
    this.el = el;
    this.what = what;
    this.unit = unit;
    this.names = series;
    this.data = [[], ...series.map(() => [])];
    const fmt = (u, v) => (v === null || v === undefined ? '—' : `${Math.round(v * 10) / 10}${unit}`);
    this.plot = new uPlot(
      {
        width: Math.max(260, el.clientWidth || 300),
        height: 170,
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max * 1.15)] } },
        axes: [
          { stroke: '#4d4740', grid: { stroke: '#eee4d4' }, ticks: { stroke: '#d9cfbf' } },
          { stroke: '#4d4740', size: 56, grid: { stroke: '#eee4d4' }, ticks: { stroke: '#d9cfbf' }, values: (u, vals) => vals.map((v) => `${v}${unit}`) },
        ],
        series: [
          { label: 'time', value: (u, v) => (v ? new Date(v * 1000).toLocaleTimeString() : '—') },
          ...series.map((label, i) => ({ label, stroke: PALETTE[i % PALETTE.length], width: i === 0 ? 2.5 : 2, dash: DASHES[i % DASHES.length], value: fmt, spanGaps: false, points: { show: true, size: 4 } })),
        ],
      },
      this.data,
      el,
    );
    this.resize = new ResizeObserver(() => {
      const w = el.clientWidth;
      if (w > 0 && Math.abs(w - this.plot.width) > 4) this.plot.setSize({ width: w, height: 170 });
    });
    this.resize.observe(el);
  }

  /** Add one sample: `values` in series order (null for a gap). */
  push(tSecs, values) {
    this.data[0].push(tSecs);
    values.forEach((v, i) => this.data[i + 1].push(v === undefined ? null : v));
    if (this.data[0].length > WINDOW) for (const col of this.data) col.shift();
    this.plot.setData(this.data);
    const now = this.names.map((n, i) => `${n} ${values[i] === null || values[i] === undefined ? 'no data' : `${Math.round(values[i] * 10) / 10}${this.unit}`}`).join(', ');
    this.el.setAttribute('aria-label', `${this.what} over the last ${Math.round((this.data[0].length * 2) / 60) || 1} min; now ${now}`);
    this.el.dataset.points = String(this.data[0].length);
    const peak = Math.max(0, ...this.data.slice(1).flat().filter((v) => v !== null));
    this.el.dataset.peak = String(Math.round(peak * 1000) / 1000);
  }
}
