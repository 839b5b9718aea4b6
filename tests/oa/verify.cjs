// TradeTrust's own code on documents the hub wrapped: reads {"documents": [...], "obfuscate": [...],
// "rpcUrl": optional} on
// stdin, writes one verdict per document on stdout. Run by tests/test_open_attestation.py.
const oa = require("@govtechsg/open-attestation");
const {
  verificationBuilder,
  openAttestationHash,
  openAttestationEthereumDocumentStoreStatus,
  isValid,
} = require("@govtechsg/oa-verify");
const { providers } = require("ethers");

async function main() {
  const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
  // Integrity, and with "rpcUrl" the document store's status on that node; the identity check needs DNS,
  // out of reach here.
  const verify = input.rpcUrl
    ? verificationBuilder([openAttestationHash, openAttestationEthereumDocumentStoreStatus], {
        provider: new providers.JsonRpcProvider(input.rpcUrl),
      })
    : verificationBuilder([openAttestationHash], { network: "sepolia" });
  const verdicts = [];
  for (const document of input.documents) {
    const fragments = await verify(document);
    const verdict = {
      schema: oa.validateSchema(document),
      signature: oa.verifySignature(document),
      integrity: isValid(fragments, ["DOCUMENT_INTEGRITY"]),
      status: input.rpcUrl ? isValid(fragments, ["DOCUMENT_STATUS"]) : null,
      fragments: fragments.map((f) => ({ type: f.type, name: f.name, status: f.status, reason: f.reason })),
      data: oa.getData(document),
    };
    if (input.obfuscate && input.obfuscate.length) {
      const hidden = oa.obfuscateDocument(document, input.obfuscate);
      verdict.obfuscated = hidden;
      verdict.obfuscatedSignature = oa.verifySignature(hidden);
    }
    verdicts.push(verdict);
  }
  process.stdout.write(JSON.stringify(verdicts));
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error));
  process.exit(1);
});
