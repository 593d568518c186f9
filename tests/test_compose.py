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
        if name in ("postgres", "rabbitmq", "smtp", "redis", "web"):
            continue
        for var in spec.get("environment", {}):
            if var.endswith("_DATABASE_URL"):
                assert 'f"{service.upper()}_DATABASE_URL"' in code
                continue
            assert re.search(rf"\b{var}\b", code), f"{name}: {var} is set in compose but read nowhere"


def test_dockerfiles_start_the_class_the_suite_starts():
    from testkit.harness import GATEWAY_CLASS, SERVICE_CLASSES
    for name, target in {**SERVICE_CLASSES, "gateway": GATEWAY_CLASS}.items():
        path = ROOT / ("gateway/Dockerfile" if name == "gateway" else f"services/{name}/Dockerfile")
        assert target in path.read_text(), f"{path} does not run {target}"


def test_compose_runs_the_web_front_end_with_its_gateway_and_sessions():
    services = _compose()["services"]
    web = services["web"]
    assert web["build"]["dockerfile"] == "web/Dockerfile"
    assert web["environment"]["STAGES_GATEWAY_URL"] == "http://gateway:8000"
    assert web["environment"]["STAGES_WEB_REDIS_URL"].startswith("redis://redis:")
    assert {"gateway", "redis"} <= set(web["depends_on"])
    if (ROOT / "web").is_dir():  # the web part, once merged, reads what compose sets
        code = "\n".join(p.read_text() for p in (ROOT / "web").rglob("*.py") if "/build/" not in str(p))
        for var in web["environment"]:
            assert re.search(rf"\b{var}\b", code), f"web: {var} is set in compose but read nowhere"


def test_platform_containers_are_ready_on_their_own_operations_endpoint():
    services = _compose()["services"]
    for name in (*settings.SERVICES, "gateway"):
        assert services[name]["environment"]["STAGES_OPS_ADDRESS"] == "0.0.0.0:9100"
        assert "9100/readyz" in " ".join(services[name]["healthcheck"]["test"])


def _dockerfiles():
    return {name: ROOT / ("gateway/Dockerfile" if name == "gateway" else f"services/{name}/Dockerfile")
            for name in (*settings.SERVICES, "gateway")}


def test_images_pin_dependencies_run_as_a_user_under_tini_with_exec_form_commands():
    for name, path in _dockerfiles().items():
        text = path.read_text()
        assert re.search(r"pip install [^\n]*-c /app/constraints\.txt", text), f"{path}: not pinned"
        assert "COPY constraints.txt" in text
        assert re.search(r"^USER (?!root|0\b)\S+", text, re.M), f"{path}: runs as root"
        assert " tini" in text and 'ENTRYPOINT ["/usr/bin/tini", "--"]' in text, f"{path}: no tini as PID 1"
        cmd = [line for line in text.splitlines() if line.startswith("CMD ")]
        assert len(cmd) == 1 and cmd[0].startswith('CMD ["nameko", "run"'), f"{path}: not an exec-form nameko"
    # compose's own start command hands over to nameko with exec (so SIGTERM reaches it)
    for name in settings.SERVICES:
        command = _compose()["services"][name]["command"]
        assert command[:2] == ["sh", "-c"] and "&& exec nameko run" in command[2]


def test_the_build_context_leaves_out_the_virtualenv_and_local_state():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    assert {".venv", "var/", ".git"} <= ignored
    assert "**/__pycache__" in ignored
