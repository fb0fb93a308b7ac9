// referral211 web: what every page shares. No framework and no build step: ES modules served as they are.
//
//   import { boot, t, api, h, showProblem } from "./core.js";
//   const { config, lang } = await boot(STRINGS);   // STRINGS = { fr: {...}, en: {...} } for the page
//
// - Language: French by default; `?lang=en` (or the person's last choice) switches. Static text in the HTML is
//   French and carries data-i18n="key"; boot() translates it. The switch is a link, so the page state in the
//   URL survives it.
// - API: config.json (served beside the pages) names the API's base URL. api() returns parsed JSON (or text, or
//   a Blob) and throws ApiError with the API's {"error": {code, message, details}} in the page's language, or a
//   "network" error when the API cannot be reached: pages show it with showProblem(), never a blank page.
// - Sign-in (admin and analyst pages): a bearer token kept for the browser tab only (sessionStorage).

const COMMON = {
  fr: {
    "site.name": "211 : le répertoire de l'aide",
    "nav.directory": "Trouver de l'aide",
    "nav.admin": "Console des responsables",
    "nav.stats": "Tableau de bord d'analyse",
    "nav.skip": "Aller au contenu",
    "nav.label": "Navigation principale",
    "lang.switch": "English",
    "lang.switch.label": "View this page in English",
    "problem.network": "Le service est momentanément indisponible. Réessayez dans un instant, ou composez le 211.",
    "problem.retry": "Réessayer",
    "problem.generic": "Une erreur est survenue.",
    "problem.details": "Détails",
    "auth.title": "Connexion",
    "auth.token": "Jeton d'accès",
    "auth.token.help": "Collez le jeton fourni par votre organisation (sur la pile locale : referral211 token --role region-admin --region 02).",
    "auth.submit": "Se connecter",
    "auth.signout": "Se déconnecter",
    "auth.signed_in": "Connecté : {user} ({roles}; régions {regions})",
    "auth.invalid": "Ce jeton n'est pas valide ou a expiré. Demandez-en un nouveau.",
    "auth.forbidden": "Votre rôle ne donne pas accès à cette page.",
    "all_regions": "toutes",
    "loading": "Chargement…",
    "footer.text": "211 est un service gratuit et confidentiel. En cas d'urgence, composez le 911.",
  },
  en: {
    "site.name": "211: the directory of help",
    "nav.directory": "Find help",
    "nav.admin": "Admin console",
    "nav.stats": "Analyst dashboard",
    "nav.skip": "Skip to content",
    "nav.label": "Main navigation",
    "lang.switch": "Français",
    "lang.switch.label": "Voir cette page en français",
    "problem.network": "The service is unavailable for a moment. Try again shortly, or dial 211.",
    "problem.retry": "Try again",
    "problem.generic": "Something went wrong.",
    "problem.details": "Details",
    "auth.title": "Sign in",
    "auth.token": "Access token",
    "auth.token.help": "Paste the token your organisation gave you (on the local stack: referral211 token --role region-admin --region 02).",
    "auth.submit": "Sign in",
    "auth.signout": "Sign out",
    "auth.signed_in": "Signed in: {user} ({roles}; regions {regions})",
    "auth.invalid": "This token is not valid or has expired. Ask for a new one.",
    "auth.forbidden": "Your role does not give access to this page.",
    "all_regions": "all",
    "loading": "Loading…",
    "footer.text": "211 is a free and confidential service. In an emergency, dial 911.",
  },
};

const TOKEN_KEY = "referral211.token";
const LANG_KEY = "referral211.lang";
const REQUEST_TIMEOUT_MS = 15000;

const strings = { fr: { ...COMMON.fr }, en: { ...COMMON.en } };
export const state = { lang: "fr", config: { apiBase: "" } };

// ---- language -------------------------------------------------------------------------------------------

function chooseLanguage() {
  const asked = new URLSearchParams(location.search).get("lang");
  if (asked === "fr" || asked === "en") {
    try { localStorage.setItem(LANG_KEY, asked); } catch { /* private mode */ }
    return asked;
  }
  try {
    const stored = localStorage.getItem(LANG_KEY);
    if (stored === "fr" || stored === "en") return stored;
  } catch { /* private mode */ }
  return "fr";
}

/** The text for `key` in the page's language; {name} placeholders are filled from `vars`. */
export function t(key, vars = {}) {
  const text = strings[state.lang][key] ?? strings.fr[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

/** Text from a bilingual API value: a string, or {fr, en}. */
export function localized(value) {
  if (value == null) return "";
  if (typeof value === "string") return value;
  return value[state.lang] || value.fr || value.en || "";
}

/** The same page in the other language (the URL keeps the page's state). */
export function otherLanguageUrl() {
  const url = new URL(location.href);
  url.searchParams.set("lang", state.lang === "fr" ? "en" : "fr");
  return url.pathname + url.search + url.hash;
}

function translateStatic(root = document) {
  for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll("[data-i18n-placeholder]")) {
    node.setAttribute("placeholder", t(node.dataset.i18nPlaceholder));
  }
  for (const node of root.querySelectorAll("[data-i18n-label]")) {
    node.setAttribute("aria-label", t(node.dataset.i18nLabel));
  }
  for (const node of root.querySelectorAll("[data-i18n-title]")) node.setAttribute("title", t(node.dataset.i18nTitle));
}

// ---- start-up ---------------------------------------------------------------------------------------------

/** Reads config.json, picks the language, translates the static text and wires the language switch. */
export async function boot(pageStrings = {}) {
  for (const lang of ["fr", "en"]) Object.assign(strings[lang], pageStrings[lang] || {});
  state.lang = chooseLanguage();
  document.documentElement.lang = state.lang === "fr" ? "fr-CA" : "en-CA";
  try {
    const response = await fetch("config.json", { cache: "no-store" });
    if (response.ok) state.config = { ...state.config, ...(await response.json()) };
  } catch { /* keep the defaults: same origin */ }
  translateStatic();
  const titleKey = document.querySelector("meta[name='i18n-title']")?.content;
  if (titleKey) document.title = `${t(titleKey)} · 211`;
  for (const link of document.querySelectorAll("[data-lang-switch]")) {
    link.href = otherLanguageUrl();
    link.lang = state.lang === "fr" ? "en" : "fr";
    link.textContent = t("lang.switch");
    link.setAttribute("aria-label", t("lang.switch.label"));
  }
  for (const link of document.querySelectorAll("a[data-keep-lang]")) {
    const url = new URL(link.getAttribute("href"), location.href);
    url.searchParams.set("lang", state.lang);
    link.href = url.pathname + url.search;
  }
  return { config: state.config, lang: state.lang };
}

// ---- API ----------------------------------------------------------------------------------------------------

export class ApiError extends Error {
  constructor(status, code, message, details = []) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = Array.isArray(details) ? details : [details];
  }
}

/**
 * Calls the API. `query` values that are null, undefined or "" are left out; arrays repeat the parameter.
 * `body` is JSON-encoded unless it is a Blob, File, ArrayBuffer or string (sent as is with `contentType`).
 * `as`: "json" (default), "text", "blob" or "response" (the successful fetch Response itself). Sends the signed-in token unless `auth: false`.
 */
export async function api(path, { method = "GET", query = {}, body, contentType, headers = {}, as = "json", auth = true, signal } = {}) {
  const url = new URL(path.replace(/^\//, ""), (state.config.apiBase || location.origin).replace(/\/?$/, "/"));
  for (const [name, value] of Object.entries(query)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== null && item !== undefined && item !== "") url.searchParams.append(name, String(item));
    }
  }
  const sent = { "Accept-Language": state.lang, ...headers };
  const token = auth ? getToken() : null;
  if (token) sent.Authorization = `Bearer ${token}`;
  let payload = body;
  if (body !== undefined && !(body instanceof Blob) && !(body instanceof ArrayBuffer) && typeof body !== "string") {
    payload = JSON.stringify(body);
    sent["Content-Type"] = "application/json";
  } else if (contentType) {
    sent["Content-Type"] = contentType;
  }
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), REQUEST_TIMEOUT_MS);
  signal?.addEventListener("abort", () => timeout.abort());
  let response;
  try {
    response = await fetch(url, { method, headers: sent, body: payload, signal: timeout.signal });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError(0, "network", t("problem.network"));
  } finally {
    clearTimeout(timer);
  }
  if (!response.ok) throw await errorFrom(response);
  if (as === "response") return response; // the caller reads headers (Content-Disposition) and body
  if (as === "blob") return response.blob();
  if (as === "text") return response.text();
  if (response.status === 204) return null;
  try {
    return await response.json();
  } catch {
    throw new ApiError(response.status, "bad_response", t("problem.generic"));
  }
}

async function errorFrom(response) {
  let problem = null;
  try {
    problem = (await response.json())?.error;
  } catch { /* not JSON: a gateway or proxy page */ }
  if (response.status >= 500 || response.status === 0) {
    return new ApiError(response.status, problem?.code || "unavailable", t("problem.network"));
  }
  if (!problem) return new ApiError(response.status, "http_" + response.status, t("problem.generic"));
  const message = state.lang === "en" && problem.message_en ? problem.message_en : problem.message;
  return new ApiError(response.status, problem.code, message || t("problem.generic"), problem.details || []);
}

// ---- DOM ------------------------------------------------------------------------------------------------

/** h("a", {href, class: "x", onclick}, "text", child...) -> an element; null/false children are skipped. */
export function h(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
    else if (name === "class") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const scripts = new Map();

/**
 * Loads a library from this origin once (the CSP allows 'self'), with its stylesheet if any; resolves with the
 * global it defines (window[globalName]). A failed load can be tried again.
 */
export function loadLibrary(src, globalName, stylesheet = null) {
  if (window[globalName]) return Promise.resolve(window[globalName]);
  if (!scripts.has(src)) {
    scripts.set(src, new Promise((resolve, reject) => {
      if (stylesheet && !document.querySelector(`link[href="${stylesheet}"]`)) {
        document.head.append(h("link", { rel: "stylesheet", href: stylesheet }));
      }
      const script = h("script", { src, async: true });
      script.onload = () => (window[globalName] ? resolve(window[globalName]) : reject(new Error(`${globalName} missing`)));
      script.onerror = () => { scripts.delete(src); reject(new Error(`${src} could not be loaded`)); };
      document.head.append(script);
    }));
  }
  return scripts.get(src);
}

/** Replaces the content of `container` with a visible, announced problem (and a retry button when given). */
export function showProblem(container, error, retry) {
  const message = error instanceof ApiError ? error.message : t("problem.generic");
  const details = error instanceof ApiError ? error.details.filter((d) => d && (d.message || d.message_en)) : [];
  container.replaceChildren(
    h(
      "div",
      { class: "problem", role: "alert" },
      h("p", {}, message),
      details.length
        ? h("details", {}, h("summary", {}, t("problem.details")),
          h("ul", {}, details.slice(0, 20).map((d) => h("li", {}, detailText(d)))))
        : null,
      retry ? h("button", { type: "button", class: "button", onclick: retry }, t("problem.retry")) : null,
    ),
  );
}

/** One error detail in the page's language: "field: message". */
export function detailText(detail) {
  const message = state.lang === "en" && detail.message_en ? detail.message_en : detail.message || detail.message_en;
  const where = [detail.row != null ? `#${detail.row}` : detail.element, detail.field || detail.parameter]
    .filter(Boolean).join(" ");
  return where ? `${where} : ${message}`.replace(" : ", state.lang === "fr" ? " : " : ": ") : message;
}

export function formatNumber(value, options = {}) {
  return new Intl.NumberFormat(state.lang === "fr" ? "fr-CA" : "en-CA", options).format(value);
}

// ---- sign-in (bearer token for the tab) -----------------------------------------------------------------

export function getToken() {
  try { return sessionStorage.getItem(TOKEN_KEY); } catch { return null; }
}

export function setToken(token) {
  try { sessionStorage.setItem(TOKEN_KEY, token.trim()); } catch { /* private mode */ }
}

export function signOut() {
  try { sessionStorage.removeItem(TOKEN_KEY); } catch { /* private mode */ }
}

/** The claims of the token, decoded for display only (the API verifies the signature on every call). */
export function tokenClaims(token = getToken()) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = decodeURIComponent(escape(atob(part + "=".repeat((4 - (part.length % 4)) % 4))));
    return JSON.parse(json);
  } catch {
    return null;
  }
}

/**
 * Makes sure someone is signed in with one of `roles`: asks the API who the token is (GET /me) and renders the
 * sign-in form into `container` when there is no valid token. Resolves with /me's answer once signed in.
 */
export async function requireSignIn(container, roles) {
  for (;;) {
    if (getToken()) {
      try {
        const me = await api("/me");
        const granted = (me.roles || []).some((role) => roles.includes(role));
        if (granted) return me;
        signOut();
        await signInForm(container, t("auth.forbidden"));
        continue;
      } catch (error) {
        if (!(error instanceof ApiError) || error.status !== 401) throw error;
        signOut();
        await signInForm(container, t("auth.invalid"));
        continue;
      }
    }
    await signInForm(container);
  }
}

function signInForm(container, problem) {
  return new Promise((resolve) => {
    const input = h("textarea", { id: "token", name: "token", rows: 4, required: true, autocomplete: "off",
      spellcheck: "false", "aria-describedby": "token-help" });
    const form = h(
      "form",
      { class: "card sign-in", onsubmit: (event) => { event.preventDefault(); setToken(input.value); resolve(); } },
      h("h2", {}, t("auth.title")),
      problem ? h("p", { class: "problem", role: "alert" }, problem) : null,
      h("label", { for: "token" }, t("auth.token")),
      input,
      h("p", { id: "token-help", class: "hint" }, t("auth.token.help")),
      h("button", { type: "submit", class: "button primary" }, t("auth.submit")),
    );
    container.replaceChildren(form);
    input.focus();
  });
}

/** "Signed in: …" with a sign-out button, for the page header. */
export function signedInBar(me, onSignOut) {
  return h(
    "div",
    { class: "signed-in" },
    h("span", {}, t("auth.signed_in", {
      user: me.username || me.subject,
      roles: (me.roles || []).join(", "),
      regions: me.all_regions ? t("all_regions") : (me.regions || []).join(", "),
    })),
    h("button", { type: "button", class: "button link", onclick: () => { signOut(); onSignOut(); } }, t("auth.signout")),
  );
}
