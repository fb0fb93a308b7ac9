// One service: description, organisation, locations with addresses, hours per day, phones, languages, fees,
// eligibility, website and email, a map of its locations, and whether the 211 line is open.
//   service.html?id=<service_at_location id>   (from a search result)
//   service.html?service=<service id>

import { ApiError, api, boot, h, showProblem, state, t } from "./core.js";
import {
  DAYS, STRINGS as LISTING, addressText, drawMap, formatTime, hoursBadge, intervalsOn, linePanel, montrealNow,
  phoneLink, physicalAddress, wideScreen,
} from "./listing.js";

const PAGE = {
  fr: {
    "service.title": "Fiche du service",
    "service.back": "← Retour aux résultats",
    "service.search": "← Chercher un autre service",
    "service.organization": "Offert par {name}",
    "service.temporarily_closed": "Ce service est temporairement fermé.",
    "service.phones": "Téléphone",
    "service.hours": "Heures d'ouverture",
    "service.hours.day": "Jour",
    "service.hours.time": "Heures",
    "service.hours.closed": "Fermé",
    "service.hours.none": "Les heures ne sont pas indiquées. Téléphonez avant de vous déplacer.",
    "service.hours.caption": "Heures d'ouverture par jour (heure du Québec)",
    "service.hours.today": "{day} (aujourd'hui)",
    "service.details": "Détails",
    "service.locations": "Où",
    "service.locations.map": "Carte",
    "service.languages": "Langues parlées",
    "service.fees": "Coût",
    "service.eligibility": "Admissibilité",
    "service.application": "Comment y accéder",
    "service.website": "Site web",
    "service.email": "Courriel",
    "service.areas": "Territoire desservi",
    "service.categories": "Catégories",
    "service.accessibility": "Accessibilité",
    "service.updated": "Mise à jour : {date}",
    "service.missing": "Aucun service n'a été demandé.",
    "service.not_found": "Ce service n'est plus dans le répertoire, ou le lien est incomplet.",
    "service.find": "Chercher un service",
    "service.org_label": "Organisme",
  },
  en: {
    "service.title": "Service details",
    "service.back": "← Back to the results",
    "service.search": "← Find another service",
    "service.organization": "Offered by {name}",
    "service.temporarily_closed": "This service is temporarily closed.",
    "service.phones": "Phone",
    "service.hours": "Opening hours",
    "service.hours.day": "Day",
    "service.hours.time": "Hours",
    "service.hours.closed": "Closed",
    "service.hours.none": "Hours are not listed. Call before you go.",
    "service.hours.caption": "Opening hours by day (Québec time)",
    "service.hours.today": "{day} (today)",
    "service.details": "Details",
    "service.locations": "Where",
    "service.locations.map": "Map",
    "service.languages": "Languages spoken",
    "service.fees": "Cost",
    "service.eligibility": "Eligibility",
    "service.application": "How to get it",
    "service.website": "Website",
    "service.email": "Email",
    "service.areas": "Area served",
    "service.categories": "Categories",
    "service.accessibility": "Accessibility",
    "service.updated": "Updated: {date}",
    "service.missing": "No service was asked for.",
    "service.not_found": "This service is no longer in the directory, or the link is incomplete.",
    "service.find": "Find a service",
    "service.org_label": "Organisation",
  },
};

const STRINGS = { fr: { ...LISTING.fr, ...PAGE.fr }, en: { ...LISTING.en, ...PAGE.en } };

function section(id, titleKey, ...content) {
  return h("section", { class: "card", "aria-labelledby": id }, h("h2", { id }, t(titleKey)), ...content);
}

function hoursTable(schedules) {
  const now = montrealNow();
  const rows = DAYS.map((code, index) => {
    // the coming date of that weekday, so holiday closures this week show
    const ahead = (index - now.day + 7) % 7;
    const date = new Date(`${now.iso}T12:00:00Z`);
    date.setUTCDate(date.getUTCDate() + ahead);
    const intervals = intervalsOn(schedules, date.toISOString().slice(0, 10), index);
    const text = intervals.length
      ? intervals.map((i) => `${formatTime(i.opensText)} – ${formatTime(i.closesText)}`).join(", ")
      : t("service.hours.closed");
    const today = ahead === 0;
    return h("tr", { class: today ? "today" : null },
      h("th", { scope: "row" }, today ? t("service.hours.today", { day: t(`days.${code}`) }) : t(`days.${code}`)),
      h("td", {}, text));
  });
  return h("div", { class: "table-wrap hours-table" },
    h("table", {},
      h("caption", { class: "visually-hidden" }, t("service.hours.caption")),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("service.hours.day")),
        h("th", { scope: "col" }, t("service.hours.time")))),
      h("tbody", {}, rows)));
}

function notes(schedules) {
  return (schedules || []).filter((s) => s.description).map((s) => h("p", { class: "hint" }, s.description));
}

function uniqueBy(items, key) {
  const seen = new Set();
  return items.filter((item) => {
    const value = key(item);
    if (!value || seen.has(value)) return false;
    seen.add(value);
    return true;
  });
}

function fact(labelKey, ...value) {
  const content = value.flat().filter((v) => v !== null && v !== undefined && v !== "");
  if (!content.length) return null;
  return [h("dt", {}, t(labelKey)), h("dd", {}, content)];
}

function safeUrl(url) {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}

function backLink() {
  let fromResults = false;
  try {
    const referrer = new URL(document.referrer);
    fromResults = referrer.origin === location.origin && /\/(index\.html)?$/.test(referrer.pathname);
  } catch { /* no referrer */ }
  if (fromResults) {
    return h("a", { class: "back", href: document.referrer, onclick: (event) => {
      if (history.length > 1) { event.preventDefault(); history.back(); }
    } }, t("service.back"));
  }
  return h("a", { class: "back", href: `index.html?lang=${state.lang}` }, t("service.search"));
}

function render(app, service, chosen) {
  const heading = document.querySelector("h1");
  heading.textContent = service.name;
  document.title = `${service.name} · 211`;
  const organization = service.organization || {};
  const links = service.service_at_locations || [];
  const ordered = chosen ? [...links.filter((l) => l.id === chosen.id), ...links.filter((l) => l.id !== chosen.id)] : links;
  if (chosen && !ordered.some((l) => l.id === chosen.id)) ordered.unshift(chosen);
  const locationSchedules = (chosen?.schedules || []).length ? chosen.schedules
    : (ordered[0]?.location?.schedules || []).length ? ordered[0].location.schedules : [];
  const schedules = locationSchedules.length ? locationSchedules : service.schedules || [];
  const phones = uniqueBy([
    ...(chosen?.phones || []), ...(service.phones || []),
    ...ordered.flatMap((l) => [...(l.phones || []), ...(l.location?.phones || [])]),
    ...(organization.phones || []),
  ], (p) => p.number).slice(0, 6);
  const languages = uniqueBy([...(service.languages || []), ...ordered.flatMap((l) => l.location?.languages || [])],
    (l) => l.code || l.name);
  const costs = (service.cost_options || []).map((c) =>
    [c.option, c.amount ? `${c.amount} ${c.currency || ""}`.trim() : null, c.amount_description].filter(Boolean).join(" · "));
  const fees = uniqueBy([service.fees_description, ...costs].filter(Boolean).map((text) => ({ text })), (c) => c.text.toLowerCase());
  const categories = (service.attributes || []).map((a) => a.taxonomy_term?.name).filter(Boolean);
  const areas = (service.service_areas || []).map((a) => a.name).filter(Boolean);
  const website = safeUrl(service.url || organization.website);
  const email = service.email || organization.email;
  const located = ordered.filter((l) => l.location && Number.isFinite(Number(l.location.latitude)) && l.location.latitude !== null);
  const mapBox = h("div", { class: "map", id: "map", role: "region", "aria-label": t("map.label.service") });
  let mapShown = false;
  const showMap = () => {
    if (mapShown) return;
    mapShown = true;
    mapToggle.hidden = true;
    mapBox.hidden = false;
    drawMap(mapBox, located.map((l) => ({
      lat: Number(l.location.latitude), lng: Number(l.location.longitude),
      title: l.location.name || service.name, text: addressText(physicalAddress(l.location)),
    })));
  };
  const mapToggle = h("button", { type: "button", class: "button", "aria-controls": "map", "aria-expanded": "false",
    onclick: showMap }, t("map.show"));
  mapBox.hidden = true;
  const updated = service.last_modified ? new Date(service.last_modified) : null;

  const main = h("div", { class: "service-main" },
    h("div", { class: "service-head" },
      organization.name && organization.name !== service.name
        ? h("p", { class: "org" }, t("service.organization", { name: organization.name })) : null,
      service.status === "temporarily closed" ? h("p", { class: "problem" }, t("service.temporarily_closed")) : null,
      h("p", { class: "meta" }, hoursBadge(schedules)),
      service.description ? h("p", { class: "description" }, service.description) : null),
    phones.length ? section("phones-title", "service.phones",
      h("ul", { class: "phones", role: "list" }, phones.map((p) => h("li", {}, phoneLink(p),
        p.description ? h("span", { class: "muted" }, ` ${p.description}`) : null)))) : null,
    section("hours-title", "service.hours",
      schedules.some((s) => s.opens_at) ? hoursTable(schedules) : h("p", {}, t("service.hours.none")),
      notes(schedules)),
    ordered.length ? section("locations-title", "service.locations",
      h("ul", { class: "locations" }, ordered.map((link) => {
        const location = link.location || {};
        const address = physicalAddress(location);
        return h("li", { class: "location" },
          h("h3", {}, location.name || service.name),
          address ? h("p", {}, addressText(address)) : null,
          (location.accessibility || []).map((a) => a.description ? h("p", { class: "hint" }, `${t("service.accessibility")} : ${a.description}`.replace(" : ", state.lang === "fr" ? " : " : ": ")) : null),
        );
      })),
      located.length ? h("div", {}, mapToggle, mapBox) : null) : null,
    section("about-title", "service.details",
      h("dl", { class: "facts" },
        fact("service.eligibility", service.eligibility_description),
        fact("service.application", service.application_process),
        fact("service.fees", fees.map((f, i) => [i ? " · " : "", f.text])),
        fact("service.languages", languages.map(languageName).join(", ")),
        fact("service.areas", areas.join(", ")),
        fact("service.categories", categories.join(", ")),
        fact("service.website", website ? h("a", { href: website, rel: "noopener" }, website.replace(/^https?:\/\//, "").replace(/\/$/, "")) : null),
        fact("service.email", email ? h("a", { href: `mailto:${email}` }, email) : null),
        organization.name ? fact("service.org_label", organization.name, organization.description ? [h("br"), h("span", { class: "muted" }, organization.description)] : null) : null,
      ),
      updated && !Number.isNaN(updated.getTime())
        ? h("p", { class: "hint" }, t("service.updated", {
          date: updated.toLocaleDateString(state.lang === "fr" ? "fr-CA" : "en-CA", { year: "numeric", month: "long", day: "numeric" }),
        })) : null),
  );
  const side = h("div", { class: "line-box" });
  app.replaceChildren(backLink(), h("div", { class: "service-layout" }, main, side));
  if (located.length && wideScreen()) showMap();
  linePanel(service.region).then((panel) => side.replaceChildren(panel));
}

async function load(app) {
  const params = new URLSearchParams(location.search);
  const id = params.get("id");
  let serviceId = params.get("service");
  if (!id && !serviceId) {
    app.replaceChildren(h("p", { class: "problem", role: "alert" }, t("service.missing")), h("p", {},
      h("a", { href: `index.html?lang=${state.lang}` }, t("service.find"))));
    return;
  }
  app.setAttribute("aria-busy", "true");
  try {
    let chosen = null;
    if (id) {
      chosen = await api(`/service_at_locations/${encodeURIComponent(id)}`, { query: { lang: state.lang }, auth: false });
      serviceId = chosen.service_id;
    }
    const service = await api(`/services/${encodeURIComponent(serviceId)}`, { query: { lang: state.lang }, auth: false });
    app.removeAttribute("aria-busy");
    render(app, service, chosen);
  } catch (error) {
    app.removeAttribute("aria-busy");
    if (error instanceof ApiError && (error.status === 404 || error.status === 400 || error.status === 422)) {
      app.replaceChildren(h("p", { class: "problem", role: "alert" }, t("service.not_found")),
        h("p", {}, h("a", { href: `index.html?lang=${state.lang}` }, t("service.find"))));
      return;
    }
    showProblem(app, error, () => load(app));
  }
}

async function start() {
  await boot(STRINGS);
  await load(document.getElementById("app"));
}

start().catch((error) => {
  const app = document.getElementById("app");
  if (app) showProblem(app, error, () => location.reload());
});

/** A language in the page's language when its ISO code is known ("fr" -> "French" / "français"). */
function languageName(language) {
  try {
    if (language.code) {
      const name = new Intl.DisplayNames([state.lang], { type: "language" }).of(language.code);
      if (name && name !== language.code) return name.charAt(0).toLocaleUpperCase(state.lang) + name.slice(1);
    }
  } catch { /* an unknown code: keep the listing's own name */ }
  return language.name || language.code || "";
}
