// TradeTrust's own code on documents the hub wrapped: reads {"documents": [...], "obfuscate": [...]} on
// stdin, writes one verdict per document on stdout. Run by tests/test_open_attestation.py.
const oa = require("@govtechsg/open-attestation");
const { verificationBuilder, openAttestationHash, isValid } = require("@govtechsg/oa-verify");

async function main() {
  const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
  // Integrity alone: the status and identity checks need the document store and DNS, out of reach here.
  const verify = verificationBuilder([openAttestationHash], { network: "sepolia" });
  const verdicts = [];
  for (const document of input.documents) {
    const fragments = await verify(document);
    const verdict = {
      schema: oa.validateSchema(document),
      signature: oa.verifySignature(document),
      integrity: isValid(fragments, ["DOCUMENT_INTEGRITY"]),
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
