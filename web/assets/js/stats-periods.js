// Analyst dashboard: the periods the API answers with (ISO days, ISO weeks, months, years) and number display.

import { formatNumber, state } from "./core.js";

// ---- periods ------------------------------------------------------------------------------------------------

export const locale = () => (state.lang === "fr" ? "fr-CA" : "en-CA");
const isoDay = (d) => d.toISOString().slice(0, 10);

export function isoWeek(day) {
  const d = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate()));
  const weekday = d.getUTCDay() || 7;
  d.setUTCDate(d.getUTCDate() + 4 - weekday);
  const year = d.getUTCFullYear();
  const week = Math.ceil(((d - Date.UTC(year, 0, 1)) / 86400000 + 1) / 7);
  return `${year}-W${String(week).padStart(2, "0")}`;
}

export function periodOf(day, granularity) {
  if (granularity === "day") return isoDay(day);
  if (granularity === "week") return isoWeek(day);
  if (granularity === "month") return isoDay(day).slice(0, 7);
  return isoDay(day).slice(0, 4);
}

/** Every period label the API uses between two days (YYYY-MM-DD), in order. */
export function periodsBetween(first, last, granularity) {
  const labels = [];
  const day = new Date(`${first}T00:00:00Z`);
  const end = new Date(`${last}T00:00:00Z`);
  while (day <= end && labels.length < 4000) {
    const label = periodOf(day, granularity);
    if (labels[labels.length - 1] !== label) labels.push(label);
    if (granularity === "month" || granularity === "year") {
      day.setUTCDate(1);
      if (granularity === "month") day.setUTCMonth(day.getUTCMonth() + 1);
      else day.setUTCFullYear(day.getUTCFullYear() + 1, 0, 1);
    } else {
      day.setUTCDate(day.getUTCDate() + (granularity === "week" ? 7 : 1));
    }
  }
  const lastLabel = periodOf(end, granularity);
  if (labels[labels.length - 1] !== lastLabel) labels.push(lastLabel);
  return labels;
}

export function periodText(label, granularity) {
  if (granularity === "month" && /^\d{4}-\d{2}$/.test(label)) {
    const [year, month] = label.split("-").map(Number);
    return new Intl.DateTimeFormat(locale(), { month: "short", year: "numeric", timeZone: "UTC" })
      .format(new Date(Date.UTC(year, month - 1, 1)));
  }
  return label;
}

// ---- numbers ------------------------------------------------------------------------------------------------

export function measureKind(spec, name) {
  return name === "share" ? "share" : spec.measures.find((m) => m.name === name)?.kind || "count";
}

export function numberText(value, kind) {
  if (kind === "share") return formatNumber(value / 100, { style: "percent", maximumFractionDigits: 1 });
  if (kind === "average") return formatNumber(value, { maximumFractionDigits: 1 });
  return formatNumber(value);
}
