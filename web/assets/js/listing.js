// What the directory page and the service page share: opening hours in Montréal time, phone links, distances,
// addresses, the 211 line and chat panel, and the map (Leaflet, loaded only when a map is shown).

import { api, h, localized, state, t, formatNumber, loadLibrary } from "./core.js";

export const STRINGS = {
  fr: {
    "hours.open_until": "Ouvert maintenant · ferme à {time}",
    "hours.open": "Ouvert maintenant",
    "hours.closed_opens": "Fermé · ouvre {day} à {time}",
    "hours.closed_today": "Fermé · ouvre aujourd'hui à {time}",
    "hours.closed": "Fermé maintenant",
    "hours.unknown": "Heures non indiquées",
    "hours.tomorrow": "demain",
    "distance": "à {distance}",
    "phone.call": "Appeler le {number}",
    "map.show": "Voir la carte",
    "map.hide": "Masquer la carte",
    "map.label": "Carte des résultats",
    "map.label.service": "Carte des points de service",
    "map.loading": "Chargement de la carte…",
    "map.failed": "La carte n'a pas pu être chargée. Les adresses restent dans la liste.",
    "map.none": "Aucun de ces résultats n'a de position sur la carte.",
    "line.title": "Parler à quelqu'un",
    "line.phone.open": "Ligne 211 ouverte maintenant",
    "line.phone.until": "jusqu'à {time}",
    "line.phone.closed": "Ligne 211 fermée maintenant",
    "line.phone.next": "réouverture {when}",
    "line.phone.none": "La ligne 211 n'est pas encore offerte dans cette région; le répertoire l'est.",
    "line.chat.open": "Clavardage ouvert maintenant",
    "line.chat.closed": "Clavardage fermé maintenant",
    "line.chat.none": "Le clavardage n'est pas encore offert dans cette région.",
    "line.dial": "Composer le 211",
    "line.where": "Région : {name}",
    "line.where.common": "Centre d'appels commun",
    "line.free": "Gratuit et confidentiel. En cas d'urgence : 911.",
    "days.MO": "lundi", "days.TU": "mardi", "days.WE": "mercredi", "days.TH": "jeudi", "days.FR": "vendredi",
    "days.SA": "samedi", "days.SU": "dimanche",
  },
  en: {
    "hours.open_until": "Open now · closes at {time}",
    "hours.open": "Open now",
    "hours.closed_opens": "Closed · opens {day} at {time}",
    "hours.closed_today": "Closed · opens today at {time}",
    "hours.closed": "Closed now",
    "hours.unknown": "Hours not listed",
    "hours.tomorrow": "tomorrow",
    "distance": "{distance} away",
    "phone.call": "Call {number}",
    "map.show": "Show the map",
    "map.hide": "Hide the map",
    "map.label": "Map of the results",
    "map.label.service": "Map of the service's locations",
    "map.loading": "Loading the map…",
    "map.failed": "The map could not be loaded. The addresses are still in the list.",
    "map.none": "None of these results has a position on the map.",
    "line.title": "Talk to someone",
    "line.phone.open": "211 line open now",
    "line.phone.until": "until {time}",
    "line.phone.closed": "211 line closed now",
    "line.phone.next": "opens again {when}",
    "line.phone.none": "The 211 line is not offered in this region yet; the directory is.",
    "line.chat.open": "Chat open now",
    "line.chat.closed": "Chat closed now",
    "line.chat.none": "Chat is not offered in this region yet.",
    "line.dial": "Dial 211",
    "line.where": "Region: {name}",
    "line.where.common": "Common call centre",
    "line.free": "Free and confidential. In an emergency: 911.",
    "days.MO": "Monday", "days.TU": "Tuesday", "days.WE": "Wednesday", "days.TH": "Thursday", "days.FR": "Friday",
    "days.SA": "Saturday", "days.SU": "Sunday",
  },
};

export const DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];
const WEEKDAY_INDEX = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };
const ZONE = "America/Montreal";

// ---- time ------------------------------------------------------------------------------------------------

/** Now (or `date`) in Montréal: {day: 0..6 (Monday 0), minutes, iso: "YYYY-MM-DD"}. */
export function montrealNow(date = new Date()) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", {
      timeZone: ZONE, weekday: "short", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    }).formatToParts(date).map((p) => [p.type, p.value]),
  );
  return {
    day: WEEKDAY_INDEX[parts.weekday],
    minutes: (Number(parts.hour) % 24) * 60 + Number(parts.minute),
    iso: `${parts.year}-${parts.month}-${parts.day}`,
  };
}

function minutesOf(text) {
  const match = /^(\d{1,2}):(\d{2})/.exec(text || "");
  return match ? Number(match[1]) * 60 + Number(match[2]) : null;
}

/** "17 h", "8 h 30" in French; "5 p.m.", "8:30 a.m." in English. */
export function formatTime(text) {
  const total = minutesOf(text);
  if (total === null) return text || "";
  const hours = Math.floor(total / 60) % 24;
  const minutes = total % 60;
  if (state.lang === "fr") return minutes ? `${hours} h ${String(minutes).padStart(2, "0")}` : `${hours} h`;
  const suffix = hours < 12 ? "a.m." : "p.m.";
  const twelve = hours % 12 === 0 ? 12 : hours % 12;
  return minutes ? `${twelve}:${String(minutes).padStart(2, "0")} ${suffix}` : `${twelve} ${suffix}`;
}

function addDays(iso, count) {
  const date = new Date(`${iso}T12:00:00Z`);
  date.setUTCDate(date.getUTCDate() + count);
  return date.toISOString().slice(0, 10);
}

function validOn(schedule, iso) {
  return (!schedule.valid_from || schedule.valid_from <= iso) && (!schedule.valid_to || schedule.valid_to >= iso);
}

function isClosure(schedule) {
  return !schedule.opens_at && !schedule.closes_at && (schedule.valid_from || schedule.valid_to);
}

/** Opening intervals [{opens, closes}] (minutes) on a given date; weekly schedules, closures win. */
export function intervalsOn(schedules, iso, day) {
  if ((schedules || []).some((s) => isClosure(s) && validOn(s, iso))) return [];
  const code = DAYS[day];
  const intervals = [];
  for (const schedule of schedules || []) {
    if (isClosure(schedule) || !validOn(schedule, iso) || (schedule.dtstart && schedule.dtstart > iso)) continue;
    const opens = minutesOf(schedule.opens_at);
    let closes = minutesOf(schedule.closes_at);
    if (opens === null || closes === null) continue;
    const days = (schedule.byday || "").split(",").map((d) => d.trim().slice(-2)).filter(Boolean);
    if (schedule.freq && schedule.freq !== "WEEKLY" && schedule.freq !== "DAILY") continue;
    if (schedule.freq === "WEEKLY" && days.length && !days.includes(code)) continue;
    if (closes <= opens) closes += 24 * 60; // past midnight
    intervals.push({ opens, closes, opensText: schedule.opens_at, closesText: schedule.closes_at });
  }
  return intervals.sort((a, b) => a.opens - b.opens);
}

/** Whether the schedules have any opening hours at all. */
export function hasHours(schedules) {
  return (schedules || []).some((s) => minutesOf(s.opens_at) !== null && minutesOf(s.closes_at) !== null);
}

/** {kind: "open"|"closed"|"unknown", text} for a badge. */
export function openState(schedules, date = new Date()) {
  if (!hasHours(schedules)) return { kind: "unknown", text: t("hours.unknown") };
  const now = montrealNow(date);
  // yesterday's past-midnight hours
  const yesterday = intervalsOn(schedules, addDays(now.iso, -1), (now.day + 6) % 7);
  for (const interval of yesterday) {
    if (interval.closes > 24 * 60 && now.minutes < interval.closes - 24 * 60) {
      return { kind: "open", text: t("hours.open_until", { time: formatTime(interval.closesText) }) };
    }
  }
  const today = intervalsOn(schedules, now.iso, now.day);
  for (const interval of today) {
    if (interval.opens <= now.minutes && now.minutes < interval.closes) {
      return { kind: "open", text: t("hours.open_until", { time: formatTime(interval.closesText) }) };
    }
  }
  const later = today.find((interval) => interval.opens > now.minutes);
  if (later) return { kind: "closed", text: t("hours.closed_today", { time: formatTime(later.opensText) }) };
  for (let ahead = 1; ahead <= 14; ahead += 1) {
    const day = (now.day + ahead) % 7;
    const next = intervalsOn(schedules, addDays(now.iso, ahead), day)[0];
    if (next) {
      const when = ahead === 1 ? t("hours.tomorrow") : t(`days.${DAYS[day]}`);
      return { kind: "closed", text: t("hours.closed_opens", { day: when, time: formatTime(next.opensText) }) };
    }
  }
  return { kind: "closed", text: t("hours.closed") };
}

export function hoursBadge(schedules) {
  const status = openState(schedules);
  return h("span", { class: `badge ${status.kind}` }, status.text);
}

// ---- phones, distances, addresses -------------------------------------------------------------------------

/** tel: link that dials on a phone: "418 555-0145" -> tel:+14185550145. */
export function telHref(number) {
  const digits = String(number || "").replace(/[^\d]/g, "");
  if (digits.length === 10) return `tel:+1${digits}`;
  if (digits.length === 11 && digits.startsWith("1")) return `tel:+${digits}`;
  return `tel:${digits}`;
}

export function phoneLink(phone) {
  const number = phone.number || "";
  const extension = phone.extension ? ` #${phone.extension}` : "";
  return h("a", { href: telHref(number), class: "phone", "aria-label": t("phone.call", { number: number + extension }) },
    number + extension);
}

export function formatDistance(metres) {
  if (metres == null || !Number.isFinite(Number(metres))) return "";
  const value = Number(metres);
  const text = value < 1000
    ? `${formatNumber(Math.max(10, Math.round(value / 10) * 10))} m`
    : `${formatNumber(value / 1000, { maximumFractionDigits: value < 10000 ? 1 : 0 })} km`;
  return t("distance", { distance: text });
}

export function addressText(address) {
  if (!address) return "";
  const street = [address.address_1, address.address_2].filter(Boolean).join(", ");
  const city = [address.city, address.state_province].filter(Boolean).join(" (") + (address.state_province ? ")" : "");
  return [street, city, address.postal_code].filter(Boolean).join(", ");
}

export function physicalAddress(location) {
  const addresses = location?.addresses || [];
  return addresses.find((a) => a.address_type === "physical") || addresses[0] || null;
}

// ---- the 211 line and chat in a region ----------------------------------------------------------------------

let regionsAnswer = null;

/** GET /regions, once per page. */
export async function loadRegions() {
  if (!regionsAnswer) regionsAnswer = api("/regions", { query: { lang: state.lang }, auth: false });
  try {
    return await regionsAnswer;
  } catch (error) {
    regionsAnswer = null;
    throw error;
  }
}

function channelLine(channel, kind) {
  if (!channel || !channel.live) return h("p", { class: "muted" }, t(`line.${kind}.none`));
  const today = (channel.today || []).find(Boolean);
  const parts = [];
  if (channel.open_now) {
    parts.push(h("span", { class: "badge open" }, t(`line.${kind}.open`)));
    if (kind === "phone" && today?.closes) parts.push(" ", t("line.phone.until", { time: formatTime(today.closes) }));
  } else {
    parts.push(h("span", { class: "badge closed" }, t(`line.${kind}.closed`)));
    if (channel.next_opening) parts.push(" ", t("line.phone.next", { when: formatWhen(channel.next_opening) }));
  }
  return h("p", {}, parts);
}

function formatWhen(value) {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const now = montrealNow();
  const then = montrealNow(date);
  const hhmm = `${String(Math.floor(then.minutes / 60)).padStart(2, "0")}:${String(then.minutes % 60).padStart(2, "0")}`;
  const day = then.iso === now.iso ? "" : then.iso === addDays(now.iso, 1) ? t("hours.tomorrow") : t(`days.${DAYS[then.day]}`);
  return `${day} ${state.lang === "fr" ? "à" : "at"} ${formatTime(hhmm)}`.trim();
}

/** The "talk to someone" panel for a region code (or the common centre when no region is known). */
export async function linePanel(regionCode) {
  const panel = h("aside", { class: "card line-panel", "aria-labelledby": "line-title" },
    h("h2", { id: "line-title" }, t("line.title")));
  let data;
  try {
    data = await loadRegions();
  } catch {
    panel.append(h("p", {}, h("a", { href: "tel:211", class: "button primary" }, t("line.dial"))));
    return panel;
  }
  const region = (data.regions || []).find((r) => r.code === regionCode);
  const source = region || data.common_centre;
  const phone = source?.channels?.phone;
  const chat = source?.channels?.chat;
  panel.append(
    h("p", { class: "muted" }, region ? t("line.where", { name: region.name }) : t("line.where.common")),
    channelLine(phone, "phone"),
    channelLine(chat, "chat"),
    phone?.live !== false ? h("p", {}, h("a", { href: "tel:211", class: "button primary" }, t("line.dial"))) : null,
    h("p", { class: "hint" }, t("line.free")),
  );
  return panel;
}

// ---- map ------------------------------------------------------------------------------------------------------

const LEAFLET = "vendor/leaflet-1.9.4/";
/** Loads Leaflet's stylesheet and script once; resolves with window.L. */
export function loadLeaflet() {
  return loadLibrary(`${LEAFLET}leaflet.js`, "L", `${LEAFLET}leaflet.css`);
}

/**
 * Draws `points` ([{lat, lng, title, href, text}]) into `container` (which keeps its accessible name).
 * Returns the Leaflet map, or null when there is nothing to draw or Leaflet could not load.
 */
export async function drawMap(container, points) {
  const usable = points.filter((p) => Number.isFinite(p.lat) && Number.isFinite(p.lng));
  if (!usable.length) {
    container.replaceChildren(h("p", { class: "muted" }, t("map.none")));
    container.classList.add("empty");
    return null;
  }
  container.replaceChildren(h("p", { class: "muted" }, t("map.loading")));
  let L;
  try {
    L = await loadLeaflet();
  } catch {
    container.replaceChildren(h("p", { class: "problem" }, t("map.failed")));
    return null;
  }
  container.replaceChildren();
  container.classList.remove("empty");
  L.Icon.Default.imagePath = `${LEAFLET}images/`;
  const map = L.map(container, { scrollWheelZoom: false });
  const tiles = state.config.tiles || {};
  if (tiles.url) L.tileLayer(tiles.url, { maxZoom: 18, attribution: tiles.attribution || "" }).addTo(map);
  const bounds = [];
  for (const point of usable) {
    const marker = L.marker([point.lat, point.lng], { title: point.title, alt: point.title, keyboard: true });
    const popup = h("div", {},
      point.href ? h("a", { href: point.href }, point.title) : h("strong", {}, point.title),
      point.text ? h("br") : null, point.text || null);
    marker.bindPopup(popup).addTo(map);
    bounds.push([point.lat, point.lng]);
  }
  if (bounds.length === 1) map.setView(bounds[0], 14);
  else map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 });
  return map;
}

export function wideScreen() {
  return window.matchMedia("(min-width: 56rem)").matches;
}

/** Text of an API error detail in the page's language (search and directory parameters word them differently). */
export function reasonText(detail) {
  if (!detail) return "";
  if (state.lang === "en") return detail.reason_en || detail.message_en || detail.reason || detail.message || "";
  return detail.reason_fr || detail.message || detail.reason || detail.reason_en || "";
}

export { localized };
