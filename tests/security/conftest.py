"""The time-skipping Temporal test server of the workflow tests, for the security tests."""

from tests.workflows.conftest import workflow_env

__all__ = ["workflow_env"]
