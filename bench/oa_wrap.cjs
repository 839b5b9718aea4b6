// OpenAttestation's own wrapDocuments on N documents shaped as the hub's exports, for bench/oa.py.
// Reads {"count": N} on stdin; writes {"seconds": s, "root": ...} on stdout.
const oa = require("@govtechsg/open-attestation");
const { performance } = require("perf_hooks");
const { makeDocuments } = require("./oa_docs.cjs");

const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
const docs = makeDocuments(input.count);
const start = performance.now();
const wrapped = oa.wrapDocuments(docs);
const seconds = (performance.now() - start) / 1000;
const ok = oa.verifySignature(wrapped[wrapped.length - 1]);
process.stdout.write(JSON.stringify({ seconds, ok, root: wrapped[0].signature.merkleRoot }));
