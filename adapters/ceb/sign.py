"""Enveloped xmldsig signatures for the CEB messages that need one (621).

Customs expects the declaring enterprise's SM2/SM3 signature made with its e-port certificate; that
signing happens in the enterprise's e-port client or signing service, which a production deployment plugs
in here. The hub itself signs with RSA-SHA256 and C14N 1.0 under a certificate it is configured with, so
that every message it writes is complete, schema-valid and verifiable with standard xmldsig tooling.

The signature is made here with cryptography, in the one shape the hub writes (RSA-SHA256, SHA-256
digest, enveloped, C14N 1.0, the certificate in KeyInfo), over the canonical text ``render`` writes.
signxml built the same signature but copied the document twice (serialise and parse again) before
signing it, which was most of the cost of submitting inventory lists. signxml stays the verifier: the tests check every signature made here with
its ``XMLVerifier``, and ``verify`` uses it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from base64 import b64encode
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from signxml.verifier import XMLVerifier

from adapters.ceb.spec import DSIG_NAMESPACE as DS
from adapters.ceb.xml import DECLARATION

_C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
_RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
_SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
# The namespace declarations of a canonical start tag (C14N writes attributes in double quotes).
_NAMESPACE_DECLARATION = re.compile(r'\sxmlns(?::([\w.-]+))?="([^"]*)"')


class DsigSigner:
    """Signs a message in place of the enterprise's signing service (see the module note)."""

    def __init__(self, key_pem: bytes, cert_pem: bytes) -> None:
        self.key_pem = key_pem
        self.cert_pem = cert_pem
        # Parsed once: loading a PEM key costs tens of milliseconds, more than signing a message.
        key = serialization.load_pem_private_key(key_pem, password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError(f"the CEB signing key must be an RSA key (RSA-SHA256), not {type(key).__name__}")
        self._key = key
        certificate = x509.load_pem_x509_certificate(cert_pem)
        self._certificate = b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()

    def __call__(self, document: bytes) -> bytes:
        """``document`` with an enveloped ds:Signature appended to its root, and the XML declaration.

        ``document`` is UTF-8 XML in canonical form (C14N 1.0), as ``adapters.ceb.xml.render`` writes
        it, so its digest is taken as it stands: the enveloped-signature transform removes the signature
        again, and canonicalising a canonical document changes nothing. Parsing it back with lxml only
        to canonicalise it took two thirds of the time of signing a 100-list message."""
        end = document.rindex(b"</")
        digest = b64encode(hashlib.sha256(document).digest()).decode()
        info = (
            f'<ds:CanonicalizationMethod Algorithm="{_C14N}"></ds:CanonicalizationMethod>'
            f'<ds:SignatureMethod Algorithm="{_RSA_SHA256}"></ds:SignatureMethod>'
            '<ds:Reference URI=""><ds:Transforms>'
            f'<ds:Transform Algorithm="{DS}enveloped-signature"></ds:Transform>'
            f'<ds:Transform Algorithm="{_C14N}"></ds:Transform>'
            f'</ds:Transforms><ds:DigestMethod Algorithm="{_SHA256}"></ds:DigestMethod>'
            f"<ds:DigestValue>{digest}</ds:DigestValue></ds:Reference>"
        )
        # SignedInfo is signed in its canonical form where it stands: with every namespace in scope
        # there (the root's and ds), declared on it in prefix order (C14N 1.0 is inclusive).
        scope = dict(_NAMESPACE_DECLARATION.findall(document[: document.index(b">")].decode()))
        scope["ds"] = DS
        declared = "".join(
            f' xmlns:{prefix}="{uri}"' if prefix else f' xmlns="{uri}"'
            for prefix, uri in sorted(scope.items())
        )
        signed_info = f"<ds:SignedInfo{declared}>{info}</ds:SignedInfo>"
        value = self._key.sign(signed_info.encode(), padding.PKCS1v15(), hashes.SHA256())
        signature = (
            f'<ds:Signature xmlns:ds="{DS}"><ds:SignedInfo>{info}</ds:SignedInfo>'
            f"<ds:SignatureValue>{b64encode(value).decode()}</ds:SignatureValue>"
            f"<ds:KeyInfo><ds:X509Data><ds:X509Certificate>{self._certificate}"
            "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>"
        )
        return DECLARATION + document[:end] + signature.encode() + document[end:]

    def verify(self, data: bytes) -> None:
        """Raise signxml's InvalidSignature unless ``data`` carries a valid signature by this certificate."""
        XMLVerifier().verify(data, x509_cert=self.cert_pem.decode())

    @classmethod
    def from_file(cls, path: str | Path) -> DsigSigner:
        """Read a PEM file holding the private key and its certificate."""
        data = Path(path).read_bytes()
        start = data.find(b"-----BEGIN CERTIFICATE-----")
        if start < 0:
            raise ValueError(f"{path}: no certificate in the PEM file")
        return cls(data[:start] if b"PRIVATE KEY" in data[:start] else data, data[start:])

    @classmethod
    def development(cls, directory: str | Path) -> DsigSigner:
        """A self-signed development signer, created once under ``directory`` and reused after."""
        path = Path(directory) / "ceb-signing-dev.pem"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hub development CEB signer")])
            now = dt.datetime.now(dt.UTC)
            cert = (
                x509.CertificateBuilder()
                .subject_name(name)
                .issuer_name(name)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(days=1))
                .not_valid_after(now + dt.timedelta(days=3650))
                .sign(key, hashes.SHA256())
            )
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ) + cert.public_bytes(serialization.Encoding.PEM)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(pem)
        return cls.from_file(path)
