// Admin console (issue #7): region-admin and platform-admin sign in with a token, check a batch file (dry run:
// the diff and every row error in their language), confirm it (Idempotency-Key: a double click applies once),
// follow it to `applied`, decide possible duplicates, see the region's recent batches, browse a listing's
// history and restore a version. The URL keeps the batch (?batch=) and the listing (?listing=) on view, so the
// language switch (a link) shows the same thing in the other language.

import { boot, t, api, h, ApiError, showProblem, requireSignIn, signedInBar, otherLanguageUrl, formatNumber } from "./core.js";
import { STRINGS } from "./admin-strings.js";
import { countsList, changesTable, warningsBlock, errorsTable, duplicatesBlock, batchesTable, statusBadge, formatDate } from "./admin-views.js";
import { historySection } from "./admin-history.js";

const CONTENT_TYPES = { json: "application/json", zip: "application/zip", csv: "text/csv", xml: "application/xml" };
const EXTENSIONS = { json: "json", hsds: "json", zip: "zip", csv: "csv", txt: "csv", xml: "xml" };
const DIRECT_MAX_BYTES = 10 * 1024 * 1024; // the API refuses larger bodies (413): those go through S3
const ERRORS_PER_PAGE = 50;
const POLL_MS = 1000;
const POLL_LIMIT_MS = 20 * 60 * 1000;
const SETTLED = new Set(["validated", "applied", "rejected", "failed"]);
const ALL_REGIONS = Array.from({ length: 17 }, (_, i) => String(i + 1).padStart(2, "0"));

const app = document.getElementById("app");
const ui = {};
let submission = null; // { file, type, region, mode, language, source, confirm, key, previewId }

// ---- URL state ----------------------------------------------------------------------------------------------

function setUrl(changes) {
  const url = new URL(location.href);
  for (const [name, value] of Object.entries(changes)) {
    if (value) url.searchParams.set(name, value);
    else url.searchParams.delete(name);
  }
  history.replaceState(null, "", url.pathname + url.search + url.hash);
  for (const link of document.querySelectorAll("[data-lang-switch]")) link.href = otherLanguageUrl();
}

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- start --------------------------------------------------------------------------------------------------

async function start() {
  let me;
  try {
    me = await requireSignIn(app, ["region-admin", "platform-admin"]);
  } catch (error) {
    showProblem(app, error, start);
    return;
  }
  render(me);
}

function render(me) {
  const regions = me.all_regions ? ALL_REGIONS : [...(me.regions || [])].sort();
  ui.status = h("p", { id: "batch-status", class: "admin-status", role: "status", "aria-live": "polite" });
  ui.result = h("div", { id: "batch-result", class: "admin-result" });
  ui.batchesTitle = h("h2", { id: "batches-title" });
  ui.batches = h("div", { "aria-live": "polite" });
  ui.history = historySection({ region: () => ui.region.value, setUrl, openBatch: showBatch });
  app.replaceChildren(
    signedInBar(me, () => { setUrl({ batch: null, listing: null }); start(); }),
    uploadForm(regions),
    ui.status,
    ui.result,
    h("section", { class: "admin-section", "aria-labelledby": "batches-title" }, ui.batchesTitle, ui.batches),
    ui.history.section,
  );
  loadBatches();
  const params = new URLSearchParams(location.search);
  if (params.get("batch")) showBatch(params.get("batch"));
  if (params.get("listing")) ui.history.open(params.get("listing"));
}

// ---- the upload form ----------------------------------------------------------------------------------------

function field(id, labelKey, control, helpKey) {
  return h("div", { class: "field" }, h("label", { for: id }, t(labelKey)), control,
    helpKey ? h("p", { id: `${id}-help`, class: "hint" }, t(helpKey)) : null);
}

function uploadForm(regions) {
  ui.file = h("input", { type: "file", id: "batch-file", name: "file", accept: ".json,.zip,.csv,.txt,.xml",
    "aria-describedby": "batch-file-help" });
  ui.format = h("select", { id: "batch-format", name: "format" },
    h("option", { value: "auto" }, t("admin.upload.format.auto")),
    Object.keys(CONTENT_TYPES).map((key) => h("option", { value: key }, t(`admin.upload.format.${key}`))));
  ui.region = h("select", { id: "batch-region", name: "region" }, regions.map((r) => h("option", { value: r }, r)));
  ui.region.addEventListener("change", () => { loadBatches(); ui.history.reset(); });
  ui.language = h("select", { id: "batch-language", name: "language" },
    h("option", { value: "fr" }, "Français"), h("option", { value: "en" }, "English"));
  ui.source = h("input", { type: "text", id: "batch-source", name: "source", pattern: "[a-z0-9][a-z0-9._\\-]{0,39}",
    autocomplete: "off", "aria-describedby": "batch-source-help" });
  const mode = (value, checked) => h("label", { class: "check" },
    h("input", { type: "radio", name: "mode", value, checked }), t(`admin.upload.mode.${value}`));
  ui.submit = h("button", { type: "submit", class: "button primary" }, t("admin.upload.submit"));
  ui.formProblem = h("div", { "aria-live": "assertive" });
  ui.form = h("form", { class: "card admin-upload", "aria-labelledby": "upload-title", novalidate: true, onsubmit: onCheck },
    h("h2", { id: "upload-title" }, t("admin.upload.title")),
    field("batch-file", "admin.upload.file", ui.file, "admin.upload.file.help"),
    h("p", { class: "admin-template" },
      h("a", { href: "templates/modele-repertoire-211.csv", download: "modele-repertoire-211.csv" }, t("admin.upload.template")),
      " · ", h("span", { class: "hint" }, t("admin.upload.template.help"))),
    h("details", { class: "admin-columns" }, h("summary", {}, t("admin.upload.template.columns")),
      h("p", {}, t("admin.upload.template.required"))),
    h("div", { class: "row" },
      field("batch-format", "admin.upload.format", ui.format),
      field("batch-region", "admin.upload.region", ui.region),
      field("batch-language", "admin.upload.language", ui.language)),
    h("fieldset", {}, h("legend", {}, t("admin.upload.mode")), mode("upsert", true), mode("replace", false)),
    field("batch-source", "admin.upload.source", ui.source, "admin.upload.source.help"),
    ui.formProblem,
    ui.submit);
  return ui.form;
}

function contentTypeOf(file, format) {
  if (format !== "auto") return CONTENT_TYPES[format];
  const extension = (file.name.split(".").pop() || "").toLowerCase();
  return CONTENT_TYPES[EXTENSIONS[extension]] || null;
}

function formProblem(text) {
  ui.formProblem.replaceChildren(text ? h("p", { class: "problem", role: "alert" }, text) : "");
}

async function onCheck(event) {
  event.preventDefault();
  formProblem(null);
  const file = ui.file.files[0];
  if (!file) { formProblem(t("admin.upload.no_file")); ui.file.focus(); return; }
  const type = contentTypeOf(file, ui.format.value);
  if (!type) { formProblem(t("admin.upload.unknown_format")); ui.format.focus(); return; }
  submission = {
    file, type, region: ui.region.value, language: ui.language.value, source: ui.source.value.trim() || null,
    mode: ui.form.querySelector("input[name=mode]:checked").value, confirm: null, key: null, previewId: null,
  };
  await run(submission, true);
}

// ---- sending and following a batch ------------------------------------------------------------------------

function setStatus(status) {
  ui.status.replaceChildren(status ? t("admin.status.line", { status: t(`admin.status.${status}`) }) : "");
  ui.status.dataset.status = status || "";
}

async function send(sub, dryRun) {
  const query = { region: sub.region, mode: sub.mode, language: sub.language, source: sub.source,
    dry_run: dryRun ? "true" : null, confirm_deactivate: sub.confirm };
  const headers = dryRun ? {} : { "Idempotency-Key": sub.key };
  if (sub.file.size <= DIRECT_MAX_BYTES) {
    return api("/admin/batches", { method: "POST", query, body: sub.file, contentType: sub.type, headers });
  }
  // Over 10 MB: a presigned PUT to the batches bucket; the S3 event starts the same import.
  ui.status.textContent = t("admin.upload.large", { size: formatNumber(sub.file.size / 1048576, { maximumFractionDigits: 1 }) });
  const created = await api("/admin/batches/uploads", { method: "POST", query, headers,
    body: { content_type: sub.type, filename: sub.file.name.slice(0, 200) } });
  try {
    const put = await fetch(created.upload.url, { method: "PUT", headers: created.upload.headers, body: sub.file });
    if (!put.ok) throw new Error(String(put.status));
  } catch {
    throw new ApiError(0, "upload_failed", t("admin.upload.large_failed"));
  }
  return created;
}

async function follow(batch) {
  const started = Date.now();
  while (!SETTLED.has(batch.status) && Date.now() - started < POLL_LIMIT_MS) {
    setStatus(batch.status);
    await sleep(POLL_MS);
    batch = await api(`/admin/batches/${batch.id}`, { query: { errors_per_page: 1 } });
  }
  return batch;
}

/** Sends the submission (a dry run or for real), follows it and shows the outcome. */
async function run(sub, dryRun) {
  busy(true);
  if (dryRun) ui.status.textContent = t("admin.status.sending");
  else setStatus("validating");
  try {
    if (!dryRun && !sub.key) sub.key = newKey();
    const batch = await follow(await send(sub, dryRun));
    if (dryRun) sub.previewId = batch.id;
    await showBatch(batch.id);
  } catch (error) {
    await showFailure(sub, dryRun, error);
  } finally {
    busy(false);
  }
}

function busy(on) {
  ui.submit.disabled = on;
  ui.result.setAttribute("aria-busy", on ? "true" : "false");
}

async function showFailure(sub, dryRun, error) {
  const detail = (error instanceof ApiError && error.details[0]) || {};
  if (error instanceof ApiError && error.code === "confirmation_required" && detail.would_deactivate != null) {
    setStatus("rejected");
    showGuard(sub, dryRun, detail.would_deactivate, error.message);
    return;
  }
  if (error instanceof ApiError && detail.batch_id && (error.status === 422 || error.status === 403)) {
    await showBatch(detail.batch_id, error.message);
    return;
  }
  setStatus(null);
  showProblem(ui.result, error, () => run(sub, dryRun));
  setUrl({ batch: null });
}

function showGuard(sub, dryRun, count, message) {
  const confirm = h("button", { type: "button", class: "button danger", onclick: () => {
    sub.confirm = count;
    sub.key = null; // the guarded batch was refused: a new key, since that one now names a rejected batch
    run(sub, dryRun);
  } }, t("admin.guard.confirm", { count: formatNumber(count) }));
  const title = h("h2", { tabindex: "-1" }, t("admin.guard.title"));
  ui.result.replaceChildren(h("section", { class: "card admin-guard", "aria-labelledby": "guard-title" },
    Object.assign(title, { id: "guard-title" }),
    h("div", { class: "problem", role: "alert" }, h("p", {}, message),
      h("p", {}, t("admin.guard.text", { count: formatNumber(count) }))),
    h("div", { class: "actions" }, confirm,
      h("button", { type: "button", class: "button", onclick: cancel }, t("admin.cancel")))));
  title.focus();
}

function cancel() {
  if (submission) submission.key = null;
  ui.result.replaceChildren();
  setStatus(null);
  setUrl({ batch: null });
  ui.file.focus();
}

// ---- showing a batch ------------------------------------------------------------------------------------------

/** Loads batch `id` (with page `page` of its errors) and shows it as its status calls for. */
async function showBatch(id, message = null, page = 1) {
  ui.result.setAttribute("aria-busy", "true");
  let batch;
  try {
    batch = await api(`/admin/batches/${encodeURIComponent(id)}`, { query: { errors_page: page, errors_per_page: ERRORS_PER_PAGE } });
  } catch (error) {
    showProblem(ui.result, error, () => showBatch(id, message, page));
    ui.result.setAttribute("aria-busy", "false");
    return;
  }
  setUrl({ batch: id });
  if (!SETTLED.has(batch.status)) {
    ui.result.replaceChildren();
    batch = await follow(batch).catch((error) => { showProblem(ui.result, error, () => showBatch(id)); return null; });
    if (!batch) return;
    return showBatch(id, message, page);
  }
  setStatus(batch.status);
  ui.result.setAttribute("aria-busy", "false");
  if (batch.status === "rejected") renderErrors(batch, message);
  else if (batch.status === "validated") renderPreview(batch);
  else if (batch.status === "applied") renderApplied(batch);
  else renderFailed(batch);
  if (batch.status !== "validated") loadBatches();
}

function resultSection(className, titleKey, ...children) {
  const title = h("h2", { id: "result-title", tabindex: "-1" }, t(titleKey));
  ui.result.replaceChildren(h("section", { class: `card ${className}`, "aria-labelledby": "result-title" },
    title, children));
  title.focus();
}

function headerLine(batch) {
  return h("p", { class: "admin-batch-meta" }, statusBadge(batch.status), " ",
    h("span", { class: "muted" }, [formatDate(batch.created_at), batch.format, batch.mode, `#${batch.id.slice(0, 8)}`]
      .filter(Boolean).join(" · ")));
}

function renderPreview(batch) {
  const sub = submission && submission.previewId === batch.id ? submission : null;
  let actions;
  if (sub) {
    sub.key = newKey(); // once per confirmation: every click of this button sends the same key
    const apply = h("button", { type: "button", class: "button primary", id: "confirm-batch" }, t("admin.confirm"));
    apply.addEventListener("click", () => {
      if (apply.disabled) return;
      apply.disabled = true;
      run(sub, false);
    });
    actions = h("div", { class: "actions" }, apply,
      h("button", { type: "button", class: "button", onclick: cancel }, t("admin.cancel")),
      h("p", { class: "hint" }, t("admin.confirm.help")));
  } else {
    actions = h("p", { class: "notice" }, t("admin.reselect"));
  }
  resultSection("admin-preview", "admin.dry.title",
    headerLine(batch),
    h("p", {}, t("admin.dry.intro", { region: batch.region })),
    countsList(batch.counts),
    warningsBlock(batch),
    changesTable(batch.changes || [], changeTotal(batch)),
    (batch.possible_duplicates || []).length ? h("p", { class: "notice" }, t("admin.dups.intro")) : null,
    actions);
}

function changeTotal(batch) {
  const c = batch.counts || {};
  return (c.created || 0) + (c.updated || 0) + (c.deactivated || 0);
}

async function renderApplied(batch) {
  const duplicates = batch.possible_duplicates || [];
  resultSection("admin-applied", "admin.applied.title",
    headerLine(batch),
    h("p", { class: "success" }, t("admin.applied.text", { region: batch.region })),
    countsList(batch.counts),
    warningsBlock(batch),
    changesTable(batch.changes || [], changeTotal(batch), (id) => ui.history.open(id)),
    h("div", { id: "duplicates" }));
  if (!duplicates.length) return;
  const names = {};
  await Promise.all(duplicates.slice(0, 20).map(async (d) => {
    try { names[d.candidate_id] = (await api(`/services/${d.candidate_id}`, { auth: false })).name || ""; } catch { /* id only */ }
  }));
  const holder = ui.result.querySelector("#duplicates");
  holder?.replaceChildren(duplicatesBlock(duplicates, names, async (decisions, button) => {
    button.disabled = true;
    try {
      await api(`/admin/batches/${batch.id}/duplicates`, { method: "POST", body: { decisions } });
      await showBatch(batch.id);
      ui.status.textContent = t("admin.dups.saved");
    } catch (error) {
      button.disabled = false;
      showProblem(holder, error);
    }
  }));
}

function renderErrors(batch, message) {
  const paging = batch.errors_page || { page: 1, per_page: ERRORS_PER_PAGE, total: (batch.errors || []).length };
  resultSection("admin-errors-view", "admin.errors.title",
    headerLine(batch),
    h("div", { class: "problem", role: "alert" },
      message ? h("p", {}, message) : null,
      h("p", {}, t("admin.errors.rejected"))),
    countsList(batch.counts),
    errorsTable(batch.errors || [], paging, (page) => showBatch(batch.id, message, page)),
    warningsBlock(batch));
}

function renderFailed(batch) {
  resultSection("admin-failed", "admin.status.failed", headerLine(batch),
    h("p", { class: "problem", role: "alert" }, t("admin.status.failed.help")));
}

// ---- the region's recent batches ------------------------------------------------------------------------------

async function loadBatches() {
  const region = ui.region.value;
  ui.batchesTitle.textContent = t("admin.batches.title", { region });
  ui.batches.setAttribute("aria-busy", "true");
  try {
    const answer = await api("/admin/batches", { query: { region } });
    if (region !== ui.region.value) return;
    ui.batches.replaceChildren(batchesTable(answer.contents || [], (id) => showBatch(id)));
  } catch (error) {
    showProblem(ui.batches, error, loadBatches);
  } finally {
    ui.batches.setAttribute("aria-busy", "false");
  }
}

boot(STRINGS).then(start);
