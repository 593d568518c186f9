"""docker-compose.yml and the code must agree on service names, images and
environment variables (no Docker engine needed to check that)."""
import re

import yaml

from common import settings

ROOT = settings.REPO_ROOT


def _compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_every_service_and_the_gateway_are_in_compose_with_their_dockerfile():
    services = _compose()["services"]
    for name in (*settings.SERVICES, "gateway"):
        assert name in services, name
        dockerfile = services[name]["build"]["dockerfile"]
        assert (ROOT / dockerfile).is_file(), dockerfile
    assert {"postgres", "rabbitmq", "smtp", "redis"} <= set(services)
    assert (ROOT / services["web"]["build"]["dockerfile"]).is_file()


def test_compose_sets_the_env_vars_the_code_reads():
    services = _compose()["services"]
    for name in settings.SERVICES:
        env = services[name]["environment"]
        assert f"{name.upper()}_DATABASE_URL" in env
        assert env[f"{name.upper()}_DATABASE_URL"].endswith(f"/{name}")
        assert "AMQP_URI" in env
    # every env var the compose file sets is read somewhere in the code or the configs
    code = "\n".join(p.read_text() for p in ROOT.glob("services/*/*/**/*.py")) + \
        "\n".join(p.read_text() for p in ROOT.glob("gateway/gateway/**/*.py")) + \
        "\n".join(p.read_text() for p in ROOT.glob("web/stages_web/**/*.py")) + \
        "\n".join(p.read_text() for p in ROOT.glob("*/*/config.yml")) + (ROOT / "gateway/config.yml").read_text()
    for name, spec in services.items():
        if name in ("postgres", "rabbitmq", "smtp", "redis"):
            continue
        for var in spec.get("environment", {}):
            if var.endswith("_DATABASE_URL"):
                assert 'f"{service.upper()}_DATABASE_URL"' in code
                continue
            assert re.search(rf"\b{var}\b", code), f"{name}: {var} is set in compose but read nowhere"


def test_dockerfiles_start_the_class_the_suite_starts():
    from common.testing import GATEWAY_CLASS, SERVICE_CLASSES
    for name, target in {**SERVICE_CLASSES, "gateway": GATEWAY_CLASS}.items():
        path = ROOT / ("gateway/Dockerfile" if name == "gateway" else f"services/{name}/Dockerfile")
        assert target in path.read_text(), f"{path} does not run {target}"
