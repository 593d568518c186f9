#!/usr/bin/env python3
"""The broker's side of the events for other systems, without the Kubernetes operators (a laptop, a server):
event streams for replay, and read-only users for outside systems. Idempotent; run by deploy/setup.sh.

    python deploy/subscribers.py streams                 # <service>.events -> <service>.events.stream, every service
    python deploy/subscribers.py grant rectorat-versailles --password-file secret.txt
    python deploy/subscribers.py grant subscriber --password subscriber     # the development user (setup.sh)
    python deploy/subscribers.py revoke rectorat-versailles
    python deploy/subscribers.py show rectorat-versailles

The vhost is the platform's (the path of AMQP_URI; ``/`` by default); ``--vhost`` to choose another. Users and
permissions go through ``rabbitmqctl`` (run as root, or through sudo); the streams through AMQP with the
platform's URI. The permissions and stream arguments are those of ``common.subscribers`` (docs/bus.md), the same
as the Kubernetes objects of deploy/kubernetes/base/subscribers.yaml.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import urllib.parse

from common import settings, subscribers

# Each subscriber's connections and channels are bounded: a faulty outside system cannot exhaust the broker.
USER_LIMITS = (f'{{"max-connections": {subscribers.USER_MAX_CONNECTIONS}, '
               f'"max-channels": {subscribers.USER_MAX_CHANNELS}}}')


def vhost_of(uri: str) -> str:
    path = urllib.parse.urlsplit(uri).path
    return urllib.parse.unquote(path[1:]) if len(path) > 1 else "/"


def rabbitmqctl(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    command = ["rabbitmqctl", "-q", *args]
    if os.geteuid() != 0 and shutil.which("sudo"):
        command = ["sudo", *command]
    return subprocess.run(command, check=check, capture_output=True, text=True)


def user_exists(user: str) -> bool:
    out = rabbitmqctl("list_users").stdout
    return any(line.split("\t")[0] == user for line in out.splitlines())


def grant(user: str, vhost: str, password: str | None) -> dict:
    """Create ``user`` if absent (no tags: no management access), set its password when given, its limits and
    its permissions on ``vhost``. Returns the permissions."""
    perms = subscribers.permissions(user)
    if not user_exists(user):
        if password is None:
            raise SystemExit(f"{user}: new user, give --password or --password-file")
        rabbitmqctl("add_user", user, password)
    elif password is not None:
        rabbitmqctl("change_password", user, password)
    rabbitmqctl("set_user_tags", user)  # none: no management UI or API
    rabbitmqctl("set_permissions", "-p", vhost, user, perms["configure"], perms["write"], perms["read"])
    # not on every broker version: limits are a safeguard, not a condition
    rabbitmqctl("set_user_limits", user, USER_LIMITS, check=False)
    return perms


def revoke(user: str) -> None:
    if user_exists(user):
        rabbitmqctl("delete_user", user)  # closes its connections; its queues stay until deleted


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--amqp-uri", default=settings.amqp_uri(), help="the platform's broker (default: AMQP_URI)")
    ap.add_argument("--vhost", help="default: the vhost of the AMQP URI")
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("streams", help="declare each service's event stream and its binding")
    g = sub.add_parser("grant", help="create or update a read-only subscriber user")
    g.add_argument("user")
    secret = g.add_mutually_exclusive_group()
    secret.add_argument("--password")
    secret.add_argument("--password-file")
    r = sub.add_parser("revoke", help="delete a subscriber user")
    r.add_argument("user")
    s = sub.add_parser("show", help="print the permissions a subscriber user gets")
    s.add_argument("user")
    args = ap.parse_args(argv)
    if getattr(args, "user", None):
        try:
            subscribers.check_user_name(args.user)
        except ValueError as exc:
            ap.error(str(exc))
    vhost = args.vhost or vhost_of(args.amqp_uri)
    if args.command == "streams":
        for name in subscribers.declare_event_streams(settings.SERVICES, args.amqp_uri):
            print(f"stream {name} (vhost {vhost})", file=sys.stderr)
    elif args.command == "grant":
        password = args.password
        if args.password_file:
            with open(args.password_file, encoding="utf-8") as f:
                password = f.read().strip()
        perms = grant(args.user, vhost, password)
        print(f"{args.user} on vhost {vhost}: configure {perms['configure']} write {perms['write']} "
              f"read {perms['read']}", file=sys.stderr)
    elif args.command == "revoke":
        revoke(args.user)
        print(f"{args.user} deleted", file=sys.stderr)
    else:
        for key, value in subscribers.permissions(args.user).items():
            print(f"{key}\t{value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
