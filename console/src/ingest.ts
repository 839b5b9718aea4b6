// Which ingest endpoint a dropped file goes to, from its name and first bytes.

export type IngestKind = "edifact" | "dcsa" | "ceb" | "orders-csv" | "orders-json";

export interface Route {
  path: string;
  contentType: string;
  label: string;
}

export const ROUTES: Record<IngestKind, Route> = {
  edifact: { path: "/ingest/edifact", contentType: "application/edifact", label: "EDIFACT (CODECO, COARRI, IFTSTA, BAPLIE)" },
  dcsa: { path: "/ingest/dcsa", contentType: "application/json", label: "DCSA Track & Trace events (2.2 or 3.0)" },
  ceb: { path: "/ingest/ceb", contentType: "application/xml", label: "China customs CEB XML" },
  "orders-csv": { path: "/ingest/orders", contentType: "text/csv", label: "Platform orders (CSV)" },
  "orders-json": { path: "/ingest/orders", contentType: "application/json", label: "Platform orders (JSON)" },
};

/** The kind of a file, or null when neither its name nor its start says (the user then chooses). */
export function sniff(name: string, head: string): IngestKind | null {
  const start = head.replace(/^\uFEFF/, "").trimStart();
  const lower = name.toLowerCase();
  if (start.startsWith("UNA") || start.startsWith("UNB")) return "edifact";
  if (start.startsWith("<")) return "ceb";
  if (lower.endsWith(".csv")) return "orders-csv";
  if (start.startsWith("{") || start.startsWith("[")) {
    // DCSA events carry eventType/eventClassifierCode; platform orders carry CEB311 names (orderNo).
    if (/"eventType"|"eventClassifierCode"|"eventCreatedDateTime"/.test(start)) return "dcsa";
    if (/"orderNo"|"ebpCode"/.test(start)) return "orders-json";
    return null;
  }
  if (lower.endsWith(".edi") || lower.endsWith(".edifact")) return "edifact";
  if (lower.endsWith(".xml")) return "ceb";
  return null;
}
