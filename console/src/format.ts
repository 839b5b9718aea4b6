// Pure helpers for what the pages show: dates, durations, amounts, event labels, ordering.

/** "2026-12-07 11:33 UTC": times are shown in UTC, as every party on a journey reads the same clock. */
export function dateTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)} UTC`;
}

export function day(iso: string | null | undefined): string {
  return iso ? iso.slice(0, 10) : "—";
}

/** Hours as the control room says them: "5 h", "2 d 3 h", "12 d". */
export function hours(h: number | null | undefined): string {
  if (h === null || h === undefined || Number.isNaN(h)) return "—";
  if (h < 0) return `-${hours(-h)}`;
  if (h < 1) return `${Math.round(h * 60)} min`;
  if (h < 24) return `${Math.round(h)} h`;
  const days = Math.floor(h / 24);
  const rest = Math.round(h - days * 24);
  if (days >= 10 || rest === 0) return `${days} d`;
  return rest === 24 ? `${days + 1} d` : `${days} d ${rest} h`;
}

/** A decimal amount as the API gives it (a string), grouped, with its currency. */
export function money(amount: string | number | null | undefined, currency?: string | null): string {
  if (amount === null || amount === undefined || amount === "") return "—";
  const text = String(amount);
  const [whole, frac] = text.replace(/^-/, "").split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const sign = text.startsWith("-") ? "-" : "";
  const cents = frac === undefined ? "" : `.${frac.padEnd(2, "0")}`;
  return `${sign}${grouped}${cents}${currency ? ` ${currency}` : ""}`;
}

// DCSA event type codes as a person reads them.
const EQUIPMENT: Record<string, string> = {
  LOAD: "Loaded",
  DISC: "Discharged",
  GTIN: "Gated in",
  GTOT: "Gated out",
  STUF: "Stuffed",
  STRP: "Stripped",
  PICK: "Picked up",
  DROP: "Dropped off",
  INSP: "Inspected",
  RSEA: "Resealed",
  RMVD: "Removed",
};
const TRANSPORT: Record<string, string> = { ARRI: "Arrived", DEPA: "Departed" };
const CLASSIFIER: Record<string, string> = { ACT: "actual", PLN: "planned", EST: "estimated", REQ: "requested" };

export function eventLabel(eventType: string, typeCode: string, classifier: string): string {
  const what = EQUIPMENT[typeCode] ?? TRANSPORT[typeCode] ?? `${eventType.toLowerCase()} ${typeCode}`;
  const when = CLASSIFIER[classifier] ?? classifier;
  return classifier === "ACT" ? what : `${what} (${when})`;
}

export interface TimedEvent {
  eventDateTime: string;
  classifier: string;
  id: string;
}

/** Events in the order they happen; at the same time an actual comes before a plan for it. */
export function byTime<T extends TimedEvent>(events: readonly T[]): T[] {
  const rank = (c: string) => (c === "ACT" ? 0 : c === "EST" ? 1 : 2);
  return [...events].sort(
    (a, b) =>
      a.eventDateTime.localeCompare(b.eventDateTime) || rank(a.classifier) - rank(b.classifier) || a.id.localeCompare(b.id),
  );
}

/** How far an actual time is from its plan: "+3 h late", "2 h early", "on time" (within 30 minutes). */
export function delay(planned: string | null | undefined, actual: string | null | undefined): string | null {
  if (!planned || !actual) return null;
  const h = (new Date(actual).getTime() - new Date(planned).getTime()) / 3_600_000;
  if (Math.abs(h) < 0.5) return "on time";
  return h > 0 ? `${hours(h)} late` : `${hours(-h)} early`;
}

/** Label of a dwell band: "0–1 d", "7–14 d", "14 d +". */
export function band(fromHours: number, toHours: number | null): string {
  const d = (h: number) => (h % 24 === 0 ? `${h / 24}` : `${(h / 24).toFixed(1)}`);
  return toHours === null ? `${d(fromHours)} d +` : `${d(fromHours)}–${d(toHours)} d`;
}

/** ENUM_VALUES as words: "CUSTOMS_RELEASED" -> "Customs released". */
export function words(value: string | null | undefined): string {
  if (!value) return "—";
  const s = value.toLowerCase().replace(/_/g, " ");
  return s.charAt(0).toUpperCase() + s.slice(1);
}
