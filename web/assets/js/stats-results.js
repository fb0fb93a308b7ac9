// Analyst dashboard: one answer drawn — the summary, the suppression legend, the trend (line) and breakdown (bar)
// charts, the table with suppressed cells marked "x", and the CSV download.

import { api, h, showProblem, state, t } from "./core.js";
import { drawChart } from "./stats-charts.js";
import { locale, measureKind, numberText, periodText, periodsBetween } from "./stats-periods.js";

const TOP_VALUES = 20; // bars of the breakdown chart (the table and the CSV hold every value)
let csvUrl = null;

const granularityText = (g) => t(`stats.granularity.${g}`).toLowerCase();
const lowerFirst = (text) => (text ? text[0].toLowerCase() + text.slice(1) : text);

function suppressedNote(count) {
  return count ? t("stats.chart.suppressed", { count }) : "";
}

function figure(id, label, caption, height) {
  const canvas = h("canvas", { id, role: "img", "aria-label": label });
  const box = h("div", { class: "chart-box" }, canvas);
  if (height) box.style.height = `${height}px`;
  return {
    canvas,
    node: h("figure", { class: "chart" }, box,
      h("figcaption", {}, h("p", {}, caption), h("p", { class: "hint" }, t("stats.chart.details")))),
  };
}

async function draw(canvas, spec) {
  try {
    await drawChart(canvas, {
      locale: locale(),
      colon: t("stats.colon"),
      suppressedText: `x (${t("stats.suppressed.cell")})`,
      ...spec,
    });
  } catch {
    // Chart.js could not load: the summary and the table still say everything
    canvas.closest(".chart-box")?.replaceWith(h("p", { class: "muted" }, t("stats.chart.unavailable")));
  }
}

// ---- trend: one line per region, every period of the range (absent = 0, suppressed = gap) ----------------

function trendChart(choice, spec, answer, regionLabel) {
  const kind = measureKind(spec, choice.measure);
  const measure = spec.measures.find((m) => m.name === choice.measure) || spec.measures[0];
  const periods = periodsBetween(answer.from, answer.to, answer.granularity);
  const series = (answer.regions || [choice.region]).map((region) => {
    const rows = new Map(answer.rows.filter((r) => r.region === region).map((r) => [r.period, r]));
    const cells = periods.map((p) => rows.get(p));
    return {
      label: rows.size ? [...rows.values()][0].region_name : region,
      values: cells.map((row) => (row ? row[measure.name] : kind === "average" ? null : 0)),
      hidden: cells.map((row) => Boolean(row) && row[measure.name] === null),
    };
  });
  const visible = series.flatMap((s) => s.values.map((v, i) => [v, i])).filter(([v]) => v !== null);
  const [max, maxAt] = visible.reduce((best, item) => (item[0] > best[0] ? item : best), [0, 0]);
  const suppressed = series.reduce((n, s) => n + s.hidden.filter(Boolean).length, 0);
  const labels = periods.map((p) => periodText(p, answer.granularity));
  const caption = t("stats.chart.trend.label", {
    measure: measure.label,
    region: regionLabel,
    granularity: granularityText(answer.granularity),
    first: labels[0],
    last: labels[labels.length - 1],
    periods: periods.length,
    total: kind === "count" ? numberText(visible.reduce((n, [v]) => n + v, 0), kind) : "—",
    max: numberText(max, kind),
    maxAt: labels[maxAt],
    suppressed: suppressedNote(suppressed),
  });
  const { canvas, node } = figure("stats-trend-chart", caption, caption);
  canvas.dataset.periods = String(periods.length);
  return {
    node,
    draw: () => draw(canvas, { type: "line", labels, series, valueTitle: measure.label, decimals: kind !== "count",
      format: (v) => numberText(v, kind) }),
  };
}

// ---- breakdown: one bar per value of the chosen dimension (one series per year and region) -----------------

function breakdownChart(choice, spec, answer, regionLabel) {
  const kind = measureKind(spec, choice.measure);
  const measure = spec.measures.find((m) => m.name === choice.measure) || spec.measures[0];
  const dimension = spec.dimensions.find((d) => d.name === choice.by);
  const keys = [...new Set(answer.rows.map((r) => `${r.period}|${r.region}`))];
  const multiRegion = new Set(answer.rows.map((r) => r.region)).size > 1;
  const totals = new Map();
  for (const row of answer.rows) {
    const value = row[measure.name];
    totals.set(row[choice.by], Math.max(totals.get(row[choice.by]) ?? -1, value === null ? -1 : value));
  }
  const allValues = [...totals.keys()].sort((a, b) => totals.get(b) - totals.get(a) || a.localeCompare(b));
  const values = allValues.slice(0, TOP_VALUES);
  const series = keys.map((key) => {
    const [period, region] = key.split("|");
    const rows = new Map(answer.rows.filter((r) => r.period === period && r.region === region)
      .map((r) => [r[choice.by], r]));
    const cells = values.map((v) => rows.get(v));
    return {
      label: multiRegion ? `${period} — ${rows.values().next().value?.region_name || region}` : period,
      values: cells.map((row) => (row ? row[measure.name] : kind === "average" ? null : 0)),
      hidden: cells.map((row) => Boolean(row) && row[measure.name] === null),
    };
  });
  const suppressed = series.reduce((n, s) => n + s.hidden.filter(Boolean).length, 0);
  const shown = series[0]?.values.map((v, i) => (v === null ? null : `${values[i]} ${numberText(v, kind)}`))
    .filter(Boolean).slice(0, 5).join(", ");
  const caption = t("stats.chart.breakdown.label", {
    measure: measure.label,
    dimension: lowerFirst(dimension?.label || choice.by),
    region: regionLabel,
    span: keys.length ? [...new Set(keys.map((k) => k.split("|")[0]))].join(", ") : "",
    summary: (shown || t("stats.chart.none")) + (allValues.length > TOP_VALUES
      ? ` ${t("stats.chart.top", { shown: TOP_VALUES, count: allValues.length })}` : "."),
    suppressed: suppressedNote(suppressed),
  });
  const height = Math.max(180, values.length * Math.max(1, series.length) * 26 + 70);
  const { canvas, node } = figure("stats-breakdown-chart", caption, caption, height);
  return {
    node,
    draw: () => draw(canvas, { type: "bar", horizontal: true, labels: values, series, valueTitle: measure.label,
      decimals: kind !== "count", format: (v) => numberText(v, kind) }),
  };
}

// ---- the table: the accessible equivalent of the charts, suppressed cells marked ---------------------------

function dataTable(spec, answer, regionLabel) {
  const numeric = new Set([...spec.measures.map((m) => m.name), "share"]);
  // codes are in the CSV; the region's name is in the caption when there is only one region
  const oneRegion = (answer.regions || []).length <= 1;
  const columns = answer.columns.filter((c) => !c.name.endsWith("_code") && c.name !== "region"
    && !(oneRegion && c.name === "region_name"));
  const primary = spec.measures.find((m) => m.kind === "count")?.name;
  const cell = (row, column) => {
    const value = row[column.name];
    if (column.name === "period") return h("td", { class: "period" }, periodText(value, answer.granularity));
    if (!numeric.has(column.name)) return h("td", {}, value ?? "");
    const hidden = value === null && (column.name !== "share" || row[primary] === null);
    if (hidden) {
      return h("td", { class: "number suppressed", dataset: { suppressed: "true" } },
        h("span", { "aria-hidden": "true" }, "x"), h("span", { class: "visually-hidden" }, t("stats.suppressed.cell")));
    }
    return h("td", { class: "number" }, value === null ? "—" : numberText(value, measureKind(spec, column.name)));
  };
  return h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-labelledby": "stats-table-caption" },
    h("table", { id: "stats-table-data" },
      h("caption", { id: "stats-table-caption" },
        t("stats.table.caption", { table: answer.title, region: regionLabel, from: answer.from, to: answer.to })),
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", class: numeric.has(c.name) ? "number" : null }, c.label)))),
      h("tbody", {}, answer.rows.map((row) => h("tr", {}, columns.map((c) => cell(row, c)))))));
}

function filenameFrom(disposition) {
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition || "");
  return match ? decodeURIComponent(match[1]) : null;
}

function csvSection(choice, answer, setSep) {
  const sep = h("select", { id: "stats-sep", name: "sep" },
    h("option", { value: ";", selected: choice.sep !== "," }, t("stats.csv.sep.semicolon")),
    h("option", { value: ",", selected: choice.sep === "," }, t("stats.csv.sep.comma")));
  const status = h("p", { id: "stats-csv-status", role: "status", "aria-live": "polite" });
  const problem = h("div", { id: "stats-csv-problem" });
  const button = h("button", { type: "button", class: "button", id: "stats-csv-button" }, t("stats.csv.download"));
  sep.addEventListener("change", () => {
    setSep(sep.value);
    const url = new URL(location.href);
    url.searchParams.set("sep", sep.value);
    history.replaceState(null, "", url);
  });
  const download = async () => {
    problem.replaceChildren();
    status.textContent = t("stats.csv.preparing");
    button.disabled = true;
    try {
      const response = await api(`/stats/${encodeURIComponent(choice.table)}?group_by=${encodeURIComponent(choice.by)}`, {
        query: { region: choice.region, from: choice.from, to: choice.to, granularity: choice.granularity,
          format: "csv", sep: sep.value, lang: state.lang },
        headers: { Accept: "text/csv" },
        as: "response",
      });
      const blob = await response.blob();
      const name = filenameFrom(response.headers.get("Content-Disposition"))
        || t("stats.csv.default_name", { table: choice.table, from: answer.from, to: answer.to });
      if (csvUrl) URL.revokeObjectURL(csvUrl);
      csvUrl = URL.createObjectURL(blob);
      const link = h("a", { href: csvUrl, download: name, id: "stats-csv-link" }, name);
      status.replaceChildren(t("stats.csv.ready", { name: "" }), link);
      link.click();
    } catch (error) {
      status.textContent = "";
      showProblem(problem, error, download);
    } finally {
      button.disabled = false;
    }
  };
  button.addEventListener("click", download);
  return h("section", { class: "card stats-csv", "aria-labelledby": "stats-csv-title" },
    h("h2", { id: "stats-csv-title" }, t("stats.csv.title")),
    h("div", { class: "stats-csv-row" },
      h("div", { class: "field" }, h("label", { for: "stats-sep" }, t("stats.csv.sep")), sep), button),
    h("p", { class: "hint" }, t("stats.csv.hint")), status, problem);
}

// ---- all of it ----------------------------------------------------------------------------------------------

/** Replaces ui.results with the answer; the charts are drawn once their canvases are in the page. */
export async function renderResults({ choice, spec, table, trend, breakdown, regionLabel, ui }) {
  const summary = h("p", { class: "stats-summary" }, t("stats.summary", {
    table: table.title, region: regionLabel, from: table.from, to: table.to,
    granularity: granularityText(table.granularity),
  }));
  if (!table.rows.length) {
    ui.results.replaceChildren(summary, h("p", { class: "notice", id: "stats-empty" }, t("stats.empty")));
    ui.status.textContent = t("stats.empty");
    ui.results.dataset.ready = "empty";
    return;
  }
  const legend = h("div", { class: "notice stats-legend", id: "stats-legend" },
    h("p", {}, h("span", { class: "hatch-swatch", "aria-hidden": "true" }, "x"), " ",
      h("strong", {}, t("stats.suppressed.legend.title")), t("stats.colon"),
      t("stats.suppressed.legend", { threshold: table.suppression?.threshold ?? 5 })));
  const trendPart = trendChart(choice, spec, trend, regionLabel);
  const dimension = spec.dimensions.find((d) => d.name === choice.by);
  const breakdownPart = breakdown ? breakdownChart(choice, spec, breakdown, regionLabel) : null;
  ui.results.replaceChildren(
    summary,
    legend,
    h("div", { class: "stats-charts" },
      h("section", { class: "stats-chart", "aria-labelledby": "stats-trend-title" },
        h("h2", { id: "stats-trend-title" }, t("stats.trend.title")), trendPart.node),
      h("section", { class: "stats-chart", "aria-labelledby": "stats-breakdown-title" },
        h("h2", { id: "stats-breakdown-title" },
          dimension ? t("stats.breakdown.title", { dimension: lowerFirst(dimension.label) }) : t("stats.breakdown.title", { dimension: "—" })),
        breakdownPart ? breakdownPart.node : h("p", { class: "muted" }, t("stats.breakdown.none")))),
    h("section", { class: "stats-table", "aria-labelledby": "stats-table-title" },
      h("h2", { id: "stats-table-title" }, t("stats.table.title")),
      h("p", { class: "hint", id: "stats-row-count" }, t("stats.table.rows", { count: table.rows.length })),
      dataTable(spec, table, regionLabel)),
    csvSection(choice, table, ui.setSep),
  );
  await Promise.all([trendPart.draw(), breakdownPart?.draw()]);
  ui.status.textContent = `${summary.textContent} ${t("stats.table.rows", { count: table.rows.length })}`;
  ui.results.dataset.ready = "true";
}
