"""Delivery channels: SMTP email and SMS providers (the in-app inbox is a table)."""
from .email import PermanentFailure, SmtpConfig, SmtpSender, TemporaryFailure  # noqa: F401
from .sms import HttpSmsProvider, LogSmsProvider, provider_from_env  # noqa: F401
