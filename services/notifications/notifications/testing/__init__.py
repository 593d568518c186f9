"""Test helpers of the notifications service (a real SMTP server, a fake SMS endpoint)."""
