"""Settings, logging, the Temporal client factory (with the payload codec, TLS, caller signing
and tracing), the codec server, identities, telemetry and database connections."""
