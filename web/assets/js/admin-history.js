// The admin console's listing history: find a listing (name or id, in the chosen region), see its versions
// newest first (who, when, which batch, what changed) and restore one after a confirmation step.

import { t, api, h, showProblem, localized, formatNumber } from "./core.js";
import { formatDate } from "./admin-views.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const IGNORED = new Set(["last_modified"]);

/** Top-level fields whose content differs between two versions of a listing. */
export function changedFields(newer, older) {
  if (!older) return [];
  const keys = new Set([...Object.keys(newer || {}), ...Object.keys(older || {})]);
  return [...keys].filter((key) => !IGNORED.has(key)
    && JSON.stringify(newer?.[key] ?? null) !== JSON.stringify(older?.[key] ?? null)).sort();
}

export function historySection({ region, setUrl, openBatch }) {
  const input = h("input", { type: "search", id: "history-query", name: "q", autocomplete: "off",
    "aria-describedby": "history-query-help" });
  const results = h("div", { class: "admin-history-results", "aria-live": "polite" });
  const view = h("div", { class: "admin-history-view" });
  const form = h("form", { role: "search", "aria-labelledby": "history-title", onsubmit: (event) => { event.preventDefault(); find(); } },
    h("label", { for: "history-query" }, t("admin.history.find")),
    h("div", { class: "row" }, input, h("button", { type: "submit", class: "button" }, t("admin.history.search"))),
    h("p", { id: "history-query-help", class: "hint" }, t("admin.history.find.help")));
  const section = h("section", { class: "admin-section admin-history", "aria-labelledby": "history-title" },
    h("h2", { id: "history-title" }, t("admin.history.title")), form, results, view);

  async function find() {
    const query = input.value.trim();
    if (!query) return;
    if (UUID.test(query)) { open(query); return; }
    results.setAttribute("aria-busy", "true");
    try {
      const answer = await api("/services", { query: { search: query, region: region(), per_page: 10 }, auth: false });
      const found = answer.contents || [];
      results.replaceChildren(
        h("p", {}, found.length ? t("admin.history.results", { count: formatNumber(found.length) }) : t("admin.history.none")),
        found.length ? h("ul", { class: "admin-found" }, found.map((service) => {
          const name = localized(service.name);
          return h("li", {}, h("span", {}, name, " ", h("span", { class: "muted" }, localized(service.organization?.name))), " ",
            h("button", { type: "button", class: "button", "aria-label": t("admin.history.open.label", { name }),
              onclick: () => open(service.id) }, t("admin.history.open")));
        })) : null);
    } catch (error) {
      showProblem(results, error, find);
    } finally {
      results.setAttribute("aria-busy", "false");
    }
  }

  async function open(serviceId, notice = null) {
    view.setAttribute("aria-busy", "true");
    let history;
    try {
      history = await api(`/admin/listings/${encodeURIComponent(serviceId)}/history`);
    } catch (error) {
      showProblem(view, error, () => open(serviceId));
      view.setAttribute("aria-busy", "false");
      return;
    }
    setUrl({ listing: serviceId });
    view.setAttribute("aria-busy", "false");
    const versions = history.versions || [];
    const name = localized(versions[0]?.listing?.name) || serviceId;
    const title = h("h3", { id: "history-of", tabindex: "-1" }, t("admin.history.of", { name }));
    view.replaceChildren(h("div", { class: "card", role: "region", "aria-labelledby": "history-of" },
      title,
      h("p", { class: "muted" }, h("code", { class: "id" }, serviceId)),
      notice ? h("p", { class: "success", role: "status" }, notice) : null,
      h("ol", { class: "admin-versions", reversed: true },
        versions.map((version, index) => versionItem(serviceId, version, versions[index + 1]))),
      h("button", { type: "button", class: "button link", onclick: close }, t("admin.history.close"))));
    title.focus();
    section.scrollIntoView?.({ block: "start" });
  }

  function versionItem(serviceId, version, older) {
    const changed = changedFields(version.listing, older?.listing);
    const restoreSlot = h("div", { class: "admin-restore" });
    const item = h("li", { class: "admin-version", dataset: { version: version.version } },
      h("h4", {}, t("admin.history.version", { version: version.version }),
        version.current ? [" ", h("span", { class: "badge open" }, t("admin.history.current"))] : null),
      h("dl", { class: "admin-version-meta" },
        meta("admin.history.when", formatDate(version.changed_at) || "—"),
        meta("admin.history.who", version.changed_by || t("admin.history.initial")),
        version.batch_id ? meta("admin.history.batch", h("button", { type: "button", class: "button link",
          onclick: () => openBatch(version.batch_id) }, `#${version.batch_id.slice(0, 8)}`)) : null,
        version.note ? meta("admin.history.note", version.note) : null,
        meta("admin.history.status", version.status ? t(`admin.listing.${version.status}`) : ""),
        meta("admin.history.changed", older ? (changed.join(", ") || "—") : t("admin.history.first"))),
      restoreSlot);
    if (!version.current) {
      const ask = h("button", { type: "button", class: "button" }, t("admin.history.restore", { version: version.version }));
      ask.addEventListener("click", () => confirmRestore(serviceId, version.version, restoreSlot, ask));
      restoreSlot.append(ask);
    }
    return item;
  }

  function confirmRestore(serviceId, versionNumber, slot, ask) {
    const yes = h("button", { type: "button", class: "button primary" }, t("admin.history.restore.yes"));
    const no = h("button", { type: "button", class: "button" }, t("admin.cancel"));
    const box = h("div", { class: "notice", role: "group", "aria-label": t("admin.history.restore", { version: versionNumber }) },
      h("p", {}, t("admin.history.restore.confirm", { version: versionNumber })), yes, " ", no);
    no.addEventListener("click", () => { slot.replaceChildren(ask); ask.focus(); });
    yes.addEventListener("click", async () => {
      yes.disabled = true;
      no.disabled = true;
      try {
        const restored = await api(`/admin/listings/${encodeURIComponent(serviceId)}/restore`,
          { method: "POST", body: { version: versionNumber } });
        await open(serviceId, t("admin.history.restored", { from: restored.restored_from, version: restored.version }));
      } catch (error) {
        showProblem(slot, error, () => confirmRestore(serviceId, versionNumber, slot, ask));
      }
    });
    slot.replaceChildren(box);
    yes.focus();
  }

  function close() {
    view.replaceChildren();
    setUrl({ listing: null });
    input.focus();
  }

  function reset() {
    results.replaceChildren();
  }

  return { section, open, reset };
}

function meta(labelKey, value) {
  return h("div", {}, h("dt", {}, t(labelKey)), h("dd", {}, value));
}
