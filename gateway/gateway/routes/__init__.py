"""Route modules, one per service's domain. Importing this package registers
every ``@route`` of every module in it."""
import importlib
import pkgutil


def load_all() -> None:
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
