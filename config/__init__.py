"""Settings, logging and the Temporal client factory shared by the worker, the CLI and tests."""
