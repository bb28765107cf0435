"""A self-signed certificate for development (``make run`` on https://localhost:8443).

Made once under ``var/tls/`` and reused while valid, so browsers that were told to trust it keep trusting it.
Never used in production: there nginx (or ``IDP_TLS_CERTFILE``) presents a real certificate.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY = dt.timedelta(days=365)
RENEW_BEFORE = dt.timedelta(days=7)


def ensure_self_signed(directory: Path, hostname: str = "localhost") -> tuple[Path, Path]:
    """Return (certfile, keyfile) for ``hostname``, making them when missing or about to expire."""
    directory.mkdir(parents=True, exist_ok=True)
    certfile, keyfile = directory / f"{hostname}.crt", directory / f"{hostname}.key"
    if certfile.exists() and keyfile.exists() and not _expiring(certfile):
        return certfile, keyfile
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    names: list[x509.GeneralName] = [x509.DNSName(hostname)]
    if hostname == "localhost":
        names += [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.IPAddress(ipaddress.ip_address("::1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    keyfile.touch(mode=0o600)
    keyfile.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return certfile, keyfile


def _expiring(certfile: Path) -> bool:
    try:
        cert = x509.load_pem_x509_certificate(certfile.read_bytes())
    except ValueError:
        return True
    return cert.not_valid_after_utc - dt.datetime.now(dt.UTC) < RENEW_BEFORE
