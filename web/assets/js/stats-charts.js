// Analyst dashboard charts: Chart.js (vendored, loaded only by this page and only once a chart is drawn).
//
// Suppressed cells (small counts hidden by the API, `null`) are never drawn as 0: the line has a gap there and a
// hatched band marked "x" covers the period; a bar is replaced by the same hatched band. Each canvas is an image
// (role="img") whose aria-label summarises the data; the table beneath the charts is the full text equivalent.
// Series differ by more than colour (point shapes, dashes, fill patterns), and colours meet 3:1 on white.

import { loadLibrary } from "./core.js";

const CHART_SRC = "vendor/chart.js-4.6.1/chart.umd.min.js";
// Graphical objects: at least 3:1 against white (WCAG 1.4.11); the first one is the site's brand blue.
export const SERIES_COLOURS = ["#0b4f8a", "#b3261e", "#1e6b34", "#7a4b00", "#5a2d82"];
const POINT_STYLES = ["circle", "rect", "triangle", "rectRot", "crossRot"];
const DASHES = [[], [6, 4], [2, 3], [10, 3, 2, 3], [1, 5]];
const HATCH_INK = "#4a5260";

/** Loads Chart.js once (a plain script from this origin: the CSP allows 'self'). */
export function loadChartJs() {
  return loadLibrary(CHART_SRC, "Chart");
}

function hatch(ctx, ink = HATCH_INK, background = "#ffffff") {
  const tile = document.createElement("canvas");
  tile.width = 8;
  tile.height = 8;
  const g = tile.getContext("2d");
  g.fillStyle = background;
  g.fillRect(0, 0, 8, 8);
  g.strokeStyle = ink;
  g.lineWidth = 1.5;
  g.beginPath();
  g.moveTo(0, 8); g.lineTo(8, 0);
  g.moveTo(-2, 2); g.lineTo(2, -2);
  g.moveTo(6, 10); g.lineTo(10, 6);
  g.stroke();
  return ctx.createPattern(tile, "repeat");
}

function seriesFill(ctx, index) {
  const colour = SERIES_COLOURS[index % SERIES_COLOURS.length];
  if (index === 0) return colour;
  // second and later series: the colour with a pattern, so they differ without colour too
  const tile = document.createElement("canvas");
  tile.width = 10;
  tile.height = 10;
  const g = tile.getContext("2d");
  g.fillStyle = colour;
  g.fillRect(0, 0, 10, 10);
  g.fillStyle = "#ffffff";
  if (index % 2 === 1) g.fillRect(0, 4, 10, 2);
  else { g.beginPath(); g.arc(5, 5, 2, 0, 2 * Math.PI); g.fill(); }
  return ctx.createPattern(tile, "repeat");
}

/** Chart.js plugin: a hatched band marked "x" over every category where a series value is suppressed. */
const suppressedMarks = {
  id: "suppressedMarks",
  afterDatasetsDraw(chart, _args, options) {
    const indexes = options?.indexes || [];
    if (!indexes.length) return;
    const { ctx, chartArea, scales } = chart;
    const horizontal = chart.options.indexAxis === "y";
    const count = chart.data.labels.length || 1;
    const slot = (horizontal ? chartArea.height : chartArea.width) / count;
    const size = Math.max(6, Math.min(chart.config.type === "bar" ? slot * 0.7 : slot * 0.6, 28));
    ctx.save();
    const pattern = hatch(ctx);
    ctx.font = "bold 13px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    for (const index of indexes) {
      const centre = (horizontal ? scales.y : scales.x).getPixelForValue(index);
      const box = horizontal
        ? [chartArea.left, centre - size / 2, chartArea.width, size]
        : [centre - size / 2, chartArea.top, size, chartArea.height];
      ctx.fillStyle = pattern;
      ctx.globalAlpha = 0.55;
      ctx.fillRect(...box);
      ctx.globalAlpha = 1;
      ctx.strokeStyle = HATCH_INK;
      ctx.lineWidth = 1;
      ctx.strokeRect(...box);
      const [mx, my] = horizontal ? [chartArea.left + 12, centre] : [centre, chartArea.bottom - 10];
      ctx.fillStyle = "#ffffff";
      ctx.fillRect(mx - 7, my - 8, 14, 16);
      ctx.fillStyle = "#1b1f24";
      ctx.fillText(options.label || "x", mx, my + 1);
    }
    ctx.restore();
  },
};

const charts = new Map();

/**
 * Draws (or redraws) a chart on `canvas`.
 * spec: {type: "line"|"bar", horizontal, labels: [...], series: [{label, values: [number|null], hidden: [bool]}],
 *        valueTitle, locale, decimals, colon, format(value), suppressedText}
 * Sets data-points (values drawn, suppressed ones excluded), data-suppressed and data-categories on the canvas.
 */
export async function drawChart(canvas, spec) {
  const Chart = await loadChartJs();
  charts.get(canvas)?.destroy();
  const ctx = canvas.getContext("2d");
  // serie.hidden[i]: the value is suppressed (null, drawn as a gap or a hatched band, never as 0)
  const suppressed = new Set();
  spec.series.forEach((serie) => (serie.hidden || []).forEach((hidden, i) => { if (hidden) suppressed.add(i); }));
  const line = spec.type === "line";
  const datasets = spec.series.map((serie, index) => {
    const colour = SERIES_COLOURS[index % SERIES_COLOURS.length];
    return line
      ? {
        label: serie.label,
        data: serie.values,
        borderColor: colour,
        backgroundColor: colour,
        borderWidth: 2,
        borderDash: DASHES[index % DASHES.length],
        pointStyle: POINT_STYLES[index % POINT_STYLES.length],
        pointRadius: spec.labels.length > 60 ? 1.5 : 4,
        pointHoverRadius: 6,
        spanGaps: false,
        tension: 0,
      }
      : {
        label: serie.label,
        data: serie.values,
        backgroundColor: seriesFill(ctx, index),
        borderColor: colour,
        borderWidth: 1,
      };
  });
  const chart = new Chart(ctx, {
    type: spec.type,
    data: { labels: spec.labels, datasets },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      locale: spec.locale,
      interaction: { mode: "index", intersect: false },
      indexAxis: spec.horizontal ? "y" : "x",
      scales: {
        [spec.horizontal ? "y" : "x"]: {
          ticks: { color: "#1b1f24", autoSkip: true, maxRotation: 60 },
          grid: { display: line },
        },
        [spec.horizontal ? "x" : "y"]: {
          beginAtZero: true,
          ticks: { color: "#1b1f24", precision: spec.decimals ? undefined : 0 },
          title: { display: Boolean(spec.valueTitle), text: spec.valueTitle, color: "#1b1f24" },
        },
      },
      plugins: {
        legend: { display: spec.series.length > 1, labels: { color: "#1b1f24", usePointStyle: line } },
        tooltip: {
          callbacks: {
            label: (item) => `${item.dataset.label}${spec.colon || ": "}${item.raw === null ? spec.suppressedText : spec.format(item.raw)}`,
          },
        },
        suppressedMarks: { indexes: [...suppressed], label: "x" },
      },
    },
    plugins: [suppressedMarks],
  });
  charts.set(canvas, chart);
  const drawn = spec.series.reduce((sum, serie) => sum + serie.values.filter((v) => v !== null).length, 0);
  canvas.dataset.points = String(drawn);
  canvas.dataset.suppressed = String(
    spec.series.reduce((sum, serie) => sum + (serie.hidden || []).filter(Boolean).length, 0),
  );
  canvas.dataset.categories = String(spec.labels.length);
  canvas.dataset.type = spec.type;
  return chart;
}

/** Forgets the charts drawn (when the results are replaced). */
export function destroyCharts() {
  for (const chart of charts.values()) chart.destroy();
  charts.clear();
}
