"""Shared plumbing of the internship platform's services.

Importing this package (or any of its pure modules: ``errors``, ``clock``, ``paris_time``, ``weeks``,
``validation``, ``envelope``, ``scopes``, ``holidays``) patches nothing and loads no library: a domain
may import them. A process that serves (a nameko service, the gateway, a test run) calls
``common.boot.prepare_process()`` once, where it starts.
"""
