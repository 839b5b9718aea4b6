"""Enveloped xmldsig signatures for the CEB messages that need one (621), through signxml.

Customs expects the declaring enterprise's SM2/SM3 signature made with its e-port certificate; that
signing happens in the enterprise's e-port client or signing service, which a production deployment plugs
in here. The hub itself signs with RSA-SHA256 and C14N 1.0 under a certificate it is configured with, so
that every message it writes is complete, schema-valid and verifiable with standard xmldsig tooling.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from signxml.algorithms import CanonicalizationMethod, SignatureMethod
from signxml.signer import XMLSigner
from signxml.verifier import XMLVerifier


class DsigSigner:
    """Signs a message root in place of the enterprise's signing service (see the module note)."""

    def __init__(self, key_pem: bytes, cert_pem: bytes) -> None:
        self.key_pem = key_pem
        self.cert_pem = cert_pem
        # Parsed once: loading a PEM key costs tens of milliseconds, more than signing a message.
        self._key = serialization.load_pem_private_key(key_pem, password=None)
        self._certs = [x509.load_pem_x509_certificate(cert_pem)]

    def __call__(self, root: Any) -> Any:
        signer = XMLSigner(
            signature_algorithm=SignatureMethod.RSA_SHA256,
            c14n_algorithm=CanonicalizationMethod.CANONICAL_XML_1_0,
        )
        signer.namespaces = {"ds": "http://www.w3.org/2000/09/xmldsig#"}
        return signer.sign(root, key=self._key, cert=self._certs)  # type: ignore[arg-type]

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
