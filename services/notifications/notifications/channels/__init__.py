"""Delivery channels: SMTP email and SMS providers (the in-app inbox is a table); ``outbound`` holds a
process's live settings, senders and circuit breakers."""
from .email import PermanentFailure, SmtpConfig, SmtpSender, TemporaryFailure
from .sms import HttpSmsProvider, LogSmsProvider, provider_from_env

__all__ = ["PermanentFailure", "SmtpConfig", "SmtpSender", "TemporaryFailure", "HttpSmsProvider",
           "LogSmsProvider", "provider_from_env"]
