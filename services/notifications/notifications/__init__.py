"""Notifications service of the "1 élève, 1 stage" platform."""
