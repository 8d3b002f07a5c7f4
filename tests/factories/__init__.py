"""factory-boy factories shared by every test module."""

from tests.factories.accounts import UserFactory

__all__ = ["UserFactory"]
