import { describe, expect, it } from "vitest";
import { ROUTES, sniff } from "./ingest";

describe("sniff", () => {
  it("knows EDIFACT by its service segments, whatever the name", () => {
    expect(sniff("codeco.txt", "UNA:+.? 'UNB+UNOC:3+X")).toBe("edifact");
    expect(sniff("x", "\uFEFF  UNB+UNOC:3")).toBe("edifact");
    expect(sniff("baplie.edi", "garbage")).toBe("edifact");
  });
  it("tells DCSA events from platform orders in JSON", () => {
    expect(sniff("events.json", '[{"eventID": "1", "eventType": "EQUIPMENT"}]')).toBe("dcsa");
    expect(sniff("events.json", '{"events": [{"eventClassifierCode": "ACT"}]}')).toBe("dcsa");
    expect(sniff("orders.json", '[{"orderNo": "A1", "ebpCode": "X"}]')).toBe("orders-json");
    expect(sniff("mystery.json", '{"hello": 1}')).toBeNull();
  });
  it("reads XML as CEB and CSV as orders", () => {
    expect(sniff("ceb311.xml", '<?xml version="1.0"?><ceb:CEB311Message>')).toBe("ceb");
    expect(sniff("orders.CSV", "orderNo,ebpCode\n")).toBe("orders-csv");
    expect(sniff("notes.txt", "hello")).toBeNull();
  });
  it("sends each kind to its endpoint with its media type", () => {
    expect(ROUTES["orders-csv"]).toMatchObject({ path: "/ingest/orders", contentType: "text/csv" });
    expect(ROUTES.edifact.path).toBe("/ingest/edifact");
  });
});
