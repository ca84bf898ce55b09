"""Admin registrations, one module per concern (Django imports this module)."""

from citizens import admin_accounts, admin_registry  # noqa: F401 - registers the admins
