"""Render a kustomization of this tree in Python, for the offline tests (no kubectl or kustomize binary needed).

    python deploy/kubernetes/render.py deploy/kubernetes/overlays/prod > prod.yaml

It handles the subset of kustomize these manifests use, and refuses anything else (so that a manifest needing
more fails loudly instead of rendering wrong):

- ``resources``: YAML files and directories holding a ``kustomization.yaml``;
- ``namespace``: set on every namespaced object;
- ``images``: ``name`` with ``newName`` and/or ``newTag`` on containers' ``image``;
- ``patches``: JSON 6902 patches (``add``, ``replace``, ``remove``), inline (``patch``) or in a file (``path``),
  with a ``target`` by ``kind`` and optionally ``name``.

Where ``kubectl kustomize`` is installed, tests/test_kubernetes.py checks that both render the same objects.
"""
from __future__ import annotations

import copy
import sys
from pathlib import Path

import yaml

KNOWN_KEYS = {"apiVersion", "kind", "resources", "namespace", "images", "patches"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PersistentVolume",
                  "StorageClass", "PriorityClass", "ClusterTriggerAuthentication"}


class RenderError(ValueError):
    pass


def load_yaml_documents(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def render(directory: str | Path) -> list[dict]:
    directory = Path(directory)
    kfile = directory / "kustomization.yaml"
    if not kfile.is_file():
        raise RenderError(f"{directory}: no kustomization.yaml")
    k = yaml.safe_load(kfile.read_text()) or {}
    unknown = set(k) - KNOWN_KEYS
    if unknown:
        raise RenderError(f"{kfile}: unsupported fields {sorted(unknown)} (extend render.py)")
    docs: list[dict] = []
    for res in k.get("resources", []):
        path = (directory / res).resolve()
        docs.extend(render(path) if path.is_dir() else load_yaml_documents(path))
    for patch in k.get("patches", []):
        ops = yaml.safe_load(patch["patch"] if "patch" in patch else (directory / patch["path"]).read_text())
        if not isinstance(ops, list):
            raise RenderError(f"{kfile}: only JSON 6902 patches (a list of operations) are supported")
        target = patch.get("target") or {}
        if set(target) - {"kind", "name"} or "kind" not in target:
            raise RenderError(f"{kfile}: a patch target names a kind (and optionally a name), nothing else")
        matched = [d for d in docs if d["kind"] == target["kind"]
                   and ("name" not in target or d["metadata"]["name"] == target["name"])]
        if not matched:
            raise RenderError(f"{kfile}: the patch target {target} matches nothing")
        for d in matched:
            for op in ops:
                _apply(d, op)
    for image in k.get("images", []):
        for d in docs:
            for container in _containers(d):
                name, tag = _split_image(container.get("image", ""))
                if name == image["name"]:
                    container["image"] = f"{image.get('newName', name)}:{image.get('newTag', tag or 'latest')}"
    if "namespace" in k:
        for d in docs:
            if d["kind"] not in CLUSTER_SCOPED:
                d["metadata"]["namespace"] = k["namespace"]
    return docs


def _containers(doc: dict) -> list[dict]:
    spec = doc.get("spec") or {}
    pod = (spec.get("jobTemplate", {}).get("spec", spec)).get("template", {}).get("spec", {})
    return [*pod.get("initContainers", []), *pod.get("containers", [])]


def _split_image(image: str) -> tuple[str, str | None]:
    if "@" in image:
        return image.split("@", 1)[0], None
    name, sep, tag = image.rpartition(":")
    if sep and "/" not in tag:
        return name, tag
    return image, None


def _apply(doc: dict, op: dict) -> None:
    parts = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].lstrip("/").split("/")]
    parent = doc
    for p in parts[:-1]:
        parent = parent[int(p)] if isinstance(parent, list) else parent[p]
    last = parts[-1]
    kind = op["op"]
    if isinstance(parent, list):
        index = len(parent) if last == "-" else int(last)
        if kind == "add":
            parent.insert(index, copy.deepcopy(op["value"]))
        elif kind == "replace":
            parent[index] = copy.deepcopy(op["value"])
        elif kind == "remove":
            del parent[index]
        else:
            raise RenderError(f"unsupported patch operation {kind}")
        return
    if kind in ("replace", "remove") and last not in parent:
        raise RenderError(f"{op['path']}: nothing to {kind} in {doc['kind']}/{doc['metadata']['name']}")
    if kind in ("add", "replace"):
        parent[last] = copy.deepcopy(op["value"])
    elif kind == "remove":
        del parent[last]
    else:
        raise RenderError(f"unsupported patch operation {kind}")


if __name__ == "__main__":
    sys.stdout.write(yaml.safe_dump_all(render(sys.argv[1]), sort_keys=False))
