"""API tests that mark documents ready send to the built-in message sandboxes over real HTTP."""
from tests.notifications.conftest import message_gateways  # noqa: F401 (autouse fixture)
