// Analyst dashboard (issue #7): sign in (analyst or platform-admin), pick a table, a region and a period, read
// the trend and the breakdown as charts (Chart.js, see stats-charts.js), the table beneath with suppressed cells
// marked, and download the CSV the API writes (fetched with the token, saved through an <a download>).
//
// The form's state lives in the URL (?table=&region=&from=&to=&granularity=&by=&measure=&sep=), so the language
// switch, a bookmark or a shared link show the same data. The API is the authority on what the analyst may read:
// a region typed into the URL that is outside the analyst's scope is asked for, and its 403 is shown.

import {
  ApiError, api, boot, h, otherLanguageUrl, requireSignIn, showProblem, signedInBar, state, t,
} from "./core.js";
import { destroyCharts } from "./stats-charts.js";
import { renderResults } from "./stats-results.js";

const STRINGS = {
  fr: {
    "stats.title": "Tableau de bord d'analyse",
    "stats.intro": "Statistiques anonymisées des demandes, besoins et références, par région et par période.",
    "stats.form.title": "Choisir les données",
    "stats.form.table": "Tableau",
    "stats.form.region": "Région",
    "stats.form.region.unknown": "Région non précisée (00)",
    "stats.form.from": "Du",
    "stats.form.to": "Au",
    "stats.form.period": "Période",
    "stats.form.granularity": "Regrouper par",
    "stats.granularity.day": "Jour",
    "stats.granularity.week": "Semaine",
    "stats.granularity.month": "Mois",
    "stats.granularity.year": "Année",
    "stats.form.by": "Répartition selon",
    "stats.form.by.none": "Aucune (totaux seulement)",
    "stats.form.measure": "Mesure illustrée",
    "stats.form.submit": "Afficher",
    "stats.form.bad_period": "La date de début doit précéder la date de fin.",
    "stats.form.dates.hint": "Format AAAA-MM-JJ. Sans date de début : le 1er janvier de l'année de fin.",
    "stats.loading": "Chargement des statistiques…",
    "stats.summary": "{table} — {region}, du {from} au {to}, par {granularity}.",
    "stats.empty": "Aucune donnée pour cette période dans cette région. Essayez une période plus longue ou un autre tableau.",
    "stats.trend.title": "Évolution dans le temps",
    "stats.breakdown.title": "Répartition selon : {dimension}",
    "stats.breakdown.none": "Choisissez une répartition pour voir ce graphique.",
    "stats.chart.trend.label": "Graphique linéaire : {measure}, {region}, par {granularity}, de {first} à {last}. {periods} périodes; total visible {total}; maximum {max} ({maxAt}).{suppressed}",
    "stats.chart.breakdown.label": "Graphique à barres : {measure} selon {dimension}, {region}, {span}. {summary}{suppressed}",
    "stats.chart.suppressed": " {count} valeur(s) supprimée(s), marquée(s) d'une bande hachurée « x ».",
    "stats.chart.none": "Aucune valeur visible",
    "stats.chart.top": "({shown} plus grandes valeurs sur {count}.)",
    "stats.chart.unavailable": "Le graphique n'a pas pu être affiché; le tableau ci-dessous donne les mêmes données.",
    "stats.chart.details": "Les données exactes sont dans le tableau ci-dessous.",
    "stats.table.title": "Tableau des données",
    "stats.table.caption": "{table} — {region}, du {from} au {to}",
    "stats.table.rows": "{count} ligne(s).",
    "stats.suppressed.legend.title": "Cellules supprimées",
    "stats.suppressed.legend": "une valeur marquée x est supprimée pour protéger la confidentialité : effectif de moins de {threshold} (petit nombre), ou valeur qui permettrait de le déduire. Dans les graphiques, une bande hachurée marque ces valeurs; elles ne valent pas zéro.",
    "stats.suppressed.cell": "supprimée",
    "stats.csv.title": "Télécharger le CSV",
    "stats.csv.sep": "Séparateur",
    "stats.csv.sep.semicolon": "Point-virgule ( ; ), pour Excel en français",
    "stats.csv.sep.comma": "Virgule ( , )",
    "stats.csv.download": "Télécharger le CSV",
    "stats.csv.preparing": "Préparation du fichier…",
    "stats.csv.ready": "Fichier prêt : {name}",
    "stats.csv.hint": "Le fichier reprend le tableau (en-têtes en français, « x » pour les valeurs supprimées).",
    "stats.csv.default_name": "statistiques_{table}_{from}_{to}.csv",
    "stats.colon": " : ",
  },
  en: {
    "stats.title": "Analyst dashboard",
    "stats.intro": "Anonymised statistics of requests, needs and referrals, by region and period.",
    "stats.form.title": "Choose the data",
    "stats.form.table": "Table",
    "stats.form.region": "Region",
    "stats.form.region.unknown": "Region not given (00)",
    "stats.form.from": "From",
    "stats.form.to": "To",
    "stats.form.period": "Period",
    "stats.form.granularity": "Group by",
    "stats.granularity.day": "Day",
    "stats.granularity.week": "Week",
    "stats.granularity.month": "Month",
    "stats.granularity.year": "Year",
    "stats.form.by": "Break down by",
    "stats.form.by.none": "None (totals only)",
    "stats.form.measure": "Measure charted",
    "stats.form.submit": "Show",
    "stats.form.bad_period": "The start date must come before the end date.",
    "stats.form.dates.hint": "Format YYYY-MM-DD. Without a start date: January 1 of the end date's year.",
    "stats.loading": "Loading the statistics…",
    "stats.summary": "{table} — {region}, from {from} to {to}, by {granularity}.",
    "stats.empty": "No data for this period in this region. Try a longer period or another table.",
    "stats.trend.title": "Trend over time",
    "stats.breakdown.title": "Breakdown by {dimension}",
    "stats.breakdown.none": "Choose a breakdown to see this chart.",
    "stats.chart.trend.label": "Line chart: {measure}, {region}, by {granularity}, from {first} to {last}. {periods} periods; visible total {total}; highest {max} ({maxAt}).{suppressed}",
    "stats.chart.breakdown.label": "Bar chart: {measure} by {dimension}, {region}, {span}. {summary}{suppressed}",
    "stats.chart.suppressed": " {count} suppressed value(s), marked with a hatched band \"x\".",
    "stats.chart.none": "No visible value",
    "stats.chart.top": "({shown} largest values of {count}.)",
    "stats.chart.unavailable": "The chart could not be drawn; the table below holds the same data.",
    "stats.chart.details": "The exact figures are in the table below.",
    "stats.table.title": "Data table",
    "stats.table.caption": "{table} — {region}, from {from} to {to}",
    "stats.table.rows": "{count} row(s).",
    "stats.suppressed.legend.title": "Suppressed cells",
    "stats.suppressed.legend": "a value marked x is suppressed to protect confidentiality: a count under {threshold} (small number), or a value that would reveal one. In the charts a hatched band marks these values; they are not zero.",
    "stats.suppressed.cell": "suppressed",
    "stats.csv.title": "Download the CSV",
    "stats.csv.sep": "Separator",
    "stats.csv.sep.semicolon": "Semicolon ( ; ), for Excel in French",
    "stats.csv.sep.comma": "Comma ( , )",
    "stats.csv.download": "Download the CSV",
    "stats.csv.preparing": "Preparing the file…",
    "stats.csv.ready": "File ready: {name}",
    "stats.csv.hint": "The file holds the table (headers in English, \"x\" for suppressed values).",
    "stats.csv.default_name": "statistics_{table}_{from}_{to}.csv",
    "stats.colon": ": ",
  },
};

const app = document.getElementById("app");
const FIELDS = ["table", "region", "from", "to", "granularity", "by", "measure", "sep"];
let catalogue = null; // GET /stats
let me = null; // GET /me
let regionNames = {};
let runs = 0; // the answers of a superseded request are dropped

// ---- state: the URL holds the choice ------------------------------------------------------------------------

function today() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "America/Montreal" }).format(new Date());
}

function readUrl() {
  const query = new URLSearchParams(location.search);
  return Object.fromEntries(FIELDS.filter((f) => query.has(f)).map((f) => [f, query.get(f)]));
}

function writeUrl(choice) {
  const url = new URL(location.href);
  for (const field of FIELDS) {
    if (choice[field] === undefined || choice[field] === null) url.searchParams.delete(field);
    else url.searchParams.set(field, choice[field]);
  }
  history.replaceState(null, "", url);
  for (const link of document.querySelectorAll("[data-lang-switch]")) link.href = otherLanguageUrl();
}

function tableSpec(name) {
  return catalogue.tables.find((table) => table.name === name) || catalogue.tables[0];
}

const dimensionsOf = (spec) => spec.dimensions.filter((d) => d.name !== "period" && d.name !== "region");
const measuresOf = (spec) => spec.measures.filter((m) => m.kind !== "share");

/** The choice the page starts from: the URL's values, else sensible defaults (a region typed in is kept). */
function initialChoice() {
  const asked = readUrl();
  const spec = tableSpec(asked.table);
  const regions = catalogue.your_regions || [];
  const end = asked.to ?? today();
  const dims = dimensionsOf(spec);
  return {
    table: spec.name,
    region: asked.region || regions.find((r) => r !== "00") || regions[0] || "",
    from: asked.from ?? `${end.slice(0, 4)}-01-01`,
    to: end,
    granularity: asked.granularity || (spec.granularities.includes("month") ? "month" : spec.granularities[0]),
    by: asked.by ?? (dims.find((d) => d.name === "category") || dims[0] || { name: "" }).name,
    measure: asked.measure || measuresOf(spec)[0].name,
    sep: asked.sep === "," ? "," : ";",
  };
}

function regionName(code) {
  if (code === "00") return t("stats.form.region.unknown");
  return regionNames[code] ? `${regionNames[code]} (${code})` : code;
}

// ---- start: sign in, read the catalogue -----------------------------------------------------------------

async function start() {
  app.setAttribute("aria-busy", "true");
  try {
    me = await requireSignIn(app, ["analyst", "platform-admin"]);
    app.replaceChildren(h("p", { class: "muted" }, t("loading")));
    const [tables, regions] = await Promise.all([
      api("/stats"),
      api("/regions", { auth: false }).catch(() => null), // names only: codes will do without them
    ]);
    catalogue = tables;
    regionNames = Object.fromEntries((regions?.regions || []).map((r) => [r.code, r.name]));
  } catch (error) {
    app.removeAttribute("aria-busy");
    showProblem(app, error, start);
    return;
  }
  app.removeAttribute("aria-busy");
  renderPage(initialChoice());
}

function field(id, label, control, hint) {
  return h("div", { class: "field" }, h("label", { for: id }, label), control,
    hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null);
}

function options(select, items, selected) {
  select.replaceChildren(...items.map(([value, label]) => h("option", { value, selected: value === selected }, label)));
  if (!items.some(([value]) => value === selected) && items.length) select.value = items[0][0];
}

function renderPage(choice) {
  const controls = {
    table: h("select", { id: "stats-table", name: "table", "aria-describedby": "stats-table-hint" }),
    region: h("select", { id: "stats-region", name: "region" }),
    from: h("input", { id: "stats-from", name: "from", type: "date", value: choice.from, "aria-describedby": "stats-dates-hint" }),
    to: h("input", { id: "stats-to", name: "to", type: "date", value: choice.to, "aria-describedby": "stats-dates-hint" }),
    granularity: h("select", { id: "stats-granularity", name: "granularity" }),
    by: h("select", { id: "stats-by", name: "by" }),
    measure: h("select", { id: "stats-measure", name: "measure" }),
  };
  const description = h("p", { class: "hint", id: "stats-table-hint" });
  options(controls.table, catalogue.tables.map((table) => [table.name, table.title]), choice.table);
  options(controls.region, (catalogue.your_regions || []).map((code) => [code, regionName(code)]), choice.region);

  const fillForTable = (wanted) => {
    const spec = tableSpec(controls.table.value);
    description.textContent = spec.description;
    options(controls.granularity, spec.granularities.map((g) => [g, t(`stats.granularity.${g}`)]),
      wanted.granularity);
    options(controls.by, [...dimensionsOf(spec).map((d) => [d.name, d.label]), ["", t("stats.form.by.none")]],
      wanted.by);
    options(controls.measure, measuresOf(spec).map((m) => [m.name, m.label]), wanted.measure);
  };
  fillForTable(choice);
  controls.table.addEventListener("change", () => fillForTable({
    granularity: controls.granularity.value, by: controls.by.value, measure: controls.measure.value,
  }));

  const problem = h("div", { id: "stats-form-problem" });
  const status = h("p", { id: "stats-status", class: "visually-hidden", role: "status", "aria-live": "polite" });
  const results = h("div", { id: "stats-results", class: "stats-results" });
  let sep = choice.sep;
  const form = h(
    "form",
    {
      class: "card stats-form",
      "aria-labelledby": "stats-form-title",
      novalidate: true,
      onsubmit: (event) => {
        event.preventDefault();
        const picked = Object.fromEntries(Object.entries(controls).map(([name, control]) => [name, control.value]));
        run({ ...picked, sep }, { problem, status, results, setSep: (value) => { sep = value; } });
      },
    },
    h("h2", { id: "stats-form-title" }, t("stats.form.title")),
    h("div", { class: "stats-fields" },
      h("div", { class: "field wide" }, h("label", { for: "stats-table" }, t("stats.form.table")), controls.table,
        description),
      field("stats-region", t("stats.form.region"), controls.region),
      field("stats-from", t("stats.form.from"), controls.from),
      field("stats-to", t("stats.form.to"), controls.to),
      field("stats-granularity", t("stats.form.granularity"), controls.granularity),
      field("stats-by", t("stats.form.by"), controls.by),
      field("stats-measure", t("stats.form.measure"), controls.measure),
    ),
    h("p", { class: "hint", id: "stats-dates-hint" }, t("stats.form.dates.hint")),
    h("button", { type: "submit", class: "button primary" }, t("stats.form.submit")),
    problem,
  );
  app.replaceChildren(signedInBar(me, start), h("p", { class: "stats-intro" }, t("stats.intro")), form, status, results);
  // the first answer comes with the page: the URL's choice as asked (the API says what is out of scope)
  run(choice, { problem, status, results, setSep: (value) => { sep = value; } });
}

// ---- one answer: three reads of the same table (the table, its trend, its breakdown) ----------------------

function formProblem(container, error, retry) {
  showProblem(container, error, retry);
  // 400s name the parameter and the reason (pydantic's words) rather than a message: show them too
  const reasons = (error instanceof ApiError ? error.details : [])
    .filter((d) => d && !d.message && (d.reason || d.reason_fr));
  if (reasons.length) {
    container.querySelector(".problem > p")?.after(h("ul", {}, reasons.map((d) => h("li", {},
      [d.parameter, (state.lang === "fr" && d.reason_fr) || d.reason].filter(Boolean).join(t("stats.colon"))))));
  }
}

async function run(choice, ui) {
  const current = ++runs;
  ui.setSep(choice.sep);
  ui.problem.replaceChildren();
  if (choice.from && choice.to && choice.from > choice.to) {
    ui.problem.replaceChildren(h("p", { class: "problem", role: "alert" }, t("stats.form.bad_period")));
    return;
  }
  writeUrl(choice);
  destroyCharts();
  ui.results.setAttribute("aria-busy", "true");
  ui.status.textContent = t("stats.loading");
  ui.results.replaceChildren(h("p", { class: "muted" }, t("stats.loading")));
  const base = { region: choice.region, from: choice.from, to: choice.to, granularity: choice.granularity };
  // group_by= (empty) sums every dimension: the path carries it, as api() leaves empty values out
  const read = (by, query) => api(`/stats/${encodeURIComponent(choice.table)}?group_by=${encodeURIComponent(by)}`,
    { query });
  try {
    const [table, trend, breakdown] = await Promise.all([
      read(choice.by, base),
      choice.by ? read("", base) : null,
      choice.by && choice.granularity !== "year" ? read(choice.by, { ...base, granularity: "year" }) : null,
    ]);
    if (current !== runs) return;
    await renderResults({
      choice,
      spec: tableSpec(choice.table),
      table,
      trend: trend || table,
      breakdown: choice.by ? breakdown || table : null,
      regionLabel: (table.regions || [choice.region]).map(regionName).join(", "),
      ui,
    });
  } catch (error) {
    if (current !== runs) return;
    ui.results.replaceChildren();
    ui.status.textContent = "";
    formProblem(ui.problem, error, () => run(choice, ui));
  } finally {
    if (current === runs) ui.results.removeAttribute("aria-busy");
  }
}

boot(STRINGS).then(start);
