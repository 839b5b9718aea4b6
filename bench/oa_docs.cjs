// The documents both sides of bench/oa.py wrap: the hub's document export, numbered.
function makeDocuments(count) {
  const issuer = {
    name: "Port and trade single-window hub",
    documentStore: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
    identityProof: { type: "DNS-TXT", location: "hub.example" },
  };
  const docs = [];
  for (let n = 0; n < count; n++) {
    docs.push({
      issuers: [issuer],
      id: `01a25047-65fb-7e6a-ae0e-${String(n).padStart(12, "0")}`,
      version: 1,
      kind: "COMMERCIAL_INVOICE",
      reference: `HNE-INV-2026-${n}`,
      title: "Commercial invoice, LED monitors",
      issuedOn: "2026-11-02",
      amount: "186000.00",
      currency: "USD",
      owner: "Hanul Electronics Export",
    });
  }
  return docs;
}
module.exports = { makeDocuments };
