// The public directory: search box, filters, results (distance, hours, phones), notices and suggestions, the map,
// and whether the 211 line and chat are open. The search state lives in the URL query string, so back/forward,
// a shared link and the language switch all keep it.

import { ApiError, api, boot, formatNumber, h, showProblem, state, t } from "./core.js";
import {
  STRINGS as LISTING, addressText, drawMap, hoursBadge, linePanel, loadRegions, phoneLink, physicalAddress,
  formatDistance, reasonText, wideScreen,
} from "./listing.js";

const PAGE = {
  fr: {
    "directory.title": "Trouver de l'aide",
    "directory.intro": "Des services d'aide gratuits ou à faible coût près de chez vous, partout au Québec.",
    "form.label": "Recherche",
    "search.label": "De quoi avez-vous besoin ?",
    "search.hint": "Par exemple : banque alimentaire, hébergement, aide aux devoirs, Alma.",
    "search.submit": "Rechercher",
    "filters.title": "Filtres",
    "filters.title.active": "Filtres ({count} actifs)",
    "filters.title.active.1": "Filtres (1 actif)",
    "where.legend": "Où",
    "region.label": "Région",
    "region.all": "Tout le Québec",
    "postcode.label": "Code postal",
    "postcode.hint": "Par exemple G8B 1L9 ou G8B.",
    "postcode.invalid": "Entrez un code postal du Québec : il commence par G, H ou J, par exemple G8B 1L9 ou G8B.",
    "near.button": "Près de moi",
    "near.active": "Près de votre position",
    "near.clear": "Oublier ma position",
    "near.denied": "Votre position n'est pas disponible. Entrez plutôt votre code postal.",
    "near.locating": "Recherche de votre position…",
    "category.label": "Catégorie",
    "category.all": "Toutes les catégories",
    "options.legend": "Options",
    "open_now.label": "Ouvert maintenant",
    "free.label": "Gratuit",
    "language.label": "Langue parlée",
    "language.any": "Toutes les langues",
    "age.label": "Âge de la personne",
    "age.invalid": "Entrez un âge entre 0 et 130.",
    "sort.label": "Trier par",
    "sort.relevance": "Pertinence",
    "sort.distance": "Distance",
    "sort.name": "Nom",
    "filters.apply": "Appliquer les filtres",
    "filters.reset": "Tout effacer",
    "results.title": "Résultats",
    "results.count.0": "Aucun résultat",
    "results.count.0.where": "Aucun résultat : {where}",
    "near.where": "près de vous",
    "results.count.1": "1 résultat",
    "results.count.n": "{count} résultats",
    "results.searching": "Recherche en cours…",
    "results.page": "Page {page} sur {pages}",
    "results.previous": "Résultats précédents",
    "results.next": "Résultats suivants",
    "results.nav": "Pages de résultats",
    "results.empty": "Aucun service ne correspond à cette recherche.",
    "results.empty.help": "Essayez d'autres mots, retirez un filtre, ou composez le 211 : une personne vous aidera à trouver.",
    "results.start": "Écrivez ce dont vous avez besoin, ou choisissez une catégorie.",
    "browse.title": "Parcourir par catégorie",
    "suggest.title": "Suggestions",
    "suggest.area": "{name} : {count} résultats",
    "suggest.area.one": "{name} : 1 résultat",
    "suggest.area.distance": " (à {distance} km)",
    "suggest.category": "{name} : {count} résultats",
    "suggest.category.one": "{name} : 1 résultat",
    "suggest.query": "Chercher « {search} » ({count} résultats)",
    "result.organization": "Organisme : {name}",
    "result.free": "Gratuit",
    "result.temporarily_closed": "Temporairement fermé",
    "result.details": "Voir la fiche",
  },
  en: {
    "directory.title": "Find help",
    "directory.intro": "Free or low-cost help services near you, everywhere in Québec.",
    "form.label": "Search",
    "search.label": "What do you need?",
    "search.hint": "For example: food bank, shelter, homework help, Alma.",
    "search.submit": "Search",
    "filters.title": "Filters",
    "filters.title.active": "Filters ({count} active)",
    "filters.title.active.1": "Filters (1 active)",
    "where.legend": "Where",
    "region.label": "Region",
    "region.all": "All of Québec",
    "postcode.label": "Postal code",
    "postcode.hint": "For example G8B 1L9 or G8B.",
    "postcode.invalid": "Enter a Québec postal code: it starts with G, H or J, for example G8B 1L9 or G8B.",
    "near.button": "Near me",
    "near.active": "Near your location",
    "near.clear": "Forget my location",
    "near.denied": "Your location is not available. Enter your postal code instead.",
    "near.locating": "Finding your location…",
    "category.label": "Category",
    "category.all": "All categories",
    "options.legend": "Options",
    "open_now.label": "Open now",
    "free.label": "Free",
    "language.label": "Language spoken",
    "language.any": "Any language",
    "age.label": "Age of the person",
    "age.invalid": "Enter an age between 0 and 130.",
    "sort.label": "Sort by",
    "sort.relevance": "Relevance",
    "sort.distance": "Distance",
    "sort.name": "Name",
    "filters.apply": "Apply the filters",
    "filters.reset": "Clear all",
    "results.title": "Results",
    "results.count.0": "No results",
    "results.count.0.where": "No results: {where}",
    "near.where": "near you",
    "results.count.1": "1 result",
    "results.count.n": "{count} results",
    "results.searching": "Searching…",
    "results.page": "Page {page} of {pages}",
    "results.previous": "Previous results",
    "results.next": "Next results",
    "results.nav": "Result pages",
    "results.empty": "No service matches this search.",
    "results.empty.help": "Try other words, remove a filter, or dial 211: someone will help you find.",
    "results.start": "Type what you need, or choose a category.",
    "browse.title": "Browse by category",
    "suggest.title": "Suggestions",
    "suggest.area": "{name}: {count} results",
    "suggest.area.one": "{name}: 1 result",
    "suggest.area.distance": " ({distance} km away)",
    "suggest.category": "{name}: {count} results",
    "suggest.category.one": "{name}: 1 result",
    "suggest.query": "Search “{search}” ({count} results)",
    "result.organization": "Organisation: {name}",
    "result.free": "Free",
    "result.temporarily_closed": "Temporarily closed",
    "result.details": "See the details",
  },
};

const STRINGS = { fr: { ...LISTING.fr, ...PAGE.fr }, en: { ...LISTING.en, ...PAGE.en } };

// The URL's query string holds the search: the API's own parameter names.
const FIELDS = ["search", "region", "postcode", "lat", "lng", "taxonomy_term_id", "open_now", "free", "language",
  "age", "sort", "page"];
const PER_PAGE = 10;
const POSTCODE = /^[GHJ]\d[A-Z](\s*\d[A-Z]\d)?$/i;
const LANGUAGES = ["fr", "en", "es", "ar", "zh", "ht", "pt", "fa", "vi", "ru", "uk", "it", "fsl", "asl"];
const LANGUAGE_NAMES = {
  fr: { fr: "français", en: "anglais", es: "espagnol", ar: "arabe", zh: "chinois", ht: "créole haïtien",
    pt: "portugais", fa: "persan", vi: "vietnamien", ru: "russe", uk: "ukrainien", it: "italien",
    fsl: "langue des signes québécoise (LSQ)", asl: "langue des signes américaine (ASL)" },
  en: { fr: "French", en: "English", es: "Spanish", ar: "Arabic", zh: "Chinese", ht: "Haitian Creole",
    pt: "Portuguese", fa: "Persian", vi: "Vietnamese", ru: "Russian", uk: "Ukrainian", it: "Italian",
    fsl: "Quebec Sign Language (LSQ)", asl: "American Sign Language (ASL)" },
};
const REGION_NAMES = {
  "01": "Bas-Saint-Laurent", "02": "Saguenay–Lac-Saint-Jean", "03": "Capitale-Nationale", "04": "Mauricie",
  "05": "Estrie", "06": "Montréal", "07": "Outaouais", "08": "Abitibi-Témiscamingue", "09": "Côte-Nord",
  "10": "Nord-du-Québec", "11": "Gaspésie–Îles-de-la-Madeleine", "12": "Chaudière-Appalaches", "13": "Laval",
  "14": "Lanaudière", "15": "Laurentides", "16": "Montérégie", "17": "Centre-du-Québec",
};

const ui = {};
let categories = [];
const regionNames = { ...REGION_NAMES };
let current = null; // the last answer: {query, page}
let mapOpen = false;
let mapAsked = false;
let searchRun = 0;

// ---- the URL ----------------------------------------------------------------------------------------------------

function readQuery() {
  const params = new URLSearchParams(location.search);
  const query = {};
  for (const name of FIELDS) {
    const value = params.get(name);
    if (value !== null && value.trim() !== "") query[name] = value.trim();
  }
  return query;
}

function hrefFor(query) {
  const params = new URLSearchParams();
  for (const name of FIELDS) if (query[name] != null && query[name] !== "") params.set(name, query[name]);
  params.set("lang", state.lang);
  return `${location.pathname}?${params}`;
}

function hasQuery(query) {
  return FIELDS.some((name) => name !== "page" && name !== "sort" && query[name]);
}

function navigate(query, { replace = false } = {}) {
  const href = hrefFor(query);
  if (replace) history.replaceState(null, "", href);
  else history.pushState(null, "", href);
  refreshLanguageLink();
  run(query);
}

function refreshLanguageLink() {
  for (const link of document.querySelectorAll("[data-lang-switch]")) {
    const url = new URL(location.href);
    url.searchParams.set("lang", state.lang === "fr" ? "en" : "fr");
    link.href = url.pathname + url.search;
  }
}

// ---- the form ---------------------------------------------------------------------------------------------------

function field(id, labelKey, control, hintKey) {
  return h("div", { class: "field", id: `${id}-field` },
    h("label", { for: id }, t(labelKey)),
    hintKey ? h("p", { class: "hint", id: `${id}-hint` }, t(hintKey)) : null,
    h("p", { class: "field-error", id: `${id}-error`, hidden: true }),
    control);
}

function select(id, name, options, anyLabel) {
  return h("select", { id, name },
    h("option", { value: "" }, anyLabel),
    options.map(([value, label]) => h("option", { value }, label)));
}

function buildForm(regionNames) {
  ui.search = h("input", { type: "search", id: "search", name: "search", autocomplete: "off", enterkeyhint: "search",
    "aria-describedby": "search-hint" });
  ui.region = select("region", "region", Object.entries(regionNames), t("region.all"));
  ui.postcode = h("input", { type: "text", id: "postcode", name: "postcode", autocomplete: "postal-code",
    inputmode: "text", maxlength: 7, "aria-describedby": "postcode-hint postcode-error", size: 8 });
  ui.category = select("taxonomy_term_id", "taxonomy_term_id",
    categories.map((term) => [term.id, term.name]), t("category.all"));
  ui.openNow = h("input", { type: "checkbox", id: "open_now", name: "open_now", value: "true" });
  ui.free = h("input", { type: "checkbox", id: "free", name: "free", value: "true" });
  ui.language = select("language", "language",
    LANGUAGES.map((code) => [code, LANGUAGE_NAMES[state.lang][code]]), t("language.any"));
  ui.age = h("input", { type: "number", id: "age", name: "age", min: 0, max: 130, inputmode: "numeric",
    "aria-describedby": "age-error" });
  ui.sort = h("select", { id: "sort", name: "sort" },
    ["relevance", "distance", "name"].map((value) => h("option", { value }, t(`sort.${value}`))));
  ui.near = h("button", { type: "button", class: "button", id: "near-me", onclick: locate }, t("near.button"));
  ui.nearStatus = h("p", { class: "hint near-status", id: "near-status", "aria-live": "polite" });

  ui.form = h("form", { class: "search-form", role: "search", "aria-label": t("form.label"), novalidate: true,
    onsubmit: submit },
  h("div", { class: "search-box" },
    field("search", "search.label", h("div", { class: "search-row" }, ui.search,
      h("button", { type: "submit", class: "button primary" }, t("search.submit"))), "search.hint")),
  ui.filters = h("details", { class: "filters", open: wideScreen() || undefined },
    ui.filtersSummary = h("summary", {}, t("filters.title")),
    h("div", { class: "filter-grid" },
      h("fieldset", {}, h("legend", {}, t("where.legend")),
        field("region", "region.label", ui.region),
        field("postcode", "postcode.label", ui.postcode, "postcode.hint"),
        h("div", { class: "near" }, ui.near, ui.nearStatus)),
      h("fieldset", {}, h("legend", {}, t("options.legend")),
        field("taxonomy_term_id", "category.label", ui.category),
        h("label", { class: "check", for: "open_now" }, ui.openNow, t("open_now.label")),
        h("label", { class: "check", for: "free" }, ui.free, t("free.label")),
        field("language", "language.label", ui.language),
        field("age", "age.label", ui.age),
        field("sort", "sort.label", ui.sort)),
    ),
    h("div", { class: "row filter-actions" },
      h("button", { type: "submit", class: "button primary" }, t("filters.apply")),
      h("a", { class: "button", href: hrefFor({}), onclick: (event) => { event.preventDefault(); navigate({}); } },
        t("filters.reset"))),
  ));
  return ui.form;
}

function fillForm(query) {
  ui.search.value = query.search || "";
  ui.region.value = query.region && REGION_NAMES[query.region] ? query.region : "";
  ui.postcode.value = query.postcode || "";
  ui.category.value = query.taxonomy_term_id || "";
  ui.openNow.checked = query.open_now === "true";
  ui.free.checked = query.free === "true";
  ui.language.value = LANGUAGES.includes(query.language) ? query.language : "";
  ui.age.value = query.age || "";
  ui.sort.value = query.sort || "relevance";
  ui.coords = query.lat && query.lng ? { lat: query.lat, lng: query.lng } : null;
  showNear();
  clearFieldErrors();
  const active = ["region", "postcode", "lat", "taxonomy_term_id", "open_now", "free", "language", "age"]
    .filter((name) => query[name]).length;
  ui.filtersSummary.textContent = active === 1 ? t("filters.title.active.1")
    : active ? t("filters.title.active", { count: active }) : t("filters.title");
}

function showNear() {
  if (ui.coords) {
    ui.nearStatus.replaceChildren(t("near.active"), " ",
      h("button", { type: "button", class: "button link", onclick: () => { ui.coords = null; showNear(); } },
        t("near.clear")));
  } else if (!ui.nearStatus.dataset.message) {
    ui.nearStatus.replaceChildren();
  }
}

function queryFromForm() {
  const query = {
    search: ui.search.value.trim(),
    region: ui.region.value,
    postcode: ui.postcode.value.trim().toUpperCase().replace(/\s+/g, " "),
    taxonomy_term_id: ui.category.value,
    open_now: ui.openNow.checked ? "true" : "",
    free: ui.free.checked ? "true" : "",
    language: ui.language.value,
    age: ui.age.value.trim(),
    sort: ui.sort.value === "relevance" ? "" : ui.sort.value,
  };
  if (ui.coords) Object.assign(query, ui.coords);
  return query;
}

function clearFieldErrors() {
  for (const node of ui.form.querySelectorAll(".field-error")) { node.hidden = true; node.textContent = ""; }
  for (const node of ui.form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
}

/** Shows `message` under the field named `name`; returns the control, or null when the form has no such field. */
function fieldError(name, message) {
  const control = ui.form.querySelector(`[name="${CSS.escape(name)}"]`);
  const holder = document.getElementById(`${name}-error`);
  if (!control || !holder) return null;
  holder.textContent = message;
  holder.hidden = false;
  control.setAttribute("aria-invalid", "true");
  const described = new Set((control.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean));
  described.add(`${name}-error`);
  control.setAttribute("aria-describedby", [...described].join(" "));
  if (control.closest("details")) control.closest("details").open = true;
  return control;
}

function validate(query) {
  clearFieldErrors();
  let first = null;
  if (query.postcode && !POSTCODE.test(query.postcode)) first = first || fieldError("postcode", t("postcode.invalid"));
  if (query.age && !(/^\d{1,3}$/.test(query.age) && Number(query.age) <= 130)) {
    first = first || fieldError("age", t("age.invalid"));
  }
  if (first) first.focus();
  return !first;
}

function submit(event) {
  event.preventDefault();
  const query = queryFromForm();
  if (!validate(query)) return;
  if (query.postcode) { delete query.lat; delete query.lng; ui.coords = null; }
  if (query.sort === "distance" && !query.postcode && !query.lat) query.sort = ""; // a distance needs a place
  navigate(query);
}

function locate() {
  ui.nearStatus.dataset.message = "1";
  if (!navigator.geolocation) {
    ui.nearStatus.textContent = t("near.denied");
    return;
  }
  ui.nearStatus.textContent = t("near.locating");
  navigator.geolocation.getCurrentPosition(
    (position) => {
      delete ui.nearStatus.dataset.message;
      // Three decimals (about 100 m): enough for distances, and less precise in a shared link.
      ui.coords = { lat: position.coords.latitude.toFixed(3), lng: position.coords.longitude.toFixed(3) };
      const query = { ...queryFromForm(), postcode: "", region: "", sort: ui.sort.value === "name" ? "name" : "distance" };
      ui.postcode.value = "";
      ui.region.value = "";
      showNear();
      navigate(query);
    },
    () => { ui.nearStatus.textContent = t("near.denied"); ui.postcode.focus(); },
    { timeout: 15000, maximumAge: 600000 },
  );
}

// ---- the results ------------------------------------------------------------------------------------------------

function countText(total) {
  if (total === 0) return t("results.count.0");
  if (total === 1) return t("results.count.1");
  return t("results.count.n", { count: formatNumber(total) });
}

function apiQuery(query) {
  return {
    ...query,
    sort: query.sort || (query.lat && !query.search ? "distance" : ""),
    facets: "false",
    full: "true",
    per_page: PER_PAGE,
    lang: state.lang,
  };
}

async function run(query) {
  const mine = ++searchRun;
  fillForm(query);
  if (!hasQuery(query)) {
    ui.status.textContent = "";
    renderStart();
    return;
  }
  ui.status.textContent = t("results.searching");
  ui.results.setAttribute("aria-busy", "true");
  let answer;
  try {
    answer = await api("/service_at_locations", { query: apiQuery(query), auth: false });
  } catch (error) {
    if (mine !== searchRun) return;
    ui.results.removeAttribute("aria-busy");
    showError(error, query);
    return;
  }
  if (mine !== searchRun) return;
  ui.results.removeAttribute("aria-busy");
  current = { query, answer };
  renderResults(query, answer);
}

function showError(error, query) {
  current = null;
  ui.mapBox.hidden = true;
  ui.mapToggle.hidden = true;
  if (error instanceof ApiError && (error.status === 400 || error.status === 422)) {
    let placed = null;
    for (const detail of error.details) {
      if (!detail?.parameter) continue;
      const control = fieldError(detail.parameter === "lat" || detail.parameter === "lng" ? "postcode" : detail.parameter,
        reasonText(detail));
      placed = placed || control;
    }
    ui.status.textContent = error.message;
    if (placed) {
      ui.results.replaceChildren(h("p", { class: "problem" }, error.message));
      placed.focus();
      return;
    }
  } else {
    ui.status.textContent = ""; // the alert below says it
  }
  showProblem(ui.results, error, async () => {
    await loadLookups();
    run(query);
  });
}

/** The categories and region names (once; again after a failure, when a retry finds the API back). */
async function loadLookups() {
  if (categories.length) return;
  const [terms, regions] = await Promise.allSettled([
    api("/taxonomy_terms", { query: { top_only: "true", per_page: 50, lang: state.lang }, auth: false }),
    loadRegions(),
  ]);
  if (terms.status === "fulfilled") categories = terms.value.contents || [];
  if (regions.status === "fulfilled") {
    for (const region of regions.value.regions || []) regionNames[region.code] = region.name;
  }
  if (ui.category && ui.category.options.length <= 1) {
    ui.category.append(...categories.map((term) => h("option", { value: term.id }, term.name)));
  }
  if (ui.region) {
    for (const option of ui.region.options) if (option.value) option.textContent = regionNames[option.value];
  }
  if (ui.line) { delete ui.line.dataset.region; }
}

function renderStart() {
  ui.mapBox.hidden = true;
  ui.mapToggle.hidden = true;
  ui.notices.replaceChildren();
  const links = categories.map((term) =>
    h("li", {}, h("a", { href: hrefFor({ taxonomy_term_id: term.id }), onclick: follow }, term.name)));
  ui.results.replaceChildren(...[
    h("p", {}, t("results.start")),
    links.length ? h("h2", { id: "browse-title" }, t("browse.title")) : null,
    links.length ? h("ul", { class: "browse", "aria-labelledby": "browse-title" }, links) : null,
  ].filter(Boolean));
}

/** Links inside the page (suggestions, pages, categories) move the URL without reloading. */
function follow(event) {
  if (event.ctrlKey || event.metaKey || event.shiftKey || event.button === 1) return;
  event.preventDefault();
  const url = new URL(event.currentTarget.href);
  history.pushState(null, "", url.pathname + url.search);
  refreshLanguageLink();
  run(readQuery());
  ui.heading.focus();
}

function localizedMessage(item) {
  return state.lang === "en" ? item.message_en || item.message : item.message || item.message_en;
}

function noticeBlocks(query, answer) {
  const items = (answer.notices || []).filter((notice) => localizedMessage(notice));
  const suggestions = answer.suggestions || [];
  const blocks = [];
  if (items.length) {
    blocks.push(h("div", { class: "notice" }, items.map((notice) => h("p", {}, localizedMessage(notice)))));
  }
  if (suggestions.length) {
    const links = suggestions.map((suggestion) => {
      let target;
      let text;
      if (suggestion.type === "area") {
        target = { ...query, region: suggestion.region, postcode: "", lat: "", lng: "", page: "" };
        text = (suggestion.count === 1 ? t("suggest.area.one", suggestion) : t("suggest.area", suggestion))
          + (suggestion.distance_m != null
            ? t("suggest.area.distance", { distance: formatNumber(Math.round(suggestion.distance_m / 1000)) }) : "");
      } else if (suggestion.type === "category") {
        target = { ...query, taxonomy_term_id: suggestion.taxonomy_term_id, page: "" };
        text = t(suggestion.count === 1 ? "suggest.category.one" : "suggest.category", suggestion);
      } else if (suggestion.type === "query") {
        target = { ...query, search: suggestion.search, page: "" };
        text = t("suggest.query", suggestion);
      } else {
        return null;
      }
      return h("li", {}, h("a", { href: hrefFor(target), onclick: follow }, text));
    });
    blocks.push(h("div", { class: "notice suggestions" }, h("h2", {}, t("suggest.title")), h("ul", {}, links)));
  }
  return blocks;
}

function resultCard(item, index) {
  const service = item.service || {};
  const location = item.location || {};
  const address = physicalAddress(location);
  const phones = [...(item.phones || []), ...(service.phones || [])];
  const seen = new Set();
  const uniquePhones = phones.filter((p) => p.number && !seen.has(p.number) && seen.add(p.number)).slice(0, 2);
  const schedules = (item.schedules || []).length ? item.schedules : service.schedules || [];
  const free = (service.cost_options || []).some((c) => Number(c.amount || 0) === 0 && /gratuit|free/i.test(c.option || ""))
    || /^(gratuit|free)/i.test(service.fees_description || "");
  const href = `service.html?id=${encodeURIComponent(item.id)}&lang=${state.lang}`;
  const organization = service.organization?.name;
  return h("li", { class: "card result" },
    h("h3", {}, h("a", { href, id: `result-${index}` }, service.name || location.name)),
    organization && organization !== service.name ? h("p", { class: "org" }, organization) : null,
    h("p", { class: "meta" },
      service.status === "temporarily closed" ? h("span", { class: "badge closed" }, t("result.temporarily_closed")) : null,
      hoursBadge(schedules),
      free ? h("span", { class: "badge free" }, t("result.free")) : null),
    address || item.distance_m != null
      ? h("p", { class: "where" },
        address ? addressText(address) : null,
        item.distance_m != null ? h("span", { class: "distance" }, (address ? " · " : ""), formatDistance(item.distance_m)) : null)
      : null,
    service.description ? h("p", { class: "description" }, clip(service.description, 180)) : null,
    uniquePhones.length ? h("p", { class: "phones" }, uniquePhones.map((phone) => phoneLink(phone))) : null,
  );
}

function clip(text, length) {
  return text.length <= length ? text : `${text.slice(0, length).replace(/\s+\S*$/, "")}…`;
}

function renderResults(query, answer) {
  const total = answer.total_items || 0;
  const items = answer.contents || [];
  const where = placeName(query);
  ui.status.textContent = total === 0 && where ? t("results.count.0.where", { where }) : countText(total);
  const blocks = noticeBlocks(query, answer);
  if (!items.length) {
    ui.notices.replaceChildren(h("p", { class: "empty" }, t("results.empty")), ...blocks);
    ui.results.replaceChildren(
      h("p", {}, t("results.empty.help"), " ", h("a", { href: "tel:211" }, t("line.dial"))),
    );
  } else {
    ui.notices.replaceChildren(...blocks);
    const page = answer.page_number || 1;
    const pages = answer.total_pages || 1;
    const start = (page - 1) * PER_PAGE + 1;
    ui.results.replaceChildren(
      ...[h("ol", { class: "results", start }, items.map(resultCard)), pages > 1 ? pager(query, page, pages) : null]
        .filter(Boolean),
    );
  }
  updateMap(items);
  updateLine(query, items, answer);
}

/** Where the search looked, for "No results in …". */
function placeName(query) {
  if (query.postcode) return query.postcode;
  if (query.lat && query.lng) return t("near.where");
  if (query.region && regionNames[query.region]) return regionNames[query.region];
  return "";
}

function pager(query, page, pages) {
  return h("nav", { class: "pager", "aria-label": t("results.nav") },
    page > 1 ? h("a", { class: "button", rel: "prev", href: hrefFor({ ...query, page: page - 1 === 1 ? "" : page - 1 }),
      onclick: follow }, t("results.previous")) : null,
    h("span", {}, t("results.page", { page, pages })),
    page < pages ? h("a", { class: "button", rel: "next", href: hrefFor({ ...query, page: page + 1 }), onclick: follow },
      t("results.next")) : null);
}

// ---- map and the 211 line -------------------------------------------------------------------------------------

function points(items) {
  return items.map((item) => ({
    lat: Number(item.location?.latitude),
    lng: Number(item.location?.longitude),
    title: item.service?.name || item.location?.name || "",
    text: addressText(physicalAddress(item.location)),
    href: `service.html?id=${encodeURIComponent(item.id)}&lang=${state.lang}`,
  })).filter((p) => p.lat && p.lng);
}

let map = null;

function updateMap(items) {
  const located = points(items);
  ui.mapToggle.hidden = !located.length;
  if (!located.length) { closeMap(); return; }
  if (mapAsked ? mapOpen : wideScreen()) openMap(located);
  else closeMap();
}

async function openMap(located = points(current?.answer?.contents || [])) {
  mapOpen = true;
  ui.mapBox.hidden = false;
  ui.mapToggle.setAttribute("aria-expanded", "true");
  ui.mapToggle.textContent = t("map.hide");
  if (map) { map.remove(); map = null; }
  map = await drawMap(ui.map, located);
}

function closeMap() {
  mapOpen = false;
  ui.mapBox.hidden = true;
  ui.mapToggle.setAttribute("aria-expanded", "false");
  ui.mapToggle.textContent = t("map.show");
  if (map) { map.remove(); map = null; }
}

async function updateLine(query, items, answer) {
  const placeNotice = (answer.notices || []).find((n) => n.code === "place" && n.region);
  const region = (query.region && query.region.length === 2 ? query.region : null)
    || placeNotice?.region || items.find((item) => item.service?.region)?.service.region || null;
  if (ui.line.dataset.region === (region || "common")) return;
  ui.line.dataset.region = region || "common";
  ui.line.replaceChildren(await linePanel(region));
}

// ---- start ---------------------------------------------------------------------------------------------------------

async function start() {
  await boot(STRINGS);
  const app = document.getElementById("app");
  ui.heading = document.querySelector("h1");
  ui.heading.setAttribute("tabindex", "-1");
  await loadLookups();

  ui.status = h("p", { class: "status", role: "status", "aria-live": "polite", id: "status" });
  ui.notices = h("div", { class: "notices" });
  ui.results = h("div", { class: "results-box", id: "results" });
  ui.mapToggle = h("button", { type: "button", class: "button map-toggle", "aria-expanded": "false",
    "aria-controls": "map-box", hidden: true, onclick: () => {
      mapAsked = true;
      if (mapOpen) closeMap(); else openMap();
    } }, t("map.show"));
  ui.map = h("div", { class: "map", id: "map", role: "region", "aria-label": t("map.label") });
  ui.mapBox = h("div", { class: "map-box", id: "map-box", hidden: true }, ui.map);
  ui.line = h("div", { class: "line-box" });

  app.replaceChildren(
    h("p", { class: "intro" }, t("directory.intro")),
    buildForm(regionNames),
    h("div", { class: "directory-layout" },
      h("section", { class: "results-column", "aria-labelledby": "results-title" },
        h("div", { class: "results-head" },
          h("h2", { id: "results-title", class: "visually-hidden" }, t("results.title")),
          ui.status, ui.mapToggle),
        ui.notices, ui.mapBox, ui.results),
      ui.line),
  );
  window.addEventListener("popstate", () => { refreshLanguageLink(); run(readQuery()); });
  const query = readQuery();
  run(query);
  if (!hasQuery(query)) updateLine(query, [], {});
}

start().catch((error) => {
  const app = document.getElementById("app");
  if (app) showProblem(app, error, () => location.reload());
});
