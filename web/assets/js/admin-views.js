// The admin console's pieces of view: counts, changes, row errors, duplicates, recent batches. Pure DOM builders
// (no API calls) shared by admin.js and admin-history.js.

import { t, h, state, formatNumber, localized } from "./core.js";

export const COUNT_KEYS = ["received", "created", "updated", "unchanged", "deactivated", "rejected",
  "possible_duplicates", "organizations_created", "organizations_updated"];

export function formatDate(value) {
  if (!value) return "";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return new Intl.DateTimeFormat(state.lang === "fr" ? "fr-CA" : "en-CA",
    { dateStyle: "medium", timeStyle: "short" }).format(date);
}

/** The text of a row error or warning in the page's language. */
export function problemMessage(problem) {
  return (state.lang === "en" ? problem.message_en : problem.message) || problem.message || problem.message_en || "";
}

/** Where a problem is: "ligne 3", "fichier" or the element path. */
export function problemWhere(problem) {
  if (problem.row != null) return t("admin.errors.row", { row: problem.row });
  if (problem.element === "file") return t("admin.errors.file");
  return problem.element || problem.ref || "";
}

export function statusBadge(status) {
  const tone = { applied: "open", validated: "open", rejected: "closed", failed: "closed" }[status] || "unknown";
  return h("span", { class: `badge ${tone}`, dataset: { status } }, t(`admin.status.${status}`));
}

/** The batch's counts as a definition list (only the counts the API gave). */
export function countsList(counts = {}) {
  const items = COUNT_KEYS.filter((key) => counts[key] != null);
  return h("dl", { class: "admin-counts", "aria-label": t("admin.counts.caption") },
    items.map((key) => h("div", { class: `count count-${key}`, dataset: { count: key } },
      h("dt", {}, t(`admin.counts.${key}`)),
      h("dd", {}, formatNumber(counts[key])))));
}

/** The list of changes; `onHistory(service_id)` adds a history button to listings that exist. */
export function changesTable(changes = [], total = changes.length, onHistory = null) {
  if (!changes.length) return h("p", { class: "muted" }, t("admin.changes.none"));
  const shown = changes.slice(0, 200);
  return h("div", {},
    h("div", { class: "table-wrap" },
      h("table", { class: "admin-changes" },
        h("caption", {}, t("admin.changes.caption", { count: formatNumber(total) })),
        h("thead", {}, h("tr", {},
          h("th", { scope: "col" }, t("admin.changes.row")),
          h("th", { scope: "col" }, t("admin.changes.action")),
          h("th", { scope: "col" }, t("admin.changes.listing")),
          h("th", { scope: "col" }, t("admin.changes.fields")))),
        h("tbody", {}, shown.map((change) => h("tr", { dataset: { action: change.action } },
          h("td", {}, change.ref ?? ""),
          h("td", {}, t(`admin.action.${change.action}`)),
          h("td", {}, change.name ? [localized(change.name), h("br")] : null, h("code", { class: "id" }, change.service_id),
            onHistory && change.action !== "create"
              ? [" ", h("button", { type: "button", class: "button link", onclick: () => onHistory(change.service_id) },
                t("admin.history.open"))]
              : null),
          h("td", {}, (change.fields || []).join(", "))))))),
    total > shown.length ? h("p", { class: "hint" }, t("admin.changes.more", { shown: shown.length, total })) : null);
}

/** Warnings (they do not block), folded. */
export function warningsBlock(batch) {
  const warnings = batch.warnings || [];
  if (!warnings.length) return null;
  return h("details", { class: "admin-warnings" },
    h("summary", {}, t("admin.warnings", { count: formatNumber(batch.warning_count || warnings.length) })),
    h("ul", {}, warnings.slice(0, 100).map((w) => h("li", {},
      [problemWhere(w), w.field].filter(Boolean).join(" · "), state.lang === "fr" ? " : " : ": ",
      problemMessage(w)))));
}

/** One page of row errors, with a pager when there are more. `onPage(n)` loads page n. */
export function errorsTable(errors, paging, onPage) {
  const { page, per_page: perPage, total } = paging;
  const from = total ? (page - 1) * perPage + 1 : 0;
  const to = Math.min(total, (page - 1) * perPage + errors.length);
  const pages = Math.max(1, Math.ceil(total / perPage));
  return h("div", { class: "admin-errors" },
    h("div", { class: "table-wrap" },
      h("table", {},
        h("caption", {}, t("admin.errors.caption", { from: formatNumber(from), to: formatNumber(to), total: formatNumber(total) })),
        h("thead", {}, h("tr", {},
          h("th", { scope: "col" }, t("admin.errors.where")),
          h("th", { scope: "col" }, t("admin.errors.field")),
          h("th", { scope: "col" }, t("admin.errors.message")))),
        h("tbody", {}, errors.map((error) => h("tr", { dataset: { code: error.code } },
          h("td", {}, problemWhere(error)),
          h("td", {}, error.field || ""),
          h("td", {}, problemMessage(error))))))),
    pages > 1
      ? h("nav", { class: "pager", "aria-label": t("admin.pager.label") },
        h("button", { type: "button", class: "button", disabled: page <= 1, onclick: () => onPage(page - 1) },
          t("admin.pager.previous")),
        h("span", {}, t("admin.pager.page", { page, pages })),
        h("button", { type: "button", class: "button", disabled: page >= pages, onclick: () => onPage(page + 1) },
          t("admin.pager.next")))
      : null);
}

/** Held duplicates with a decision per pending one; `onSave(decisions)` posts them. `names`: id -> name. */
export function duplicatesBlock(duplicates, names, onSave) {
  if (!duplicates.length) return null;
  const selects = [];
  const rows = duplicates.map((dup) => {
    let decision;
    if (dup.status === "pending") {
      const select = h("select", { "aria-label": t("admin.dups.decision.for", { ref: dup.ref ?? dup.service_id }),
        dataset: { serviceId: dup.service_id } },
      h("option", { value: "" }, t("admin.dups.pending")),
      ["link", "merge", "keep_both"].map((action) => h("option", { value: action }, t(`admin.dups.${action}`))));
      selects.push(select);
      decision = select;
    } else {
      decision = t("admin.dups.done", { action: t(`admin.dups.${dup.status}`) });
    }
    return h("tr", {},
      h("td", {}, dup.ref ? t("admin.errors.row", { row: dup.ref }) : h("code", { class: "id" }, dup.service_id)),
      h("td", {}, names[dup.candidate_id] || "", " ", h("code", { class: "id" }, dup.candidate_id)),
      h("td", { class: "number" }, formatNumber(dup.score ?? 0)),
      h("td", {}, (dup.reasons || []).join(", ")),
      h("td", {}, decision));
  });
  const save = h("button", { type: "button", class: "button primary" }, t("admin.dups.save"));
  save.addEventListener("click", () => {
    const decisions = selects.filter((s) => s.value).map((s) => ({ service_id: s.dataset.serviceId, action: s.value }));
    if (decisions.length) onSave(decisions, save);
  });
  return h("section", { class: "card admin-duplicates", "aria-labelledby": "dups-title" },
    h("h3", { id: "dups-title" }, t("admin.dups.title")),
    h("p", {}, t("admin.dups.intro")),
    h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {},
        h("th", { scope: "col" }, t("admin.dups.incoming")),
        h("th", { scope: "col" }, t("admin.dups.candidate")),
        h("th", { scope: "col", class: "number" }, t("admin.dups.score")),
        h("th", { scope: "col" }, t("admin.dups.reasons")),
        h("th", { scope: "col" }, t("admin.dups.decision")))),
      h("tbody", {}, rows))),
    selects.length ? save : null);
}

/** The region's recent batches; `onOpen(id)` shows one. */
export function batchesTable(batches, onOpen) {
  if (!batches.length) return h("p", { class: "muted" }, t("admin.batches.none"));
  return h("div", { class: "table-wrap" }, h("table", { class: "admin-batches" },
    h("thead", {}, h("tr", {},
      h("th", { scope: "col" }, t("admin.batches.when")),
      h("th", { scope: "col" }, t("admin.batches.status")),
      h("th", { scope: "col" }, t("admin.batches.format")),
      h("th", { scope: "col" }, t("admin.batches.mode")),
      h("th", { scope: "col" }, t("admin.batches.summary")),
      h("th", { scope: "col" }, t("admin.batches.by")),
      h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, t("admin.batches.open"))))),
    h("tbody", {}, batches.map((batch) => {
      const c = batch.counts || {};
      const when = formatDate(batch.created_at);
      return h("tr", { dataset: { batchId: batch.id } },
        h("td", {}, when),
        h("td", {}, statusBadge(batch.status), batch.dry_run ? ` (${t("admin.batches.dry")})` : ""),
        h("td", {}, batch.format || ""),
        h("td", {}, batch.mode || ""),
        h("td", {}, [c.created ?? 0, c.updated ?? 0, c.deactivated ?? 0].map((n) => formatNumber(n)).join(" / ")),
        h("td", {}, batch.submitted_by || ""),
        h("td", {}, h("button", { type: "button", class: "button link", "aria-label": t("admin.batches.open.label", { when }),
          onclick: () => onOpen(batch.id) }, t("admin.batches.open"))));
    }))));
}
