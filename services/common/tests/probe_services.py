"""Small services used to test the plumbing itself (not part of the product)."""
import eventlet
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text

from common.db import Database, plumbing_tables
from common.errors import NotFound
from common.events import event_handler
from common.logs import current_request_id
from common.rpc import Rpc
from common.service import PlatformService, rpc

metadata = MetaData()
plumbing_tables(metadata)
effects = Table("effects", metadata, Column("id", Integer, primary_key=True, autoincrement=True),
                Column("event_id", String(36)), Column("value", String(100)))


class ProbeService(PlatformService):
    name = "probe"
    db = Database("probe", metadata)

    @rpc
    def record(self, value):
        """A change and its event, in one transaction."""
        with self.db.uow() as uow:
            uow.execute(insert(effects).values(value=value))
            envelope = uow.emit("probe.recorded", {"value": value})
        return envelope["event_id"]

    @rpc
    def sleep_in_db(self, seconds):
        with self.db.session() as s:
            s.execute(text("SELECT pg_sleep(:s)"), {"s": seconds})
        return seconds

    @rpc
    def current_request(self):
        return current_request_id()

    @rpc
    def slow(self, seconds):
        eventlet.sleep(seconds)
        return "done"

    @rpc
    def missing(self):
        raise NotFound("Rien ici.", code="probe_missing")

    @rpc
    def effects(self):
        with self.db.session() as s:
            return [dict(r._mapping) for r in s.execute(select(effects.c.event_id, effects.c.value)
                                                        .order_by(effects.c.id))]


class ProbeNoRelayService(ProbeService):
    name = "probe"
    db = Database("probe", metadata, relay=False)


class ListenerService(PlatformService):
    """Consumes probe events idempotently."""
    name = "listener"
    db = Database("probe", metadata, relay=False)

    @event_handler("probe", "probe.recorded")
    def on_recorded(self, envelope):
        with self.db.uow() as uow:
            if not uow.claim(envelope, "listener.on_recorded"):
                return
            uow.execute(insert(effects).values(event_id=envelope["event_id"],
                                               value="seen:" + envelope["data"]["value"]))


class CallerService(PlatformService):
    name = "caller"
    probe = Rpc("probe", timeout=0.5)
    nobody = Rpc("nobody", timeout=0.5)

    @rpc
    def call_slow(self, seconds):
        return self.probe.slow(seconds)

    @rpc
    def call_missing(self):
        return self.probe.missing()

    @rpc
    def call_nobody(self):
        return self.nobody.anything()


class GhostCallerService(PlatformService):
    """Calls a service whose queue exists but that nobody consumes (a stopped service)."""
    name = "ghost_caller"
    ghost = Rpc("ghost", timeout=0.5)

    @rpc
    def call_ghost(self, timeout):
        return self.ghost.with_timeout(timeout).anything()
