from config.broker import install as _install_broker

_install_broker()  # before any broker connection: `filesystem://` writes atomically

from config.celery_app import app as celery_app  # noqa: E402

__all__ = ("celery_app",)
