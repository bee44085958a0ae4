"""Where the audit log's signing keys come from (``store/signing.py``).

The processes that append (the worker, the mail dispatcher, ``mandates import --start``)
sign with ``MANDATES_AUDIT_SIGNING_KEY_FILE``, or with the dev stack's key pair under the
data folder, made on first use (the private key mode 0600, its public key beside it).
``mandates audit verify`` accepts the keys of ``MANDATES_AUDIT_PUBLIC_KEY_FILE``, or the dev
stack's public key; it never makes a key.
"""

from __future__ import annotations

from config.settings import Settings
from store.signing import PublicKeys, Signer, load_or_create_signer, load_public_keys, load_signer


def audit_signer(settings: Settings) -> Signer:
    """The key this process signs its audit appends with.

    Raises:
        SigningKeyInvalid: one line naming the file and what is wrong with it.
    """
    if settings.audit_signing_key_file is not None:
        return load_signer(settings.audit_signing_key_file)
    return load_or_create_signer(settings.audit_dev_signing_key_path, settings.audit_dev_public_key_path)


def audit_public_keys(settings: Settings) -> PublicKeys:
    """The public keys verification accepts: none when neither file is there."""
    if settings.audit_public_key_file is not None:
        return load_public_keys(settings.audit_public_key_file)
    if settings.audit_dev_public_key_path.exists():
        return load_public_keys(settings.audit_dev_public_key_path)
    return PublicKeys()
